"""Speed benchmark (not a test) of the classroom app: what a class waits for.

    python benchmarks/bench_app.py [--steps 24] [--no-browser] [--players 8] [--clicks 20]

Reports:
  1. one Step on the server: the month stepped and the three pictures that change every month (map, weights,
     corridors) drawn to PNG, as the page sends them, with a baseline and the spread behind the run (median over
     --steps steps), side by side: the figures drawn whole each month, and the page's live charts (the frame kept,
     only the run's lines drawn over it);
  2. "Show the spread": 20 seeds of the current settings, 2015-2035, on the engine in one batch (cold: the
     first time these settings are run; warm: again);
  3. in a browser (headless Chromium, if Debian's chromium is installed): a click on Step until the new month
     and the new map are on the page, against a running alignment-app (median of 10 clicks);
  4. a class at once: --players sessions (browser contexts on 127.0.0.1) playing at the default speed, and one
     more session's Step timed as in 3 (--clicks clicks: median and 95th percentile); the server's memory (RSS)
     before, with every session open, and after they close and are culled (the server runs with --idle-minutes
     0.05). The browser runs on the same 2 cores as the server: the figure is what one machine serving and
     showing a class gives, an upper bound on what the server alone costs.
The numbers are wall-clock and depend on the machine; the machine is printed with them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import shutil
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


@contextlib.contextmanager
def serving(*args: str):
    """alignment-app on a free port, as a user starts it (with ``args``); yields (process, address) once it listens."""
    from alignment.app.cli import free_port, wait_until_listening

    port = free_port()
    exe = shutil.which("alignment-app") or str(Path(sys.executable).parent / "alignment-app")
    proc = subprocess.Popen([exe, "--port", str(port), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port, alive=lambda: proc.poll() is None)
        yield proc, f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def in_browser(clicks: int = 10) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("in a browser: skipped (no Debian chromium; `make test` installs it)")
        return
    from playwright.sync_api import sync_playwright

    with serving() as (proc, url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 1800})
            page.set_default_timeout(60_000)
            t = time.perf_counter()
            page.goto(url)
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


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _step_click(page, step) -> float:
    """One click on Step, until the page shows the next month and a new map (polled every animation frame)."""
    month = page.evaluate("() => document.body.innerText.match(/Month reached: (\\d{4})-(\\d{2})/).slice(1).map(Number)")
    year, m = month[0] + (month[1] == 12), month[1] % 12 + 1
    before = page.evaluate("() => document.querySelector('img[alt^=\"Schematic map\"]').src")
    t = time.perf_counter()
    step.click()
    page.wait_for_function(f"""before => document.body.innerText.includes('Month reached: {year}-{m:02d}')
                               && document.querySelector('img[alt^="Schematic map"]').src !== before""",
                           arg=before, polling="raf", timeout=60_000)
    return time.perf_counter() - t


def a_class(players: int, clicks: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("a class at once: skipped (no Debian chromium; `make test` installs it)")
        return
    from playwright.sync_api import sync_playwright

    with serving("--idle-minutes", "0.05") as (proc, url):
        time.sleep(3)  # the warm-up's first page
        rss0 = _rss_mb(proc.pid)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-background-timer-throttling",
                                                                        "--disable-renderer-backgrounding"])
            contexts, pages = [], []
            for _ in range(players + 1):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(url)
                page.get_by_role("button", name="Step", exact=True).wait_for()
                contexts.append(context)
                pages.append(page)
            *playing, me = pages
            step = me.get_by_role("button", name="Step", exact=True)
            alone = [_step_click(me, step) for _ in range(5)]
            month_of = "() => document.body.innerText.match(/Month reached: (\\d{4})-(\\d{2})/).slice(1).map(Number)"
            for page in playing:
                page.get_by_role("button", name="Play", exact=True).click()
            time.sleep(2)
            t_start, start = time.perf_counter(), [page.evaluate(month_of) for page in playing]
            restarts = [0] * players
            times = []
            for k in range(clicks):
                me.wait_for_timeout(300)
                times.append(_step_click(me, step))
                if k % 5 == 4:  # players at the horizon start again: the class goes on playing
                    for n, page in enumerate(playing):
                        if "reached its horizon" in page.evaluate("() => document.body.innerText"):
                            page.get_by_role("button", name="Reset", exact=True).click()
                            page.get_by_role("button", name="Play", exact=True).click()
                            restarts[n] += 1
            end = [page.evaluate(month_of) for page in playing]
            elapsed = time.perf_counter() - t_start
            # months each player moved on while the clicks were timed (a restart counts its run to the horizon)
            moved = [(e[0] * 12 + e[1]) - (s_[0] * 12 + s_[1]) + r * (2036 - 2015) * 12 for s_, e, r in zip(start, end, restarts)]
            rss_open = _rss_mb(proc.pid)
            for context in contexts:
                context.close()
            browser.close()
        time.sleep(12)  # 3 s of --idle-minutes, and Solara's own closing
        rss_closed = _rss_mb(proc.pid)
        import json
        import urllib.request

        with urllib.request.urlopen(f"{url}resourcez") as r:
            kernels = json.load(r)["kernels"]["total"]
        # a second class in the same server, as over a school day: its sessions open, play a little and close
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            again = []
            for _ in range(players + 1):
                page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
                page.set_default_timeout(120_000)
                page.goto(url)
                page.get_by_role("button", name="Play", exact=True).click()
                again.append(page)
            time.sleep(10)
            browser.close()
        time.sleep(12)
        rss_second = _rss_mb(proc.pid)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"a class at once: with {players} sessions playing, another session's Step until its new month and map are shown: "
              f"median {statistics.median(times):.2f} s, 95th percentile {p95:.2f} s, max {times[-1]:.2f} s ({clicks} clicks; "
              f"alone, before they played: median {statistics.median(alone):.2f} s)")
        print(f"  the players moved on {min(moved) / elapsed:.1f} to {max(moved) / elapsed:.1f} months a second meanwhile "
              f"(12 is the default speed: a run keeps to the clock and shows fewer frames when many play)")
        print(f"  server memory (RSS): {rss0:.0f} MB before, {rss_open:.0f} MB with {players + 1} sessions open "
              f"({(rss_open - rss0) / (players + 1):.0f} MB a session), {rss_closed:.0f} MB after they closed "
              f"({kernels} sessions left on the server), {rss_second:.0f} MB after a second class of {players + 1} came and went")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--players", type=int, default=8, help="sessions playing while another one's Step is timed")
    ap.add_argument("--clicks", type=int, default=20)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    server_side(args.steps)
    if not args.no_browser:
        in_browser()
        a_class(args.players, args.clicks)


if __name__ == "__main__":
    main()
