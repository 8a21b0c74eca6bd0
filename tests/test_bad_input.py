"""Bad input: one line naming key, value and what is allowed; exit status 2; no traceback; nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alignment.cli import main


def run_cli(capsys, *args, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exit_:
        main([*args, f"hydra.run.dir={out}"])
    err = capsys.readouterr().err.strip().splitlines()
    return exit_.value.code, err, out


@pytest.fixture
def bad_dir(tmp_path):
    d = tmp_path / "extra" / "scenario"
    d.mkdir(parents=True)
    (d / "broken.yaml").write_text('# @package scenario\nname: broken\nevents: [ {date: "2016-01", kind: summit\n')
    (d / "binary.yaml").write_bytes(b"\xff\xfe\x00 not text")
    (d / "badcode.yaml").write_text(
        '# @package scenario\nname: badcode\nevents:\n  - {date: "2016-01", kind: summit, format: C5, participants: [KAZ, XYZ]}\n'
    )
    (d / "late.yaml").write_text('# @package scenario\nname: late\nevents:\n  - {date: "2040-01", kind: stance, power: RUS, coercion: 0.1}\n')
    (d / "nokind.yaml").write_text('# @package scenario\nname: nokind\nevents:\n  - {date: "2016-01", kind: party}\n')
    (d / "endless.yaml").write_text('# @package scenario\nname: endless\nevents:\n  - {date: "2020-03", kind: shock, months: 0}\n')
    (d / "empty.yaml").write_text("")
    (d / "headless.yaml").write_text("# @package scenario\ndescription: a scenario that forgot its name and events\n")
    (d / "alist.yaml").write_text("- {date: '2016-01', kind: stance, power: RUS}\n")
    (d / "strevents.yaml").write_text("# @package scenario\nname: strevents\nevents: lots\n")
    (d / "nanevent.yaml").write_text('# @package scenario\nname: nanevent\nevents:\n  - {date: "2020-03", kind: remittances, cut: .nan}\n')
    (d / "seaport.yaml").write_text('# @package scenario\nname: seaport\nevents:\n'
                                    '  - {date: "2020-03", kind: corridor, corridor: SEA, capacity_change_teu: -5000}\n')
    return d.parent


CASES = [
    (["foo=1"], "foo", "unknown key"),
    (["model.hedgng_base=0.3"], "model.hedgng_base", "did you mean model.hedging_base?"),
    (["seed=abc"], "seed='abc'", "expected an integer"),
    (["seed=-1"], "seed=-1", "non-negative"),
    (["model.adjustment_rate=1.5"], "model.adjustment_rate=1.5", "[0, 1]"),
    (["actors.powers.CHN.investment_usd_bn_per_year=-1"], "actors.powers.CHN.investment_usd_bn_per_year=-1.0", "must be in [0, 1000] (USD bn per year)"),
    (["corridors.routes.MIDDLE.capacity_teu=-5"], "corridors.routes.MIDDLE.capacity_teu=-5.0", ">= 0"),
    (["model.temperature=nan"], "model.temperature=nan", "must be a finite number"),
    (["model.adjustment_rate=inf"], "model.adjustment_rate=inf", "must be a finite number"),
    (["model.kind_base_logits=[0,1,nan,2]"], "model.kind_base_logits[2]=nan", "must be a finite number"),
    (["corridors.routes.MIDDLE.capacity_teu=nan"], "corridors.routes.MIDDLE.capacity_teu=nan", "use null"),
    (["corridors.markets.EAST_WEST.demand_teu=inf"], "corridors.markets.EAST_WEST.demand_teu=inf", "must be a finite number"),
    (["actors.powers.RUS.investment_usd_bn_per_year=-inf"], "actors.powers.RUS.investment_usd_bn_per_year=-inf", "finite"),
    (["-m", "model.temperature=1,nan"], "model.temperature=nan", "must be a finite number"),
    (["corridors.routes.MIDDLE.min_transit_days=40"], "corridors.routes.MIDDLE.min_transit_days=40.0", "between 1 and the route's transit_days (34)"),
    (["corridors.routes.MIDDLE.days_saved_per_usd_bn=-1"], "corridors.routes.MIDDLE.days_saved_per_usd_bn=-1.0", "must be in [0, 365] (days per USD bn)"),
    (["corridors.routes.NORTHERN.days_saved_per_usd_bn=1"], "corridors.routes.NORTHERN.min_transit_days", "needs a floor"),
    (["corridors.routes.NORTHERN.throughput_teu_by_year={2016:-1}"], "corridors.routes.NORTHERN.throughput_teu_by_year.2016=-1.0", "> 0 TEU"),
    (["world.powers=[RUS,XXX]"], "world.powers[1]='XXX'", "unknown power; known: RUS"),
    (["horizon.end=2020-12"], "scenario.events", "outside the horizon 2015-01..2020-12"),
    (["horizon.end=2014-12"], "horizon.end='2014-12'", "must not be before horizon.start"),
    (["horizon.start=2015-13"], "horizon.start='2015-13'", "YYYY-MM"),
    (["horizon.start=2015/01"], "horizon.start='2015/01'", "YYYY-MM"),
    (["horizon.start=2010-01"], "horizon.start='2010-01'", "2015-01 or later"),
    (["scenario=nope"], "scenario='nope'", "unknown scenario; known: c5_institutionalised, caspian_confrontation"),
    (["-m", "seed=0,abc"], "seed='abc'", "expected an integer"),
    (["-m", "horizon.end=2035-12,2014-01", "seed=range(0,600)"], "horizon.end='2014-01'", "must not be before"),
    (["+foo=1"], "foo=1", "unknown key"),
    (["+model.temprature=1"], "model.temprature=1", "did you mean model.temperature?"),
    (["hydra.foo=1"], "hydra.foo", "unknown Hydra setting"),
    (["scenario.overrides={temperature:0}"], "scenario.overrides.temperature", "+scenario.overrides.temperature=VALUE"),
    (["world.states=[KAZ,KAZ,UZB]"], "world.states", "distinct states"),
    (["actors.powers.RUS.coercion=2"], "actors.powers.RUS.coercion=2.0", "[0, 1]"),
    (["corridors.markets.EAST_WEST.growth_pct_per_year=-200"], "growth_pct_per_year=-200.0", "must be in [-50, 50] (% per year"),
    (["model.gdp_growth_pct_per_year=-150"], "model.gdp_growth_pct_per_year=-150.0", "must be in [-50, 50] (% per year"),
    (["model.kind_cohesion_slopes=[1]"], "model.kind_cohesion_slopes", "four values"),
    (["model.external_kind_probabilities=[]"], "model.external_kind_probabilities", "four values"),
    (["model.construction_lag_months=0"], "model.construction_lag_months=0", "must be in [1, 120] (months"),
    (["corridors.nest_lambda.rail=0"], "corridors.nest_lambda.rail=0.0", "(0, 1]"),
    # issue 10: physically impossible values (ranges stated once in the schema, beside the unit)
    (["model.gdp_growth_pct_per_year=1000000"], "model.gdp_growth_pct_per_year=1000000.0", "must be in [-50, 50] (% per year"),
    (["model.logit_scale_usd=0.001"], "model.logit_scale_usd=0.001", "must be in [10, 1000000] (USD per FEU"),
    (["model.tonnes_per_teu=40"], "model.tonnes_per_teu=40.0", "must be in (0, 28] (t per TEU"),
    (["model.level_probabilities=[[1,0,0],[0.75,0.15,0.1],[0.25,0.3,0.45],[1.5,-0.2,-0.3]]"], "model.level_probabilities[3][0]=1.5",
     "must be in [0, 1] (probability)"),
    (["corridors.routes.MIDDLE.risk=1.5"], "corridors.routes.MIDDLE.risk=1.5", "must be in [0, 1] (share of cargo value)"),
    (["actors.states.KAZ.openness=100"], "actors.states.KAZ.openness=100.0", "must be in [0, 10]"),
    (["actors.states.TJK.threat_response=-2"], "actors.states.TJK.threat_response=-2.0", "must be in [-1, 1] (-1 (bandwagon"),
    (["actors.states.KAZ.regime_security=1.5"], "actors.states.KAZ.regime_security=1.5", "must be in [0, 1]"),
    (["+scenario.overrides.noise_scale=5"], "scenario.overrides.noise_scale=5", "must be in [0, 1]"),
]


@pytest.mark.parametrize("args, key, allowed", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_one_line_exit_2_nothing_written(capsys, tmp_path, args, key, allowed):
    code, err, out = run_cli(capsys, *args, tmp_path=tmp_path)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("alignment-run: error: ")
    assert key in err[0] and allowed in err[0]
    assert not out.exists()


@pytest.mark.parametrize(
    "scenario, key, allowed",
    [
        ("broken", "broken.yaml", "malformed YAML at line"),
        ("binary", "scenario='binary'", "unreadable"),
        ("badcode", "participants='XYZ'", "unknown state or power"),
        ("late", "scenario.events[0].date='2040-01'", "outside the horizon"),
        ("nokind", "scenario.events[0].kind='party'", "allowed kinds"),
        ("endless", "scenario.events[0].months=0", "must be in [1, 600] (months)"),
        ("nanevent", "scenario.events[0].cut=nan", "must be a finite number"),
        ("empty", "scenario='empty'", "the scenario file is empty or incomplete: it needs name and events"),
        ("headless", "scenario='headless'", "it needs name and events"),
        ("alist", "scenario='alist'", "must be a mapping (name, description, events, exclude, overrides), not a list"),
        ("strevents", "scenario.events='strevents'", "must be a list of events, each a mapping with date and kind"),
        ("seaport", "scenario.events[0].capacity_change_teu=-5000.0", "unbounded capacity; bounded: NORTHERN, MIDDLE, CKU, INSTC"),
    ],
)
def test_bad_scenario_files(capsys, tmp_path, bad_dir, scenario, key, allowed):
    code, err, out = run_cli(capsys, "--config-dir", str(bad_dir), f"scenario={scenario}", tmp_path=tmp_path)
    assert code == 2 and len(err) == 1 and key in err[0] and allowed in err[0]
    assert not out.exists()


def test_console_script_prints_no_traceback(tmp_path):
    """The real console script, in a fresh process: one line on stderr, status 2."""
    exe = __import__("shutil").which("alignment-run") or str(__import__("pathlib").Path(sys.executable).parent / "alignment-run")
    r = subprocess.run([exe, "seed=abc", f"hydra.run.dir={tmp_path / 'run'}"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == "alignment-run: error: seed='abc': expected an integer"
    assert "Traceback" not in r.stdout + r.stderr
    assert not (tmp_path / "run").exists()


def test_a_glob_sweep_is_checked_before_any_run(capsys, tmp_path, bad_dir):
    sweep = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_:
        main(["-m", "--config-dir", str(bad_dir), "scenario=glob(*)", f"hydra.sweep.dir={sweep}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and "scenario" in err[0]
    assert not sweep.exists()


def test_integer_literals_are_accepted_for_probability_tables(tmp_path):
    from alignment.cli import compose_config
    from alignment.runs import prepare

    p = prepare(compose_config(["model.level_probabilities=[[1,0,0],[0.75,0.15,0.1],[0.25,0.3,0.45],[0.25,0.3,0.45]]"]))
    assert p.params.level_probabilities[0] == [1, 0, 0]


def test_short_horizons_drop_later_events_only_when_asked():
    from alignment.cli import compose_config
    from alignment.errors import ConfigError
    from alignment.runs import prepare

    with pytest.raises(ConfigError) as err:
        prepare(compose_config(["horizon.end=2021-12"]))
    assert "horizon.drop_later_events=true" in str(err.value)
    p = prepare(compose_config(["horizon.end=2021-12", "horizon.drop_later_events=true"]))
    assert p.events and max(e.date for e in p.events) <= 2021 * 12 + 11
    assert {e.id for e in p.events} >= {"uzb_transition", "c5_2021", "ots_2021"}


def test_a_config_dir_with_any_name_works(capsys, tmp_path):
    """-cd with a Cyrillic, spaced and quoted folder name composes (issue 10: a non-ASCII folder failed with a
    lexer error blamed on the scenario)."""
    d = tmp_path / "мои конфиги's" / "scenario"
    d.mkdir(parents=True)
    (d / "mine.yaml").write_text("# @package scenario\nname: mine\nevents: []\n")
    out = tmp_path / "run"
    try:
        main(["-cd", str(d.parent), "scenario=mine", "horizon.end=2015-12", "outputs.figures=false",
              "outputs.summary=false", f"hydra.run.dir={out}"])
    except SystemExit as exc:
        pytest.fail(f"exit {exc.code}: {capsys.readouterr().err}")
    assert '"scenario": "mine"' in (out / "run.json").read_text()
