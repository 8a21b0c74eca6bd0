"""Start-up benchmark (not a test): how long a command takes when the model's work is small, against the floor of
importing what every command needs.

    python benchmarks/bench_startup.py [--repeats 5] [--no-browser]

Side by side, in one run (median wall time of --repeats fresh processes each):
  floor        python -c "import numpy, pandas, pyarrow, scipy, mesa, hydra, omegaconf"
  help         alignment-run --help
  run 2y       alignment-run horizon.end=2016-12 (two years, no figures): composing, checking, the run, its files
  sweep rerun  alignment-sweep sweep=demo on a finished folder: plan, compare, nothing to run
  api run 2y   python -c "import alignment; alignment.run(horizon={'end': '2016-12'})"
  page ready   alignment-app started, until the classroom page in headless Chromium shows its Step button
               (server start-up included; skipped without Debian's chromium)
Each is printed with its ratio to the floor; the aims (issue 23) are within 2x for a short run and a finished
sweep's rerun, and a page ready within 4 s of starting the server.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def wall(cmd: list[str], repeats: int, cwd: Path) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def page_ready(repeats: int) -> float | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return None
    from playwright.sync_api import sync_playwright

    from alignment.app.cli import free_port, wait_until_listening

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(repeats):
            port = free_port()
            t0 = time.perf_counter()
            proc = subprocess.Popen([str(BIN / "alignment-app"), "--port", str(port)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                wait_until_listening(port, alive=lambda: proc.poll() is None)
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                page.set_default_timeout(120_000)
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_role("button", name="Step", exact=True).wait_for()
                times.append(time.perf_counter() - t0)
                page.close()
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        browser.close()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = tmp / "results"
        sweep = [str(BIN / "alignment-sweep"), "sweep=demo", f"results_dir={results}", "progress=false"]
        subprocess.run(sweep, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # finish it once
        rows = {
            "floor (imports)": [sys.executable, "-c", "import numpy, pandas, pyarrow, scipy, mesa, hydra, omegaconf"],
            "alignment-run --help": [str(BIN / "alignment-run"), "--help"],
            "alignment-run, 2 years, no figures": [str(BIN / "alignment-run"), "horizon.end=2016-12",
                                                   "horizon.drop_later_events=true", "outputs.figures=false",
                                                   f"hydra.run.dir={tmp / 'run'}"],
            "finished sweep's rerun (demo)": sweep,
            "alignment.run(), 2 years (Python API)": [sys.executable, "-c", "import alignment; alignment.run("
                                                      "horizon={'end': '2016-12', 'drop_later_events': True})"],
        }
        floor = None
        print(f"{'':<42}{'median s':>10}{'x floor':>9}")
        for name, cmd in rows.items():
            t = wall(cmd, args.repeats, REPO)
            floor = floor or t
            print(f"{name:<42}{t:>10.2f}{t / floor:>9.2f}", flush=True)
    if not args.no_browser:
        t = page_ready(max(1, args.repeats // 2))
        print(f"{'classroom page ready from server start':<42}" + (f"{t:>10.2f}" if t is not None else "   skipped (no chromium)"))


if __name__ == "__main__":
    main()
