"""alignment-experiment: every figure's config is whole, a figure reruns to its committed CSV, a finished sweep
is reused, and bad input is one line before any run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignment.cli import compose_config
from alignment.experiment.app import load_code, main
from alignment.sweeps.store import finished_ids
from alignment.sweeps.summaries import UNITS

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted(p.stem for p in (ROOT / "configs" / "experiment").glob("*.yaml"))
ISSUE_11 = ["alignment_history", "corridor_shift", "phase_diagram", "interactions", "sobol", "scenarios_2035",
            "scenario_discovery", "unga_fit"]


def test_the_figures_the_issue_names_each_have_a_config_code_and_a_committed_png_and_csv():
    for name in ISSUE_11:
        assert name in EXPERIMENTS, name
        assert (ROOT / "results" / "figures" / f"{name}.png").stat().st_size > 30_000, name
        table = pd.read_csv(ROOT / "results" / "figures" / f"{name}.csv")
        assert len(table) > 10, name


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_each_experiment_composes_and_reads_only_what_its_sweeps_keep(name):
    cfg = compose_config([f"experiment={name}"], config_name="experiment")
    assert cfg.experiment.name == name  # the config file, the code folder and the output files share the name
    code = load_code(name)
    assert callable(code.table) and callable(code.draw)
    assert cfg.experiment.sweeps, name
    for sweep, indicators in cfg.experiment.sweeps.items():
        scfg = compose_config([f"sweep={sweep}"], config_name="sweep")
        assert scfg.sweep.name == sweep
        assert set(indicators) <= set(scfg.sweep.summaries.indicators) and set(indicators) <= set(UNITS), (name, sweep)


def _run(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    return exit_.value.code, capsys.readouterr()


@pytest.mark.slow
def test_unga_fit_reruns_to_its_committed_csv_and_a_rerun_reuses_the_sweep(tmp_path, capsys):
    """The committed results/figures/unga_fit.csv is what the command produces from scratch (its sweep computed
    anew in an empty results folder); compared to the CSV's six significant digits, since another NumPy may sum
    in another order. The second call finds the sweep finished and computes nothing."""
    results = tmp_path / "results"
    main(["experiment=unga_fit", f"results_dir={results}", "progress=false"])
    first = capsys.readouterr().out
    assert "200 of 200 runs to compute" in first
    made = pd.read_csv(results / "figures" / "unga_fit.csv")
    committed = pd.read_csv(ROOT / "results" / "figures" / "unga_fit.csv")
    assert list(made.columns) == list(committed.columns) and len(made) == len(committed)
    keys = ["state", "power", "year"]
    pd.testing.assert_frame_equal(made[keys], committed[keys])
    for column in ("mean", "lo", "hi", "runs", "recorded"):
        np.testing.assert_allclose(made[column], committed[column], rtol=1e-5, equal_nan=True, err_msg=column)
    assert (results / "figures" / "unga_fit.png").stat().st_size > 30_000

    shards = {p: p.stat().st_mtime_ns for p in (results / "sweeps" / "history").rglob("part-*.parquet")}
    done = finished_ids(results / "sweeps" / "history")
    main(["experiment=unga_fit", f"results_dir={results}", "progress=false"])
    second = capsys.readouterr().out
    assert "all 200 runs found" in second and "to compute" not in second
    assert {p: p.stat().st_mtime_ns for p in (results / "sweeps" / "history").rglob("part-*.parquet")} == shards
    assert finished_ids(results / "sweeps" / "history") == done
    pd.testing.assert_frame_equal(pd.read_csv(results / "figures" / "unga_fit.csv"), made)


@pytest.fixture
def extra(tmp_path):
    """An extra config folder with broken experiments, a sweep over a scenario layered on a missing base."""
    root = tmp_path / "extra"
    (root / "experiment").mkdir(parents=True)
    (root / "sweep").mkdir()
    (root / "scenario").mkdir()
    exp = root / "experiment"
    (exp / "nosweep.yaml").write_text("# @package experiment\nname: unga_fit\nsweeps: {atlantis: [cohesion]}\n")
    (exp / "noindicator.yaml").write_text("# @package experiment\nname: unga_fit\nsweeps: {history: [weights]}\n")
    (exp / "notkept.yaml").write_text("# @package experiment\nname: unga_fit\nsweeps: {forward: [interactions]}\n")
    (exp / "nocode.yaml").write_text("# @package experiment\nname: nocode\nsweeps: {history: [cohesion]}\n")
    (exp / "orphan.yaml").write_text("# @package experiment\nname: unga_fit\nsweeps: {orphan: [cohesion]}\n")
    (root / "sweep" / "orphan.yaml").write_text("# @package _global_\nsweep:\n  name: orphan\n  scenarios: [orphan]\n  replicates: 1\n"
                                                "  summaries: {indicators: [cohesion]}\n")
    (root / "scenario" / "orphan.yaml").write_text("defaults:\n  - atlantis\n  - _self_\nlayers:\n  orphan: []\n")
    return root


@pytest.mark.parametrize("args, key, words", [
    (["experiment=nope"], "experiment='nope'", "unknown experiment; known: alignment_history, corridor_shift"),
    (["EXTRA", "experiment=nosweep"], "experiment.sweeps.atlantis", "unknown sweep; known: bench, demo"),
    (["EXTRA", "experiment=noindicator"], "experiment.sweeps.history[0]='weights'", "unknown indicator; known:"),
    (["EXTRA", "experiment=notkept"], "experiment.sweeps.forward[0]='interactions'", "sweep 'forward' does not keep it"),
    (["EXTRA", "experiment=nocode"], "experiment.name='nocode'", "no code for this experiment"),
    (["EXTRA", "experiment=orphan"], "sweep.scenarios[0]='orphan'", "is layered over 'atlantis' (its defaults list), which is not"),
    (["+experiment.options.marks.atlantis_2030=Atlantis"], "experiment.options.marks.atlantis_2030", "not an event of scenario 'historical'"),
    (["experiment=unga_fit", "experiment.options.years=[2010,2021]"], "experiment.options.years", "inside the record"),
    (["experiment=phase_diagram", "experiment.options.year=2035"], "experiment.options.year=2035", "keeps only the years [2030]"),
    (["experiment=phase_diagram", "experiment.options.x=model.atlantis"], "experiment.options.x", "not a parameter of sweep 'phase'"),
    (["experiment=scenarios_2035", "experiment.options.reference=atlantis"], "experiment.options.reference", "not a scenario"),
    (["experiment=sobol", "experiment.options.seed=0"], "experiment.options.seed=0", "SALib takes 0 for 'no seed'"),
    (["experiment.sweeps.history=[]"], "experiment.sweeps.history", "name the indicators"),
    (["experiment.options.scenario=status_quo"], "experiment.options.scenario='status_quo'",
     "not a scenario of sweep 'history': historical, no_war_2022"),
    (["experiment=unga_fit", "experiment.options.scenario=status_quo"], "experiment.options.scenario", "not a scenario of sweep"),
    (["experiment=interactions", "experiment.options.scenario=status_quo"], "experiment.options.scenario", "not a scenario of sweep"),
    (["experiment.options.band=abc"], "experiment.options.band='abc'", "expected a number, like the experiment's default 0.9"),
    (["experiment=corridor_shift", "experiment.options.band=1.5"], "experiment.options.band=1.5", "a fraction in (0, 1)"),
    (["experiment.options.scenario=[historical]"], "experiment.options.scenario", "expected a name or text"),
    (["+experiment.options.bnad=0.9"], "experiment.options.bnad=0.9", "not an option of experiment 'alignment_history'; did you mean band?"),
])
def test_bad_experiment_input_is_one_line_before_any_run(capsys, tmp_path, extra, args, key, words):
    results = tmp_path / "results"
    args = [a for arg in args for a in (["--config-dir", str(extra)] if arg == "EXTRA" else [arg])]
    code, captured = _run(capsys, *args, f"results_dir={results}")
    err = captured.err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("alignment-experiment: error: "), captured.err
    assert key in err[0] and words in err[0], err[0]
    assert not results.exists()  # nothing run, nothing written


def test_the_history_and_forward_figures_carry_a_band_of_parameter_uncertainty():
    """alignment_history and scenarios_2035 read a second sweep whose parameters are drawn from the committed
    posterior: their band adds parameter uncertainty to the random numbers, so it is no narrower on the whole."""
    history = pd.read_csv(ROOT / "results" / "figures" / "alignment_history.csv")
    assert {"post_mean", "post_lo", "post_hi", "post_runs"} <= set(history.columns)
    assert ((history.post_hi - history.post_lo) >= (history.hi - history.lo) - 1e-9).mean() > 0.8
    forward = pd.read_csv(ROOT / "results" / "figures" / "scenarios_2035.csv")
    assert {"post_diff_mean", "post_diff_lo", "post_diff_hi", "post_runs"} <= set(forward.columns)
    for name in ("history_posterior", "forward_posterior"):
        cfg = compose_config([f"sweep={name}"], config_name="sweep")
        assert cfg.sweep.design.sampler == "posterior"
        assert (ROOT / cfg.sweep.design.posterior).is_file()  # the committed default study
