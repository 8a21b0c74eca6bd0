"""The classroom app's logic without a browser: the classroom file's checks, the session's controls, presets,
spread, baseline and exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from alignment.app.classroom import DEFAULT, load_classroom
from alignment.app.session import Session
from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.runs import build_model


@pytest.fixture(scope="module")
def classroom():
    return load_classroom()


def test_the_default_classroom_offers_every_scenario_and_its_controls_start_at_the_run_configs_values(classroom):
    cfg = compose_config([])
    assert classroom.controls["coercion"].default == cfg.model.coercion_weight == 1.0
    assert classroom.controls["eu_investment"].default == cfg.actors.powers.EU.investment_usd_bn_per_year == 2.0
    assert {"historical", "no_war_2022", "eu_gateway_stalls"} <= set(classroom.scenarios)
    assert set(classroom.questions) == {"middle_without_war", "kazakhstan_tilt", "gateway_stalls"}
    for q in classroom.questions.values():
        assert q.title["ru"] != q.title["en"] and q.look_for["ru"]


def _edit(tmp_path, change) -> Path:
    raw = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, key, words", [
    (lambda r: r["controls"]["coercion"].update(key="model.coercion_wieght"), "mine.yaml: controls.coercion.key", "not a numeric model parameter"),
    (lambda r: r["controls"]["coercion"].update(max=60), "mine.yaml: controls.coercion.max=60", "must be in [0, 50]"),
    (lambda r: r["controls"]["hedging"].update(max=1.5), "mine.yaml: controls.hedging.max=1.5", "must be in [0, 1]"),
    (lambda r: r["controls"]["eu_investment"].update(min=-1), "mine.yaml: controls.eu_investment.min=-1", "must be in [0, 1000]"),
    (lambda r: r["controls"]["eu_investment"].update(key="actors.powers.EU.budget"), "controls.eu_investment.key", "not a numeric key"),
    (lambda r: r["controls"]["coercion"].update(min=5, max=2), "controls.coercion.max=2", "must be above min"),
    (lambda r: r["questions"]["kazakhstan_tilt"]["values"].update(coercion=9), "questions.kazakhstan_tilt.values.coercion=9",
     "outside the control's locked range [0, 8]"),
    (lambda r: r["questions"]["kazakhstan_tilt"]["values"].update(tariffs=1), "questions.kazakhstan_tilt.values.tariffs", "unknown control"),
    (lambda r: r.update(scenarios=["historical", "atlantis"]), "mine.yaml: scenarios[1]='atlantis'", "unknown scenario"),
    (lambda r: r["controls"]["coercion"].update(label={"en": "Push"}), "controls.coercion.label", "a text in each language"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(state="AFG"), "questions.kazakhstan_tilt.state='AFG'", "not a state of the model"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(powers=["RUS", "JPN"]), "questions.kazakhstan_tilt.powers",
     "a list of the model's powers, each once: RUS, CHN, USA, EU, GBR, TUR, IRN"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(powers="RUS"), "questions.kazakhstan_tilt.powers='RUS'", "a list"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(powers={}), "questions.kazakhstan_tilt.powers={}", "a list"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(powers=["EU", "EU"]), "questions.kazakhstan_tilt.powers", "each once"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(values=[6.0]), "questions.kazakhstan_tilt.values=[6.0]", "a mapping"),
    (lambda r: r["questions"]["kazakhstan_tilt"].update(colour="red"), "questions.kazakhstan_tilt.colour", "unknown key"),
])
def test_a_bad_classroom_file_is_one_error_naming_file_key_and_what_is_allowed(tmp_path, change, key, words):
    with pytest.raises(ConfigError) as err:
        load_classroom(_edit(tmp_path, change))
    assert key in str(err.value) and words in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


@pytest.fixture
def session(classroom):
    return Session(classroom)


def test_a_value_outside_the_locked_range_is_refused_and_the_run_goes_on(session):
    session.step(30)
    for bad in (9, -1, "abc", float("nan")):
        why = session.set_value("coercion", bad)
        assert why and "coercion" in why
    assert session.month - session.model.start == 30 and session.settings.values["coercion"] == 1.0
    assert session.set_seed(-2) and session.set_seed("x") and session.set_scenario("atlantis")
    assert session.month - session.model.start == 30


def test_a_moved_control_starts_the_run_again_and_the_export_reproduces_it_with_alignment_run(session):
    session.step(40)
    assert session.set_value("coercion", 6.0) is None and session.set_seed(3) is None
    assert session.month == session.model.start  # what is on screen belongs to the settings shown
    session.step(90)
    overrides = session.command().split()[1:]
    assert "model.coercion_weight=6" in overrides and "seed=3" in overrides
    assert not any(o.startswith("actors.") for o in overrides)  # unmoved controls are not written
    model = build_model(compose_config(overrides))
    for _ in range(90):
        model.step()
    np.testing.assert_array_equal(model.rec["weights"][:90], session.series().weights)


def test_a_guided_question_sets_the_controls_and_pins_its_baseline(session):
    session.set_value("hedging", 0.2)
    session.load_question("kazakhstan_tilt")
    v = session.settings.values
    assert v["coercion"] == 6.0 and v["eu_investment"] == 8.0 and v["hedging"] == 0.0  # the rest back to defaults
    assert session.baseline["scenario"] == "historical" and session.baseline["defaults"]
    session.step(12 * 12)
    kaz, rus, eu = 0, session.model.world.powers.index("RUS"), session.model.world.powers.index("EU")
    now, base = session.series().weights[-1], session.baseline["series"].weights[12 * 12 - 1]
    assert now[kaz, rus] < base[kaz, rus] and now[kaz, eu] > base[kaz, eu]  # the preset tilts Kazakhstan as the card says


def test_the_spread_runs_every_seed_to_the_horizon_with_ordered_percentiles(session):
    band = session.run_band()
    T = session.model.end - session.model.start + 1
    assert band["seeds"] == 20 and band["weights"].shape == (3, T, 5, 7) and band["volume_mt"].shape[:2] == (3, T)
    lo, mid, hi = band["weights"]
    assert (lo <= mid).all() and (mid <= hi).all() and (hi - lo)[-1].max() > 0.01  # seeds differ: a real spread
    assert session.month == session.model.start  # the spread does not move the run on screen


def test_exports_hold_the_run_so_far(session, tmp_path):
    session.step(25)
    text = session.export_csv().splitlines()
    assert text[0] == "date,indicator,entity,partner,value,unit"
    assert len(text) - 1 == 25 * (5 * 7 * 2 + len(session.model.world.corridors))
    assert text[1].startswith("2015-01,alignment_weight,KAZ,RUS,")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    paths = session.save(tmp_path / "export", fig)
    plt.close(fig)
    assert [p.name for p in paths] == ["run.csv", "reproduce.txt", "charts.png"]
    assert "alignment-run scenario=historical seed=42" in paths[1].read_text()  # the default seed: a typical run
    assert paths[2].read_bytes()[:4] == b"\x89PNG"


def test_events_appear_in_the_feed_as_the_run_reaches_them(session):
    assert session.events_reached() == []
    session.step(12 * 2)  # to January 2017
    feed = session.events_reached()
    assert feed and feed[-1][1] == "uzb_transition" and all(date <= "2016-12" for date, _, _ in feed)


def test_every_word_of_the_page_is_there_in_english_and_russian():
    from alignment.app.text import INFO, NAMES, TEXT

    for key, texts in TEXT.items():
        assert set(texts) == {"en", "ru"} and all(texts.values()), key
        assert texts["en"] != texts["ru"], key
    assert [len(INFO["en"]), set(NAMES["en"])] == [len(INFO["ru"]), set(NAMES["ru"])]
    assert any("Казахстан" in v for v in NAMES["ru"].values())


def test_the_app_refuses_a_bad_classroom_file_or_a_busy_port_in_one_line_before_serving(tmp_path, capsys):
    import socket

    from alignment.app.cli import main

    bad = _edit(tmp_path, lambda r: r["controls"]["coercion"].update(key="model.atlantis"))
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(bad), "--port", "8766"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith("alignment-app: error: mine.yaml: controls.coercion.key")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(SystemExit) as exit_:
            main(["--port", str(busy.getsockname()[1])])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and "already in use" in err[0]


def test_a_chart_says_what_its_dashed_lines_and_band_are(session):
    from alignment.app import charts

    assert "dashed" not in charts.draw_corridors(session, "en").axes[0].get_title()
    session.pin_baseline("no_war_2022")
    session.run_band()
    title = charts.draw_corridors(session, "en").axes[0].get_title()
    assert "dashed: no_war_2022" in title and "5-95 % of 20 seeds" in title
    assert "пунктир: no_war_2022" in charts.draw_weights(session, "KAZ", "ru").axes[0].get_title()


def test_every_event_of_the_classroom_scenarios_has_its_russian_note(classroom):
    from alignment.app.session import _prepare
    from alignment.app.text import _event_notes_ru, event_note

    notes = _event_notes_ru()
    ids = set()
    for scenario in classroom.scenarios:  # the events as the run gets them, layers included
        for e in _prepare((f"scenario={scenario}", "seed=0", f"horizon.end={classroom.horizon_end}")).events:
            ids.add(e.id)
            assert notes.get(e.id, "").strip(), f"{e.id} ({scenario}) has no Russian note in configs/app/event_notes.ru.yaml"
    assert set(notes) <= ids, f"notes for events no scenario has: {sorted(set(notes) - ids)}"
    assert event_note("invasion_2022", "English", "en") == "English"
    assert "Россия" in event_note("invasion_2022", "English", "ru") or "России" in event_note("invasion_2022", "English", "ru")


def test_a_question_names_the_state_and_the_powers_its_chart_shows(classroom):
    q = classroom.questions["kazakhstan_tilt"]
    assert (q.state, q.powers) == ("KAZ", ("RUS", "EU"))
    assert classroom.questions["middle_without_war"].powers == ()  # every power in colour


def test_the_12_month_mean_by_hand():
    from alignment.app.session import trailing_mean

    x = np.array([1.0, 2.0, 3.0, 4.0, 8.0])
    assert trailing_mean(x, 2).tolist() == [1.0, 1.5, 2.5, 3.5, 6.0]  # the first month has only itself
    assert trailing_mean(x, 12).tolist() == [1.0, 1.5, 2.0, 2.5, 3.6]
    two = np.stack([x, 10 * x], axis=1)  # months along axis 0, or along the axis named
    assert np.allclose(trailing_mean(two, 2)[:, 1], 10 * trailing_mean(x, 2))
    assert np.allclose(trailing_mean(two.T, 2, axis=1), trailing_mean(two, 2).T)


def _pixels(png: bytes) -> np.ndarray:
    import io

    import PIL.Image

    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def _full(session, chart, *options, **keywords) -> bytes:
    """The chart drawn whole, as the exports draw it, at the live chart's size and dpi."""
    import io

    from alignment.app import charts

    buf = io.BytesIO()
    charts.draw(chart, session, *options, **keywords).savefig(buf, format="png")
    return buf.getvalue()


