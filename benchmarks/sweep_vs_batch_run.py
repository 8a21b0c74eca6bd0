"""Speed benchmark (not a test): alignment-sweep against mesa.batch_run on the same 1,000 runs.

    python benchmarks/sweep_vs_batch_run.py [--workers 2] [--skip-memory]

1. `alignment-sweep sweep=bench` (configs/sweep/bench.yaml: 2 scenarios x 125 points x 4 replicates, 2015-2035)
   on 2 worker processes and on 1, end to end as a user runs it (process start, planning, writing Parquet);
2. the same 1,000 runs (parameters, scenarios, seeds) through `mesa.batch_run(number_processes=2)` with the
   Mesa model and a DataCollector, as a Mesa user would run them; the indicator values of both are compared;
3. one run's simulated months per second through the engine at B = 1;
4. peak memory (largest process) of a 100-run and a 10,000-run sweep.
The last line is `ratio: X`, batch_run's wall time over the sweep's. Numbers depend on the machine, printed first.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa
import numpy as np

from alignment.model import AlignmentModel

EXE = shutil.which("alignment-sweep") or str(Path(sys.executable).parent / "alignment-sweep")
YEARS = (2025, 2030, 2035)


# ----------------------------------------------------------------------------- the Mesa side
@functools.lru_cache(maxsize=4)
def _prepared(scenario: str):
    from alignment.cli import compose_config
    from alignment.runs import prepare

    return prepare(compose_config([f"scenario={scenario}"]))


@functools.lru_cache(maxsize=2)
def _runs(path: str):
    import pandas as pd

    return pd.read_parquet(path).set_index("run_id")


def _yearly(model, key, year, *index):
    rows = slice(year * 12 - model.start, (year + 1) * 12 - model.start)
    return float(model.rec[key][(rows,) + index].mean())


class BatchRunModel(AlignmentModel):
    """The Mesa model as a Mesa user hands it to batch_run: keyword parameters and a DataCollector collecting every step."""

    def __init__(self, run_id: str, runs_file: str):
        row = _runs(runs_file).loc[run_id]
        p = _prepared(row.scenario)
        params = dataclasses.replace(p.params, **{k[len("model."):]: float(row[k]) for k in row.index if k.startswith("model.")})
        super().__init__(p.world, params, p.events, p.start, p.end, seed=int(row.seed))
        kaz, rus, mid = self.state_index["KAZ"], self.power_index["RUS"], self.corridor_index["MIDDLE"]
        ew = self.world.markets.index("EAST_WEST")
        reporters = {}
        for y in YEARS:
            done = (y + 1) * 12  # a year's mean is reported once the year is over
            reporters[f"kaz_rus_{y}"] = lambda m, y=y, d=done: _yearly(m, "weights", y, kaz, rus) if m.month >= d else float("nan")
            reporters[f"middle_{y}"] = lambda m, y=y, d=done: _yearly(m, "share", y, ew, mid) if m.month >= d else float("nan")
            reporters[f"cohesion_{y}"] = lambda m, y=y, d=done: _yearly(m, "cohesion", y) if m.month >= d else float("nan")
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    def step(self):
        super().step()
        self.datacollector.collect(self)


def batch_run_side(runs_file: Path, workers: int):
    import pandas as pd
    from mesa.batchrunner import batch_run

    ids = pd.read_parquet(runs_file).run_id.tolist()
    t = time.perf_counter()
    out = batch_run(BatchRunModel, parameters={"run_id": ids, "runs_file": str(runs_file)}, number_processes=workers,
                    iterations=1, max_steps=10_000, data_collection_period=-1, display_progress=False)
    return time.perf_counter() - t, pd.DataFrame(out).set_index("run_id")


# ----------------------------------------------------------------------------- the sweep side
def sweep(results: Path, workers: int, *extra) -> tuple[float, float]:
    """(wall seconds of the command, seconds of its run loop as it reports them)."""
    t = time.perf_counter()
    out = subprocess.run([EXE, "sweep=bench", f"results_dir={results}", f"executor.workers={workers}", "progress=false", *extra],
                         check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t
    loop = float(re.search(r"runs computed in ([0-9.]+) s", out).group(1))
    return wall, loop


def peak_rss_mib(results: Path, *extra) -> float:
    """Largest resident set of any process of the command (driver or worker), MiB."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    cmd = [EXE, "sweep=bench", f"results_dir={results}", "progress=false", *extra]
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024


