"""alignment-calibrate: a small budget runs, resumes from its storage, and writes a usable model option."""

from __future__ import annotations

import shutil

import optuna
import pytest

from alignment.fit.calibrate import main, prepare_calibration, run_calibration
from alignment.cli import compose_config
from alignment.errors import ConfigError


def small(tmp_path, trials, extra=()):
    return compose_config([f"study.n_trials={trials}", "study.replicates=1", "study.progress=false",
                           f"study.output_dir={tmp_path / 'cal'}", f"study.storage=sqlite:///{tmp_path / 'cal' / 'study.db'}",
                           *extra],
                          config_name="calibrate")


def test_small_study_runs_then_resumes_from_its_storage(tmp_path):
    first = run_calibration(small(tmp_path, 2))
    assert len(first["study"].trials) == 2
    again = run_calibration(small(tmp_path, 3))  # same storage: one more trial, not three
    study = optuna.load_study(study_name="alignment", storage=f"sqlite:///{tmp_path / 'cal' / 'study.db'}")
    assert len(study.trials) == 3 and [t.number for t in study.trials] == [0, 1, 2]
    assert again["best"].value == min(t.value for t in study.trials)
    trials = (tmp_path / "cal" / "trials.csv").read_text().splitlines()
    assert len(trials) == 4 and "params_dependence_aversion" in trials[0] and "user_attrs_targets_met" in trials[0]


def test_the_written_option_is_a_model_config(tmp_path):
    out = run_calibration(small(tmp_path, 2))
    option = tmp_path / "extra" / "model"
    option.mkdir(parents=True)
    shutil.copy(out["output_dir"] / "model_calibrated.yaml", option / "calibrated.yaml")
    cfg = compose_config(["model=calibrated"], config_dir=tmp_path / "extra")
    best = out["best"].params
    assert cfg.model.dependence_aversion == pytest.approx(best["dependence_aversion"])
    assert cfg.model.adjustment_rate == pytest.approx(best["adjustment_rate"])
    for name, value in best.items():
        assert cfg.model[name] == pytest.approx(value)
    assert cfg.model.cost_elasticity == compose_config([]).model.cost_elasticity  # unsearched: stays at the default


@pytest.mark.parametrize(
    "override, key, words",
    [
        ("+search.channel_corridor={low:2,high:1}", "search.channel_corridor.low", "must be below"),
        ("+search.channel_corridor={low:0.1}", "search.channel_corridor", "expected {low"),
        ("search.dependence_aversion.low=20", "search.dependence_aversion.low", "must be below"),
        ("+search.bogus={low:0,high:1}", "search.bogus", "not a numeric model parameter"),
        ("search.adjustment_rate.low=0", "search.adjustment_rate.low", "log-scale"),
        ("study.storage=sqlite:////proc/no/such/dir/study.db", "study.storage", "cannot be opened"),
        ("+targets.bad={kind:vibes,source:x}", "targets.bad.kind", "allowed kinds"),
        ("+targets.nosource={kind:interactions,year:2015,measure:total,value:60,tolerance:8}", "targets.nosource.source", "needs 'source'"),
        ("study.n_trials=0", "study.n_trials", ">= 1"),
        ("search.temperature.high=nan", "search.temperature.high", "must be a finite number"),
        ("model.noise_scale=inf", "model.noise_scale", "must be a finite number"),
        ("study.batch_trials=0", "study.batch_trials", ">= 1"),
    ],
)
def test_bad_calibration_input_stops_before_any_trial(capsys, tmp_path, override, key, words):
    out = tmp_path / "cal"
    base = small(tmp_path, 1)
    with pytest.raises(SystemExit) as exit_:
        main([override, f"study.output_dir={out}", f"hydra.run.dir={tmp_path / 'hydra'}",
              *([] if "storage" in override else [f"study.storage=sqlite:///{out / 'study.db'}"])])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith("alignment-calibrate: error: ")
    assert key in err[0] and words in err[0]
    assert not (out / "trials.csv").exists() and not (tmp_path / "hydra").exists()
    assert base.study.n_trials == 1  # the fixture config itself is fine


