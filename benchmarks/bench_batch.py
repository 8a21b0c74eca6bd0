"""How the engine scales with the batch axis (not a test).

    python benchmarks/bench_batch.py [--batch 1 16 256 1024] [--repeats 3]

Times whole runs (historical, 2015-01..2035-12, 252 months, default parameters, seeds 0..B-1) of the
engine for B runs stepped together, as a sweep steps them (yearly records of the demo's indicators,
no ledger) and as validation steps them (every monthly record and the ledger), and reports runs and
run-months per second, best of --repeats.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from alignment.cli import compose_config
from alignment.engine import simulate
from alignment.runs import prepare
from alignment.sweeps.summaries import records_needed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16, 256, 1024])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}")
    p = prepare(compose_config([]))
    months = p.end - p.start + 1
    sweep_like = dict(record=records_needed(["alignment_weight", "corridor_share", "cohesion"]), ledger=False, yearly=True)
    for label, options in (("sweep-like (yearly records, no ledger)", sweep_like), ("full (monthly records, ledger)", {})):
        print(label)
        for B in args.batch:
            best = float("inf")
            for _ in range(args.repeats):
                t = time.perf_counter()
                simulate(p.world, [p.params] * B, [p.events] * B, p.start, p.end, list(range(B)), **options)
                best = min(best, time.perf_counter() - t)
            print(f"  B={B:5d}: {B / best:8.1f} runs/s  {B * months / best:>10,.0f} run-months/s")


if __name__ == "__main__":
    main()
