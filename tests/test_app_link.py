"""The classroom page's address (alignment/app/link.py), its cap on sessions (seats.py), Play's pacing under a
class's load (pace.py) and alignment-app's --host, --max-sessions and --idle-minutes, without a browser
(tests/test_app_browser.py drives the page)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.app import link
from alignment.app.classroom import load_classroom
from alignment.app.seats import Seats

STATES = ["KAZ", "UZB", "KGZ", "TJK", "TKM"]
POWERS = ["RUS", "CHN", "USA", "EU", "GBR", "TUR", "IRN"]


@pytest.fixture(scope="module")
def classroom():
    return load_classroom()


def _parse(search, classroom):
    return link.parse(search, classroom, STATES, POWERS, 2035)


def test_the_default_page_has_no_query_and_a_typed_link_sets_what_it_names(classroom):
    assert link.encode(link.defaults(classroom, STATES), classroom, STATES) == ""
    got = _parse("?scenario=no_war_2022&seed=3&lang=ru&model.coercion_weight=6&state=TJK&powers=RUS,EU", classroom)
    assert (got.scenario, got.seed, got.lang, got.state, got.powers) == ("no_war_2022", 3, "ru", "TJK", ("RUS", "EU"))
    assert got.values["coercion"] == 6.0 and got.values["eu_investment"] == classroom.controls["eu_investment"].default
    assert got.ignored == ()
    # written back in a fixed order, each slider by its run-config key
    assert link.encode(got, classroom, STATES) == ("scenario=no_war_2022&seed=3&model.coercion_weight=6&state=TJK&powers=RUS,EU"
                                                   "&lang=ru")


def test_a_question_link_starts_from_the_questions_preset_and_writes_only_what_differs(classroom):
    q = classroom.questions["kazakhstan_tilt"]  # the second question of the file
    got = _parse("question=2", classroom)
    assert got.question == "kazakhstan_tilt" and got.scenario == q.scenario and got.state == "KAZ"
    assert got.values["coercion"] == 6.0 and got.values["eu_investment"] == 8.0 and got.powers == ("RUS", "EU")
    assert link.encode(got, classroom, STATES) == "question=2"
    moved = replace(got, seed=4, values={**got.values, "coercion": 1.0})
    assert link.encode(moved, classroom, STATES) == "question=2&seed=4&model.coercion_weight=1"
    assert _parse(link.encode(moved, classroom, STATES), classroom) == moved
    assert _parse("question=kazakhstan_tilt", classroom).question == "kazakhstan_tilt"  # by name too


@pytest.mark.parametrize("search, ignored", [
    ("seed=-1", "seed=-1 (a whole number >= 0)"),
    ("seed=1.5", "seed=1.5 (a whole number >= 0)"),
    ("scenario=atlantis", "scenario=atlantis (not one of the classroom's scenarios)"),
    ("model.coercion_weight=9", "model.coercion_weight=9 (outside [0, 8])"),
    ("model.coercion_weight=nan", "model.coercion_weight=nan (outside [0, 8])"),
    ("model.coercion_weight=lots", "model.coercion_weight=lots (not a number)"),
    ("model.temperature=3", "model.temperature=3 (unknown parameter)"),  # a model key, but no slider of this classroom
    ("lang=de", "lang=de (one of en, ru)"),
    ("state=AFG", "state=AFG (one of KAZ, UZB, KGZ, TJK, TKM)"),
    ("powers=RUS,JPN", "powers=RUS,JPN (powers are RUS, CHN, USA, EU, GBR, TUR, IRN)"),
    ("question=9", "question=9 (not a question; the classroom has 1-3)"),
    ("speed=5", "speed=5 (months a second, one of 1, 2, 3, 6, 12, 24, 36)"),
    ("to=2050", "to=2050 (a year in [2016, 2035])"),
    ("projector=yes", "projector=yes (0 or 1)"),
])
def test_a_bad_parameter_is_ignored_with_its_reason_and_the_rest_of_the_link_still_applies(classroom, search, ignored):
    got = _parse(search + "&seed=7", classroom) if not search.startswith("seed") else _parse(search + "&lang=ru", classroom)
    assert got.ignored == (ignored,)
    assert (got.seed == 7) if not search.startswith("seed") else (got.lang == "ru")
    clean = replace(got, ignored=())
    assert _parse(link.encode(clean, classroom, STATES), classroom) == clean  # what is kept survives the round trip


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_page_state_survives_its_own_address(classroom, data):
    """Every state the page can be in is written as an address that opens the same state."""
    question = data.draw(st.sampled_from([None, *classroom.questions]))
    values = {n: data.draw(st.integers(0, round((c.max - c.min) / c.step)).map(lambda k, c=c: round(c.min + k * c.step, 10)))
              for n, c in classroom.controls.items()}
    state = link.Link(scenario=data.draw(st.sampled_from(classroom.scenarios)), seed=data.draw(st.integers(0, 10**6)),
                      values=values, lang=data.draw(st.sampled_from(["en", "ru"])), state=data.draw(st.sampled_from(STATES)),
                      powers=tuple(data.draw(st.lists(st.sampled_from(POWERS), unique=True, max_size=3))),
                      smooth=data.draw(st.booleans()), question=question, projector=data.draw(st.booleans()),
                      speed=data.draw(st.sampled_from(link.SPEEDS)), to=data.draw(st.one_of(st.none(), st.integers(2016, 2035))))
    query = link.encode(state, classroom, STATES)
    assert _parse(query, classroom) == state
    assert " " not in query and "?" not in query


def test_seats_refuse_a_session_over_the_cap_until_one_is_freed():
    seats = Seats(2)
    assert seats.take("a") and seats.take("b") and seats.take("a")  # a session asking again keeps its seat
    assert not seats.take("c")
    seats.free("a")
    assert seats.take("c") and not seats.take("a")
    assert all(Seats(None).take(k) for k in range(500))  # no cap


def test_playing_sessions_redraw_in_turn_within_their_share_and_hold_while_a_click_is_answered():
    from alignment.app.pace import Pace

    pace = Pace(share=0.5, floor=0.1, first=0.2)
    assert pace.interval() == 0.1  # no one playing: the floor
    pace.start("a")
    assert pace.interval() == pytest.approx(0.4)  # 0.2 s a redraw, half the time: one every 0.4 s
    pace.start("b")
    pace.record("b", 0.1)  # a moving average: 0.7 * 0.2 + 0.3 * 0.1
    assert pace.costs["b"] == pytest.approx(0.17) and pace.interval() == pytest.approx((0.2 + 0.17) / 0.5)
    assert pace.claim() and not pace.claim()  # one at a time
    pace.release()
    with pace.answering():
        assert not pace.claim()  # a click elsewhere goes first
    assert pace.claim()
    pace.release()
    pace.stop("a")
    pace.stop("b")
    pace.record("a", 5.0)  # a stopped session's late record is dropped
    assert pace.playing == 0 and pace.interval() == 0.1


def test_host_checks_name_the_flag_the_value_and_what_is_allowed():
    from alignment.app.cli import _check_host, public_url
    from alignment.errors import ConfigError

    assert _check_host("127.0.0.1") == "127.0.0.1" and _check_host("localhost") == "127.0.0.1"
    assert _check_host("0.0.0.0") == "0.0.0.0"
    for bad, words in (("192.0.2.1", "not an address of this machine"), ("no-such-host.invalid", "an IPv4 address or name")):
        with pytest.raises(ConfigError) as err:
            _check_host(bad)
        assert str(err.value).startswith(f"--host={bad!r}") or str(err.value).startswith(f"--host={bad}"), str(err.value)
        assert words in str(err.value)
    # the address students open is the machine's own, never 0.0.0.0
    url = public_url("0.0.0.0", 8800)
    assert url.startswith("http://") and url.endswith(":8800") and "0.0.0.0" not in url
    assert public_url("127.0.0.1", 8800) == "http://127.0.0.1:8800"


@pytest.mark.parametrize("argv, words", [
    (["--host", "192.0.2.1"], "--host"),
    (["--max-sessions", "0"], "--max-sessions=0: at least 1"),
    (["--idle-minutes", "0"], "--idle-minutes=0"),
])
def test_the_app_refuses_a_bad_host_or_limit_in_one_line_before_serving(argv, words, capsys):
    from alignment.app.cli import free_port, main

    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--port", str(free_port())])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith("alignment-app: error: ") and words in err[0], err


def test_the_page_loads_without_seaborn_or_scipy():
    """Solara runs the page's module before the server listens: seaborn (with SciPy's statistics) cost the page
    about 1.5 s of its start, for two dictionaries of colours (now alignment.colours)."""
    import subprocess
    import sys

    code = "import sys, alignment.app.page; print(sorted(m for m in ('seaborn', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
