"""Speed benchmark (not a test) of the classroom app: what a class waits for.

    python benchmarks/bench_app.py [--steps 24] [--no-browser]

Reports:
  1. one Step on the server: the month stepped and the three pictures that change every month (map, weights,
     corridors) drawn to PNG, as the page sends them, with a baseline and the spread behind the run (median over
     --steps steps), side by side: the figures drawn whole each month, and the page's live charts (the frame kept,
     only the run's lines drawn over it);
  2. "Show the spread": 20 seeds of the current settings, 2015-2035, on the engine in one batch (cold: the
     first time these settings are run; warm: again);
  3. in a browser (headless Chromium, if Debian's chromium is installed): a click on Step until the new month
     and the new map are on the page, against a running alignment-app (median of 10 clicks).
The numbers are wall-clock and depend on the machine; the machine is printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from alignment.app import charts
from alignment.app.classroom import load_classroom
from alignment.app.session import Session, _prepare


def png(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.tell()


def server_side(steps: int) -> None:
    session = Session(load_classroom())
    session.step(60)
    session.pin_baseline("historical")  # as in a guided question: a baseline and the spread behind the run
    session.run_band()
    live = {name: charts.LiveChart(name) for name in ("map", "weights", "corridors")}
    ways = {  # the month's three pictures drawn whole (as the first version of the page did), or over kept frames
        "whole figures": lambda: [png(charts.draw_map(session, "en")), png(charts.draw_weights(session, "KAZ", "en")),
                                  png(charts.draw_corridors(session, "en"))],
        "live charts": lambda: [len(live["map"].png(session, "en")), len(live["weights"].png(session, "KAZ", "en")),
                                len(live["corridors"].png(session, "en"))],
    }
    for way, draw in ways.items():
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            session.step(1)
            draw()
            times.append(time.perf_counter() - t)
        print(f"one Step, stepped and its 3 pictures drawn to PNG ({way}): median {statistics.median(times):.3f} s, "
              f"max {max(times):.3f} s")
    print(f"  live charts' frames drawn whole over those {steps} months: {sum(c.frames_built for c in live.values())}")
    session.set_value("coercion", 2.5)  # settings not run before: the spread composes and builds them first
    t = time.perf_counter()
    session.run_band()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        session.run_band()
        warm.append(time.perf_counter() - t)
    print(f"the spread, {session.classroom.band_seeds} seeds 2015-2035: {cold:.2f} s cold, {statistics.median(warm):.2f} s warm "
          f"(prepared configs cached: {_prepare.cache_info().currsize})")


def in_browser(clicks: int = 10) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("in a browser: skipped (no Debian chromium; `make test` installs it)")
        return
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = shutil.which("alignment-app") or str(Path(sys.executable).parent / "alignment-app")
    proc = subprocess.Popen([exe, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while time.time() - t0 < 120:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 1800})
            page.set_default_timeout(60_000)
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            step = page.get_by_role("button", name="Step", exact=True)
            step.wait_for()
            first = time.perf_counter() - t
            times = []
            for k in range(clicks):
                page.wait_for_timeout(300)
                before = page.evaluate("() => document.images[0].src")
                t = time.perf_counter()
                step.click()
                # the new month's text and the map's new picture, polled every animation frame (expect() backs off to
                # 1 s between looks and would round the time up)
                page.wait_for_function(f"""before => document.body.innerText.includes('Month reached: 2015-{k + 2:02d}')
                                           && document.images[0].src !== before && document.images[0].complete""",
                                       arg=before, polling="raf")
                times.append(time.perf_counter() - t)
            browser.close()
        print(f"in a browser: page ready {first:.1f} s after opening; a click on Step until the new month and map are shown: "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    server_side(args.steps)
    if not args.no_browser:
        in_browser()


if __name__ == "__main__":
    main()