@pytest.mark.parametrize("chart, options, keywords, frames", [
    ("map", ("en",), {}, 1),
    ("weights", ("KAZ", "ru"), {"smooth": True, "highlight": ("RUS", "EU")}, 1),
    ("weights", ("TJK", "en"), {"smooth": False}, 1),
    ("corridors", ("en",), {}, 1),
    ("interactions", ("en",), {}, 1),
    ("unga", ("en",), {}, 1),  # a new year of votes moves the points over the kept frame
])
def test_a_live_chart_draws_each_month_over_its_kept_frame_what_a_whole_drawing_shows(session, chart, options, keywords, frames):
    from alignment.app import charts

    live = charts.LiveChart(chart)
    session.pin_baseline("no_war_2022")
    first = live.png(session, *options, **keywords)
    session.step(40)
    later = live.png(session, *options, **keywords)
    assert live.frames_built == frames  # the month moved on; the frame was kept
    now, whole = _pixels(later), _pixels(_full(session, chart, *options, **keywords))
    live.fig.canvas.restore_region(live.background)
    frame = np.asarray(live.fig.canvas.buffer_rgba(), dtype=float)[..., :3]  # the kept frame alone, without the run

    def differ(a, b) -> float:  # the share of pixels that differ visibly
        return float((np.abs(a - b).max(axis=2) > 60).mean())

    assert now.shape == whole.shape == frame.shape
    # the run's own pixels: what the whole drawing has over the frame alone
    run = differ(frame, whole)
    assert run > 0.001
    # the page's picture shows them: its differences from the whole drawing (where the run passes under a legend, or
    # crosses a spine) are a small part of them; a picture without the run, or with another month's, differs by all
    assert differ(now, whole) <= 0.1 * run, (differ(now, whole), run)
    assert differ(now, _pixels(first)) > 0.001  # and the month did change the picture


