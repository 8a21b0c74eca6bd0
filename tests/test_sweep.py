"""alignment-sweep: designs, the plan's seeds and ids, the dataset, resume, failures, executors, reproduction."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.sweeps import design
from alignment.sweeps.cli import main, prepare_sweep, run_sweep
from alignment.sweeps.plan import replicate_seed
from alignment.sweeps.store import SweepStore, read_runs, read_summaries

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("alignment-sweep") or str(Path(sys.executable).parent / "alignment-sweep")
# a small sweep: 1 scenario x 4 points x 2 replicates over 2015-2016, batches of 3
SMALL = ["sweep.name=small", "sweep.scenarios=[historical]", "sweep.design.n=4", "sweep.replicates=2", "sweep.batch_size=3",
         "horizon.end=2016-12", "horizon.drop_later_events=true", "progress=false", "executor.workers=1"]


def small(tmp_path, *extra):
    return compose_config([*SMALL, f"results_dir={tmp_path / 'results'}", *extra], config_name="sweep")


def files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("part-*.parquet"))}


# ----------------------------------------------------------------------------- designs
def space(sampler, **kw):
    params = {"model.a": {"low": 0.1, "high": 10.0, "log": True}, "model.b": {"low": 0.0, "high": 1.0}, "model.c": {"low": 2, "high": 3}}
    params.update(kw)
    return design.check_parameters(params, sampler)


def test_design_sizes_follow_each_samplers_arithmetic():
    """D = 3: sobol N * (D + 2) = 8 * 5 = 40 (second order: 8 * 8 = 64); morris N * (D + 1) = 4 * 4 = 16; latin n;
    grid levels ** D = 27; list zips."""
    assert len(design.points(space("sobol"), "sobol", 8, 4, False, 0)) == 40
    assert len(design.points(space("sobol"), "sobol", 8, 4, True, 0)) == 64
    assert len(design.points(space("morris"), "morris", 4, 4, False, 0)) == 16
    assert len(design.points(space("latin"), "latin", 7, 4, False, 0)) == 7
    assert len(design.points(space("grid"), "grid", 0, 3, False, 0)) == 27
    listed = design.check_parameters({"model.a": {"values": [1, 2, 3]}, "model.b": {"values": [4, 5, 6]}}, "list")
    assert design.points(listed, "list", 0, 0, False, 0).values.tolist() == [[1, 4], [2, 5], [3, 6]]


def test_log_ranges_are_sampled_in_log_space_within_bounds():
    x = design.points(space("latin"), "latin", 200, 4, False, 0)
    assert x["model.a"].between(0.1, 10.0).all() and x["model.b"].between(0, 1).all()
    assert abs(np.median(np.log10(x["model.a"]))) < 0.15  # half the points below 1, the geometric middle of 0.1..10
    grid = design.points(space("grid"), "grid", 0, 3, False, 0)
    assert sorted(grid["model.a"].unique()) == pytest.approx([0.1, 1.0, 10.0])


def test_sobol_points_extend_as_n_grows():
    """A larger Sobol sample starts with the smaller one: the runs already done keep their ids."""
    a = design.points(space("sobol"), "sobol", 8, 4, False, 0)
    b = design.points(space("sobol"), "sobol", 16, 4, False, 0)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy()[:40])


@pytest.mark.parametrize("sampler, n, levels, words", [("sobol", 10, 4, "power of 2"), ("morris", 4, 3, "even number of levels"),
                                                       ("latin", 0, 4, "n >= 1"), ("morris", 1, 4, "n >= 2")])
def test_sample_sizes_a_sampler_cannot_use(sampler, n, levels, words):
    with pytest.raises(ConfigError, match=words):
        design.points(space(sampler), sampler, n, levels, False, 0)


# ----------------------------------------------------------------------------- the plan
def test_seeds_are_common_random_numbers_and_ids_stable_as_the_sweep_grows(tmp_path):
    plan = prepare_sweep(small(tmp_path))
    by_rep = {}
    for r in plan.runs:
        by_rep.setdefault(r.replicate, set()).add(r.seed)
    assert by_rep == {0: {replicate_seed(0, 0)}, 1: {replicate_seed(0, 1)}}  # replicate r: one seed at every point
    assert len({r.run_id for r in plan.runs}) == len(plan.runs) == 8
    bigger = prepare_sweep(small(tmp_path, "sweep.design.sampler=sobol", "sweep.design.n=2"))
    more = prepare_sweep(small(tmp_path, "sweep.design.sampler=sobol", "sweep.design.n=4", "sweep.replicates=3"))
    old = {r.run_id: r for r in bigger.runs}
    kept = [r for r in more.runs if r.run_id in old]
    assert len(kept) == len(bigger.runs)  # every earlier run is still in the grown sweep ...
    assert all(old[r.run_id] == r for r in kept)  # ... with the same seed, values and overrides


def test_every_run_carries_the_overrides_that_reproduce_it(tmp_path):
    plan = prepare_sweep(small(tmp_path))
    r = plan.runs[3]
    text = r.overrides.split()
    assert text[0] == "scenario=historical" and text[-1] == f"seed={r.seed}"
    for key, value in r.values:
        assert f"{key}={value!r}" in text


# ----------------------------------------------------------------------------- the dataset
def test_a_small_sweep_writes_the_dataset_and_a_rerun_computes_nothing(tmp_path):
    out = run_sweep(small(tmp_path))
    root = out["root"]
    assert out["ran"] == 8 and out["failed"] == 0
    runs = read_runs(root)
    assert len(runs) == 8 and (runs.status == "ok").all() and runs.error.isna().all()
    assert list(runs.columns[:6]) == ["run_id", "point_id", "point", "scenario", "replicate", "seed"]
    s = read_summaries(root)
    assert list(s.columns) == ["run_id", "scenario", "seed", "replicate", "model.logit_scale_usd", "model.max_capacity_growth_share",
                               "model.threat_urgency", "indicator", "entity", "partner", "year", "value", "unit"]
    assert set(s.year) == {2015, 2016} and set(s.indicator) == {"corridor_share", "corridor_volume_mt", "alignment_weight",
                                                                "multialignment_index", "cohesion", "interactions"}
    w = s[(s.indicator == "alignment_weight")].groupby(["run_id", "entity", "year"]).value.sum()
    np.testing.assert_allclose(w, 1.0, atol=1e-12)  # yearly means of weights stay on the simplex
    manifest = json.loads((root / "manifest.json").read_text())
    assert [d["runs"] for d in manifest["designs"]] == [8]
    assert manifest["problem"]["names"] == ["model.logit_scale_usd", "model.max_capacity_growth_share", "model.threat_urgency"]
    assert manifest["versions"]["mesa"].startswith("3.") and "commit" in manifest["git"]
    before = files(root)
    again = run_sweep(small(tmp_path))
    assert again["ran"] == 0 and files(root) == before


def test_an_interrupted_sweep_resumes_to_the_uninterrupted_dataset(tmp_path, monkeypatch):
    whole = run_sweep(small(tmp_path / "a"))["root"]
    writes = []
    original = SweepStore.write

    def write_then_stop(self, result):
        original(self, result)
        writes.append(result.shard)
        if len(writes) == 1:
            raise KeyboardInterrupt  # Ctrl-C after the first batch

    monkeypatch.setattr(SweepStore, "write", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(small(tmp_path / "b"))
    part = small(tmp_path / "b").results_dir
    assert len(read_runs(Path(part) / "sweeps" / "small")) == 3
    monkeypatch.setattr(SweepStore, "write", original)
    resumed = run_sweep(small(tmp_path / "b"))
    assert resumed["ran"] == 5
    pd.testing.assert_frame_equal(read_summaries(resumed["root"]), read_summaries(whole))
    pd.testing.assert_frame_equal(read_runs(resumed["root"]), read_runs(whole))
    assert files(resumed["root"]) == files(whole)  # the same shards, byte for byte


def test_a_batch_killed_between_its_two_files_is_computed_again(tmp_path):
    root = run_sweep(small(tmp_path))["root"]
    whole = files(root)
    victim = sorted((root / "runs").glob("part-*.parquet"))[0]
    lost = len(pd.read_parquet(victim))
    victim.unlink()  # the summaries shard is there, the mark of completion is not
    (root / "summaries" / ".stray.parquet.partial").write_bytes(b"half")
    assert run_sweep(small(tmp_path))["ran"] == lost
    assert files(root) == whole and not list((root / "summaries").glob(".*"))


def test_another_configuration_is_not_mixed_into_a_sweep(tmp_path):
    import re

    from alignment.schema import ModelParams

    run_sweep(small(tmp_path))
    other = 0.061 if ModelParams().noise_scale != 0.061 else 0.062
    with pytest.raises(ConfigError, match=re.escape(f"another configuration (model.noise_scale: {ModelParams().noise_scale} -> {other})")):
        run_sweep(small(tmp_path, f"model.noise_scale={other}"))
    with pytest.raises(ConfigError, match="seed"):
        run_sweep(small(tmp_path, "sweep.seed=1"))


def test_two_processes_cannot_write_one_sweep(tmp_path):
    root = tmp_path / "s"
    with SweepStore(root, "s"):
        with pytest.raises(ConfigError, match="another alignment-sweep is writing"):
            with SweepStore(root, "s"):
                pass
    with SweepStore(root, "s"):  # released when the first one ends
        pass


def test_duckdb_reads_the_dataset_without_pandas(tmp_path):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is a test extra")
    root = run_sweep(small(tmp_path))["root"]
    q = duckdb.sql(f"SELECT scenario, year, avg(value) AS v FROM read_parquet('{root}/summaries/*.parquet') "
                   "WHERE indicator = 'cohesion' GROUP BY scenario, year ORDER BY year").df()
    s = read_summaries(root, filters=[("indicator", "==", "cohesion")]).groupby(["scenario", "year"], as_index=False).value.mean()
    np.testing.assert_allclose(q.v, s.value, rtol=1e-12)


# ----------------------------------------------------------------------------- failures
def test_a_run_that_goes_non_finite_is_recorded_failed_and_its_batch_goes_on(tmp_path):
    from alignment.sweeps.runner import make_task, run_task

    plan = prepare_sweep(small(tmp_path))
    group, runs = plan.batches({r.run_id for r in plan.runs})[0]
    task = make_task(plan, group, runs)
    task.params[1] = __import__("dataclasses").replace(task.params[1], gdp_growth_pct_per_year=1e300)  # trade overflows from 2022
    task.prepared = type(task.prepared)(task.prepared.world, task.prepared.params, task.prepared.events, task.prepared.start,
                                        2022 * 12 + 2, 0)
    result = run_task(task)
    status = result.runs.column("status").to_pylist()
    assert status == ["ok", "failed", "ok"]
    error = result.runs.column("error").to_pylist()[1]
    assert error.startswith("non-finite ") and error.endswith(" from 2022")  # GDP data end in 2021; growth starts in 2022
    assert set(result.summaries.column("run_id").to_pylist()) == {runs[0].run_id, runs[2].run_id}


def test_a_run_that_raises_fails_alone(tmp_path, monkeypatch):
    """The batch raises; its runs are retried one by one and only the run at fault is marked failed."""
    from alignment.sweeps import runner

    plan = prepare_sweep(small(tmp_path))
    bad_seed = plan.runs[1].seed
    original = runner.simulate

    def fragile(world, params, events, start, end, seeds, **options):
        if bad_seed in seeds and plan.runs[1].values[0][1] in [q.logit_scale_usd for q in params]:
            raise FloatingPointError("boom")
        return original(world, params, events, start, end, seeds, **options)

    monkeypatch.setattr(runner, "simulate", fragile)
    out = run_sweep(small(tmp_path))
    runs = read_runs(out["root"])
    failed = runs[runs.status == "failed"]
    assert out["failed"] == 1 and failed.run_id.tolist() == [plan.runs[1].run_id]
    assert failed.error.iloc[0] == "FloatingPointError: boom"
    assert plan.runs[1].run_id not in set(read_summaries(out["root"]).run_id) and len(runs) == 8


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("override, key, words", [
    ("+sweep.parameters.model.threat_urgncy={low:0,high:1}", "sweep.parameters.model.threat_urgncy", "did you mean model.threat_urgency"),
    ("+sweep.parameters.horizon={end:{low:0,high:1}}", "sweep.parameters.horizon.end", "only model"),
    ("sweep.parameters.model.threat_urgency.low=8", "sweep.parameters.model.threat_urgency.high", "empty range"),
    ("sweep.parameters.model.threat_urgency.low=9", "sweep.parameters.model.threat_urgency.low", "must be below high"),
    ("sweep.design.sampler=halton", "sweep.design.sampler", "allowed samplers"),
    ("sweep.design.sampler=sobol", "sweep.design.n", "power of 2"),
    ("sweep.replicates=0", "sweep.replicates", ">= 1"),
    ("sweep=nope", "sweep", "unknown sweep; known: bench, demo, forecast_2026_2030, forward"),
    ("executor=dask", "executor", "unknown executor; known: local, ray, slurm"),
    ("sweep.summaries.indicators=[weights]", "sweep.summaries.indicators[0]", "unknown indicator"),
    ("sweep.scenarios=[historical,atlantis]", "sweep.scenarios[1]", "unknown scenario"),
    ("sweep.parameters.model.max_capacity_growth_share.high=1.5", "model.max_capacity_growth_share", "must be in [0, 1]"),
])
def test_bad_sweep_input_is_one_line_before_anything_runs(capsys, tmp_path, override, key, words):
    results = tmp_path / "results"
    with pytest.raises(SystemExit) as exit_:
        main([override, f"results_dir={results}", "sweep.design.n=3"] if "sobol" not in override else [override, f"results_dir={results}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith("alignment-sweep: error: "), err
    assert key in err[0] and words in err[0], err[0]
    assert not results.exists()


def test_a_ray_address_that_does_not_answer_fails_in_seconds(capsys, tmp_path):
    t = time.perf_counter()
    with pytest.raises(SystemExit):
        main(["executor=ray", "executor.address=127.0.0.1:9", "executor.connect_timeout_s=1", f"results_dir={tmp_path}"])
    err = capsys.readouterr().err
    assert "executor.address='127.0.0.1:9': no Ray cluster answers there within 1 s" in err
    assert time.perf_counter() - t < 10 and not (tmp_path / "sweeps").exists()


@pytest.mark.parametrize("where, words", [("file", "is a file; choose a directory"), ("/proc/alignment-results", "cannot be written")])
def test_a_results_dir_that_cannot_be_written(capsys, tmp_path, where, words):
    if where == "file":
        (tmp_path / "r").write_text("not a folder")
        where = str(tmp_path / "r" / "deeper")
    with pytest.raises(SystemExit):
        main([f"results_dir={where}", "sweep.design.n=3"])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"results_dir='{where}'" in err[0] and words in err[0]


# ----------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_a_sweep_row_is_reproduced_by_alignment_run(tmp_path):
    """The overrides a runs row records, given to alignment-run, give the same yearly values."""
    from alignment.outputs import read_timeseries

    results = tmp_path / "results"
    r = subprocess.run([EXE, *SMALL, f"results_dir={results}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    root = results / "sweeps" / "small"
    row = read_runs(root).iloc[5]
    assert row.overrides.startswith("horizon.end=2016-12 horizon.drop_later_events=true scenario=historical")
    run_dir = tmp_path / "run"
    cmd = [str(Path(EXE).parent / "alignment-run"), *row.overrides.split(), "outputs.figures=false", "outputs.summary=false",
           f"hydra.run.dir={run_dir}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    ts = read_timeseries(run_dir / "timeseries.parquet")
    mine = read_summaries(root)
    mine = mine[(mine.run_id == row.run_id) & (mine.indicator != "interactions")]
    theirs = ts.groupby(["indicator", "entity", "partner", "year"], dropna=False, as_index=False).value.mean()
    merged = mine.merge(theirs, on=["indicator", "entity", "partner", "year"], suffixes=("_sweep", "_run"))
    assert len(merged) == len(mine) == 2 * 52  # 2 years x (6 corridor shares + 5 volumes + 35 weights + 5 indices + cohesion)
    np.testing.assert_allclose(merged.value_sweep, merged.value_run, rtol=1e-12, atol=1e-15)
    from alignment.outputs import read_interactions

    led = read_interactions(run_dir / "interactions.parquet")
    counts = read_summaries(root)
    counts = counts[(counts.run_id == row.run_id) & (counts.indicator == "interactions")]
    for (scope, kind, year), v in counts.set_index(["entity", "partner", "year"]).value.items():
        assert v == ((led.intraregional == (scope == "intraregional")) & (led.kind == kind) & (led.year == year)).sum()


@pytest.mark.slow
def test_one_worker_two_workers_ray_and_slurm_give_the_same_dataset(tmp_path):
    """The same shards, byte for byte, whichever executor ran the batches (Ray: a local instance on 127.0.0.1)."""
    datasets = {}
    for name, extra in {"one": ["executor.workers=1"], "two": ["executor.workers=2"],
                        "ray": ["executor=ray", "executor.workers=2"],
                        "slurm": ["executor=slurm", "executor.cluster=local", "executor.poll_s=0.2"]}.items():
        results = tmp_path / name
        r = subprocess.run([EXE, *SMALL[:-1], *extra, f"results_dir={results}"], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (name, r.stderr[-2000:])
        datasets[name] = files(results / "sweeps" / "small")
    assert len(datasets["one"]) == 6  # 3 batches x (runs, summaries)
    for name in ("two", "ray", "slurm"):
        assert datasets[name] == datasets["one"], name


@pytest.mark.slow
def test_the_demo_sweep_and_its_figure(tmp_path):
    results = tmp_path / "results"
    r = subprocess.run([EXE, f"results_dir={results}", "executor.workers=2"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "sweep 'demo': 240 runs, 0 done, 240 to run" in r.stdout and "240 runs computed" in r.stdout
    assert "run/s" in r.stderr  # the progress bar: runs done, rate, time left
    dry = subprocess.run([EXE, f"results_dir={results}", "sweep.dry_run=true", "sweep.replicates=4"], capture_output=True, text=True,
                         timeout=600)
    assert "320 runs" in dry.stdout and "240 done, 80 to run" in dry.stdout and "estimated time" in dry.stdout
    assert "extends the folder's design (sweep.replicates: 3 -> 4): keeps its 240 runs, adds 80; run with sweep.extend=true" in dry.stdout
    assert "probes of a 60-run batch for 12 and 48 months" in dry.stdout  # a whole batch of the sweep, beyond its first year
    fig = subprocess.run([str(Path(EXE).with_name("alignment-experiment")), "experiment=demo_sweep", f"results_dir={results}",
                          f"figures_dir={tmp_path / 'fig'}"], capture_output=True, text=True, timeout=600)
    assert fig.returncode == 0, fig.stderr[-2000:]
    assert "all 240 runs found" in fig.stdout  # the figure reuses the finished sweep
    table = pd.read_csv(tmp_path / "fig" / "demo_sweep.csv")
    assert set(table.panel) == {"middle_share_by_year", "middle_share_2025", "kaz_weight_on_rus_by_year"}
    assert (tmp_path / "fig" / "demo_sweep.png").stat().st_size > 30_000
    by_year = table[table.panel == "middle_share_by_year"].set_index(["scenario", "year"])["median"]
    assert by_year["historical", 2025] > 1.5 * by_year["no_war_2022", 2025]  # the war's corridor shift, in the median run


def test_hydra_flags_still_reach_hydra(capsys, tmp_path):
    """A plain command line runs the pre-checked config directly; --cfg job goes through the Hydra app and runs nothing."""
    main(["--cfg", "job", f"results_dir={tmp_path}", "sweep.replicates=7"])
    out = capsys.readouterr().out
    assert "replicates: 7" in out and "name: demo" in out
    assert not (tmp_path / "sweeps").exists()
