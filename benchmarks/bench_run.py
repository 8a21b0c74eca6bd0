"""Speed benchmark (not a test): simulated months per second, and the command line's wall time.

    python benchmarks/bench_run.py [--repeats 5] [--no-cli]

Reports, for the default config (historical, 2015-01..2035-12, 7 powers):
  1. the model alone: months per second over full runs (best of --repeats);
  2. a run plus building and writing the output contract (Parquet, no figures);
  3. the same with the figures;
  4. `alignment-run -m scenario=historical,no_war_2022` end to end (fresh processes, as a user runs it).
The numbers are wall-clock and depend on the machine; the machine is printed with them.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alignment.cli import compose_config
from alignment.runs import build_model, write_run


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-cli", action="store_true")
    args = ap.parse_args()
    cfg = compose_config([])
    months = build_model(cfg).n_months
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {__import__('numpy').__version__}, mesa {__import__('mesa').__version__}")

    t_model = best_of(lambda: build_model(cfg).run(), args.repeats)
    print(f"model only:               {months} months in {t_model:.3f} s  -> {months / t_model:,.0f} simulated months/s")

    tmp = Path(tempfile.mkdtemp())
    try:
        def with_outputs(figures):
            m = build_model(cfg).run()
            write_run(m, cfg, tmp / "run", figures=figures)

        t_out = best_of(lambda: with_outputs(False), args.repeats)
        print(f"run + Parquet outputs:    {months} months in {t_out:.3f} s  -> {months / t_out:,.0f} simulated months/s")
        t_fig = best_of(lambda: with_outputs(True), max(1, args.repeats // 2))
        print(f"run + outputs + figures:  {t_fig:.2f} s per run")
        if not args.no_cli:
            exe = shutil.which("alignment-run") or str(Path(sys.executable).parent / "alignment-run")
            t = time.perf_counter()
            subprocess.run([exe, "-m", "scenario=historical,no_war_2022", f"hydra.sweep.dir={tmp / 'sweep'}"], check=True,
                           capture_output=True)
            print(f"CLI, both scenarios:      {time.perf_counter() - t:.1f} s wall (one process, two runs with figures)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
