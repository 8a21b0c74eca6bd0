"""Simulations per second inside alignment-infer, and the default study's wall time (not a test).

    python benchmarks/bench_infer.py [--sims 500] [--study]

Side by side, in one run, on the same prior draws (2015-01..2021-12, the 446 calibration targets as summaries):

- one at a time: the engine with B = 1 per parameter set, as a simulator handed to sbi's ``simulate_for_sbi``
  (or any sampler that asks for one simulation at a time) would run it;
- chunks of the study (``infer.chunk``, 250 by default) in this process, and through the local executor on every core.

With ``--study`` it also runs the default study (``alignment-infer``: 20,000 simulations, the estimator, the
200-simulation calibration check and the predictive check) into a temporary folder and reports its wall time
and the parts its diagnostics record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from alignment.cli import compose_config
from alignment.fit import infer as I


def rate(cfg, inf, n: int, chunk: int, workers: int) -> float:
    """Simulations (with their summaries) per second for ``n`` prior draws in chunks of ``chunk`` on ``workers``."""
    from omegaconf import open_dict

    from alignment.sweeps.executors import executor

    with open_dict(cfg):
        cfg.infer.chunk = chunk
        cfg.executor.workers = workers
    tasks = I.plan_chunks(cfg.infer, "train", n, None, inf)
    text = __import__("omegaconf").OmegaConf.to_yaml(cfg, resolve=True)
    for t in tasks:
        t["cfg"] = text
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with executor(cfg.executor, Path(tmp)) as run:
            done = sum(len(r["z"]) for r in run(I.simulate_chunk, tasks))
        return done / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=500)
    ap.add_argument("--study", action="store_true")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, numpy {np.__version__}")
    cfg = compose_config(["infer.progress=false"], config_name="infer")
    inf = I.prepare_inference(cfg)
    print(f"{len(inf.names)} parameters, {len(inf.targets)} targets; {args.sims} prior draws, 2015-01..2021-12")
    one = rate(cfg, inf, min(args.sims, 100), 1, 1)
    print(f"  one at a time (B = 1), this process:  {one:7.1f} simulations/s")
    for chunk, workers in ((250, 1), (250, cores)):
        r = rate(cfg, inf, args.sims if workers == 1 else 2 * args.sims, chunk, workers)
        print(f"  chunks of {chunk}, {workers} worker(s):      {r:7.1f} simulations/s ({r / one:.1f}x one at a time)")
    if args.study:
        with tempfile.TemporaryDirectory() as tmp:
            exe = Path(sys.executable).parent / "alignment-infer"
            t0 = time.perf_counter()
            subprocess.run([str(exe), f"infer.results_dir={tmp}", "infer.progress=false"], check=True, capture_output=True)
            wall = time.perf_counter() - t0
            diag = json.loads((Path(tmp) / "inference" / "default" / "diagnostics.json").read_text())
        s = diag["seconds"]
        print(f"default study: {wall / 60:.1f} min wall ({diag['simulations']:,} + {diag['sbc_simulations']} + "
              f"{diag['predictive_simulations']} simulations: {s['simulate']:.0f} s simulating, {s['train']:.0f} s training, "
              f"{s['diagnose']:.0f} s sampling and calibration check)")


if __name__ == "__main__":
    main()