def test_empty_search_space_and_added_dimensions(tmp_path):
    from alignment.fit.calibrate import check_search

    with pytest.raises(ConfigError) as err:
        check_search({})
    assert err.value.key == "search" and "empty search space" in str(err.value)
    cfg = small(tmp_path, 1, ["+search.channel_corridor={low:0.1,high:2}"])
    assert "channel_corridor" in prepare_calibration(cfg).space


def test_prepare_calibration_names_the_problem(tmp_path):
    with pytest.raises(ConfigError) as err:
        prepare_calibration(small(tmp_path, 1, ["search.dependence_aversion.high=-1"]))
    assert err.value.key == "search.dependence_aversion.low"


def test_defaults_are_the_committed_studys_best_trial():
    """configs/model defaults = results/calibration's best trial to 3 significant figures (the study of
    results/calibration/README.md; any exception would be listed and measured there)."""
    from pathlib import Path

    import yaml

    from alignment.schema import ModelParams

    root = Path(__file__).parent.parent
    best = yaml.safe_load((root / "results" / "calibration" / "model_calibrated.yaml").read_text())
    searched = yaml.safe_load((root / "configs" / "search" / "default.yaml").read_text())
    exceptions: dict = {}  # none since the observation-model study; results/calibration/README.md says so
    defaults = ModelParams()
    assert set(searched) <= set(best)
    for name in searched:
        expected = exceptions.get(name, float(f"{best[name]:.3g}"))
        assert getattr(defaults, name) == pytest.approx(expected), name
    assert "No exceptions" in (root / "results" / "calibration" / "README.md").read_text()



def test_an_interrupted_round_leaves_no_trial_running(tmp_path, monkeypatch):
    """Ctrl-C while a batch of trials runs: the asked trials are told as failed, none stays RUNNING."""
    from alignment.fit import calibrate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calibrate, "run_param_sets", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_calibration(small(tmp_path, 4, ["study.batch_trials=3"]))
    study = optuna.load_study(study_name="alignment", storage=f"sqlite:///{tmp_path / 'cal' / 'study.db'}")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 3


@pytest.mark.parametrize("args, words", [
    (["study.n_trails=3"], "study.n_trails='3': unknown key; did you mean study.n_trials or study.batch_trials?"),
    (["+study.n_trails=3"], "study.n_trails=3: unknown key; did you mean study.n_trials?"),
])
def test_a_misspelled_key_gets_a_suggestion_that_works(capsys, args, words):
    """The suggestion is the override to type (issue 10: 'add +study.n_trails=VALUE' used to be suggested, and failed)."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and words in err[0]
    fixed = words.split("did you mean ")[1].split(" or ")[0].rstrip("?")
    compose_config([f"{fixed}=3"], config_name="calibrate")  # the suggestion composes


def test_a_trial_left_running_by_a_killed_worker_stays_out_of_trials_csv(tmp_path, capsys):
    """A worker killed outright (SIGKILL, no chance to tell its trial) leaves a RUNNING trial in the storage;
    the next run's trials.csv holds only finished trials, and says so."""
    run_calibration(small(tmp_path, 1))
    study = optuna.load_study(study_name="alignment", storage=f"sqlite:///{tmp_path / 'cal' / 'study.db'}")
    study.ask()  # asked, never told
    run_calibration(small(tmp_path, 2))
    rows = (tmp_path / "cal" / "trials.csv").read_text().splitlines()
    assert len(rows) == 3 and not any("RUNNING" in r for r in rows)
    assert "1 trial(s) still RUNNING" in capsys.readouterr().err


def test_trials_asked_together_are_one_batch_of_the_engine(tmp_path, monkeypatch):
    """batch_trials=3, replicates=2: one call with 6 runs, seeds 0, 1 for each trial, then one with 2 for the last trial."""
    from alignment import runs as run

    calls = []
    original = run.run_batch

    def spy(prepared, params, seeds):
        calls.append(list(seeds))
        return original(prepared, params, seeds)

    monkeypatch.setattr(run, "run_batch", spy)
    cfg = small(tmp_path, 4, ["study.batch_trials=3", "study.replicates=2"])
    run_calibration(cfg)
    assert calls == [[0, 1, 0, 1, 0, 1], [0, 1]]