def engine_months_per_second(repeats: int = 5) -> float:
    from alignment.engine import simulate

    p = _prepared("historical")
    best = min(_timed(lambda: simulate(p.world, [p.params], [p.events], p.start, p.end, [0])) for _ in range(repeats))
    return (p.end - p.start + 1) / best


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, "
          f"mesa {mesa.__version__}")
    tmp = Path(tempfile.mkdtemp())
    try:
        t2, loop2 = sweep(tmp / "two", args.workers)
        t1, loop1 = sweep(tmp / "one", 1)
        root = tmp / "two" / "sweeps" / "bench"
        from alignment.sweeps.store import read_runs, read_summaries

        runs = read_runs(root)
        runs.to_parquet(tmp / "runs.parquet")
        n = len(runs)
        tb, mesa_out = batch_run_side(tmp / "runs.parquet", args.workers)
        s = read_summaries(root)
        pick = {"kaz_rus": (s.indicator == "alignment_weight") & (s.entity == "KAZ") & (s.partner == "RUS"),
                "middle": (s.indicator == "corridor_share") & (s.entity == "MIDDLE") & (s.partner == "EAST_WEST"),
                "cohesion": s.indicator == "cohesion"}
        worst = 0.0
        for name, mask in pick.items():
            for y in YEARS:
                mine = s[mask & (s.year == y)].set_index("run_id").value
                theirs = mesa_out.loc[mine.index, f"{name}_{y}"]
                np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-12)
                worst = max(worst, float(np.max(np.abs(mine.to_numpy() - theirs.to_numpy()))))
        print(f"same indicator values: {len(pick) * len(YEARS)} indicators x {n} runs agree (largest difference {worst:.1e})")
        print(f"mesa.batch_run, {args.workers} processes: {n} runs in {tb:6.1f} s  -> {n / tb:7.1f} runs/s")
        print(f"alignment-sweep, 1 worker:      {n} runs in {t1:6.1f} s  -> {n / t1:7.1f} runs/s end to end, "
              f"{n / loop1:6.1f} runs/s in the run loop")
        print(f"alignment-sweep, {args.workers} workers:     {n} runs in {t2:6.1f} s  -> {n / t2:7.1f} runs/s end to end, "
              f"{n / loop2:6.1f} runs/s in the run loop")
        print(f"parallel efficiency on {args.workers} workers: {t1 / (args.workers * t2):.0%} end to end (process start, "
              f"planning and worker start-up included), {loop1 / (args.workers * loop2):.0%} in the run loop")
        print(f"engine, one run (B = 1):        {engine_months_per_second():,.0f} simulated months/s")
        if not args.skip_memory:
            small = peak_rss_mib(tmp / "m100", "sweep.name=m100", "sweep.design.n=25", "sweep.replicates=2", f"executor.workers={args.workers}")
            t = time.perf_counter()
            big = peak_rss_mib(tmp / "m10k", "sweep.name=m10k", "sweep.design.n=1250", "sweep.replicates=4", f"executor.workers={args.workers}")
            tbig = time.perf_counter() - t
            print(f"peak memory (largest process): 100 runs {small:.0f} MiB, 10,000 runs {big:.0f} MiB (x{big / small:.2f}); "
                  f"the 10,000-run sweep took {tbig:.0f} s ({10_000 / tbig:.0f} runs/s)")
        print(f"ratio: {tb / t2:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