def test_a_live_chart_draws_its_frame_again_when_the_spread_or_baseline_changes_or_the_run_outgrows_it(session):
    from alignment.app import charts

    live = charts.LiveChart("corridors")
    from matplotlib.collections import PolyCollection

    live.png(session, "en")
    live.png(session, "en")
    assert live.frames_built == 1
    session.run_band()
    live.png(session, "en")
    assert any(isinstance(c, PolyCollection) for c in live.fig.axes[0].collections)  # the new frame has the band
    live.png(session, "ru")
    assert "Объёмы" in live.fig.axes[0].get_title()
    session.unpin()
    live.png(session, "ru")
    assert live.frames_built == 4
    top = live.fig.axes[0].get_ylim()[1]
    session.reset()  # a fresh run: no spread, no baseline; its frame fits January 2015 only
    live.png(session, "en")
    small = live.fig.axes[0].get_ylim()[1]
    built = live.frames_built
    session.step(12 * 20)
    live.png(session, "en")
    from alignment.app.session import CORRIDORS

    overland = [list(session.model.world.corridors).index(c) for c in CORRIDORS]  # the chart's lines (not the sea route)
    peak = float(session.series().volume_mt[:, overland].max())
    assert small < peak <= live.fig.axes[0].get_ylim()[1] and live.frames_built == built + 1, (small, peak, top)


def test_a_spread_whose_settings_changed_while_it_ran_is_dropped(session, monkeypatch):
    import alignment.runs

    run_batch = alignment.runs.run_batch

    def slider_moved_meanwhile(*args, **kwargs):  # the page runs the seeds on a thread: the class may move a slider
        runs = run_batch(*args, **kwargs)
        session.set_value("coercion", 3.0)
        return runs

    monkeypatch.setattr(alignment.runs, "run_batch", slider_moved_meanwhile)
    generation = session.generation
    assert session.run_band() is None and session.band is None  # not drawn behind a run it does not belong to
    assert session.settings.values["coercion"] == 3.0 and session.generation == generation + 1  # (the reset only)
    monkeypatch.setattr(alignment.runs, "run_batch", run_batch)
    assert session.run_band() is session.band is not None
