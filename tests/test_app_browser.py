"""The classroom page in a real browser: alignment-app started as a user starts it, driven in headless Chromium
(Playwright with Debian's chromium; `make test` installs it). Step, a slider, a refused typed value, Play at the
default speed and Pause, a guided question, the spread, pinning a baseline, the three exports, Russian; the charts
and texts change, nothing is fetched from outside 127.0.0.1, a screenshot is kept. Then: a teacher's copied link
opened in a second browser; a question's link on a 1366 x 768 laptop; a class over the server's cap on sessions.
Set ALIGNMENT_SCREENSHOT=path to keep the screenshot there too (docs/app.png is made so)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXE = shutil.which("alignment-app") or str(Path(sys.executable).parent / "alignment-app")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@contextlib.contextmanager
def _serve(folder: Path, *args: str):
    """alignment-app on a free port, as a user starts it; yields its address once it listens."""
    from alignment.app.cli import free_port, wait_until_listening

    port = free_port()
    log = folder / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([EXE, "--port", str(port), *args], stdout=out, stderr=subprocess.STDOUT)
    try:
        if not wait_until_listening(port, alive=lambda: proc.poll() is None):
            pytest.fail("alignment-app did not start (it exited, or 120 s passed): " + log.read_text())
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with _serve(tmp_path_factory.mktemp("app")) as url:
        yield url


def _browser(p):
    if not CHROMIUM:  # in CI (CI=1, set by .ci/run) the browser test must run; elsewhere it says why it cannot
        message = "no Debian chromium on PATH: `make browser` installs it (apt-get; sudo when not root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect

    # what a page shows after a click waits as long as the click itself may (page.set_default_timeout): a question
    # loaded with the other test worker busy took over expect()'s own 5 s to show its baseline
    expect.set_options(timeout=60_000)
    return p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


WEIGHTS = re.compile(r"^Line chart: Kazakhstan's alignment weight")
CORRIDORS = re.compile(r"^Line chart: overland corridor volumes")


def _month(page) -> str:
    text = page.get_by_text(re.compile(r"(Month reached|Достигнутый месяц): \d{4}-\d{2}")).first.inner_text()
    return re.search(r"\d{4}-\d{2}", text).group(0)


def test_a_class_can_step_move_a_slider_load_a_question_and_switch_to_russian(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    hosts, failed = set(), []
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})  # a projector
        page.on("request", lambda r: hosts.add(urlparse(r.url).hostname) if r.url.startswith(("http", "ws")) else None)
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
        page.set_default_timeout(60_000)
        page.goto(server)
        step = page.get_by_role("button", name="Step", exact=True)
        step.wait_for()
        expect(page.get_by_text("No event yet")).to_be_visible()
        start = _month(page)
        assert start == "2015-01"
        chart = page.get_by_alt_text(re.compile("^Schematic map of Central Asia"))
        before = chart.screenshot()
        unga = page.get_by_alt_text(re.compile("^Scatter chart"))  # predicted against recorded UN votes: empty until a year is through
        unga_before = unga.screenshot()
        # on a projector the charts use the screen's width; every picture says what it shows
        from alignment.app.charts import DPI, LEGEND_PT

        for alt in (WEIGHTS, CORRIDORS, re.compile("^Schematic map")):
            img = page.get_by_alt_text(alt)
            shown = img.bounding_box()["width"]
            assert shown >= 700
            # the smallest type in a picture (its key), as the projector shows it: points at the picture's dpi, scaled
            # by the page from the picture's own width to its column's
            assert LEGEND_PT * DPI / 72 * shown / img.evaluate("i => i.naturalWidth") >= 14
        assert page.locator("img").count() == 5 and all(img.get_attribute("alt") for img in page.locator("img").all())
        # the map's weights are in the page's text too, each state by name
        for state in ("Kazakhstan", "Uzbekistan", "Kyrgyzstan", "Tajikistan", "Turkmenistan"):
            expect(page.get_by_role("cell", name=state, exact=True)).to_be_visible()

        t0 = time.perf_counter()
        step.click()
        expect(page.get_by_text("Month reached: 2015-02")).to_be_visible()
        redraw_s = time.perf_counter() - t0
        page.wait_for_timeout(500)
        assert chart.screenshot() != before  # the map shows the new month

        # a slider: a click three quarters along the coercion slider's track ([0, 8]) sets 6; the run starts again
        field = page.get_by_label("Push of Russian coercion: type a value [0, 8]")
        track = page.locator(".v-slider").filter(has=page.locator('[role=slider][aria-valuemax="8"]'))
        box = track.bounding_box()
        track.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
        expect(field).to_have_value("6")
        expect(page.locator('[role=slider][aria-valuemax="8"]')).to_have_attribute("aria-valuenow", "6")
        expect(page.get_by_text("Month reached: 2015-01")).to_be_visible()

        # a typed value outside the locked range is refused on the page, and the run goes on
        step.click()
        expect(page.get_by_text("Month reached: 2015-02")).to_be_visible()
        field.fill("9")
        field.press("Enter")
        expect(page.get_by_text(re.compile("Refused: coercion: .* outside \\[0, 8\\]"))).to_be_visible()
        expect(page.get_by_text("Month reached: 2015-02")).to_be_visible()
        step.click()
        expect(page.get_by_text("Month reached: 2015-03")).to_be_visible()

        # Play runs on by itself at the default speed (a year a second); Pause stops it
        expect(page.get_by_text("Speed: 12 months a second")).to_be_visible()
        page.get_by_role("button", name="Play", exact=True).click()
        t0 = time.time()
        while _month(page) < "2023-01":  # a month is on screen for a moment only: not to be waited for by name
            assert time.time() - t0 < 10, f"Play reached only {_month(page)} in 10 s"
            page.wait_for_timeout(50)
        play_s = time.time() - t0
        page.get_by_role("button", name="Pause", exact=True).click()
        page.wait_for_timeout(1500)
        paused = _month(page)
        page.wait_for_timeout(1500)
        assert _month(page) == paused >= "2023-01"

        # a guided question sets the scenario and pins its baseline
        card = page.locator(".v-card", has_text="What would the Middle Corridor be without the war?")
        card.get_by_role("button", name="Load this question").click()
        expect(page.get_by_text("baseline: historical")).to_be_visible()
        expect(page.get_by_text("Month reached: 2015-01")).to_be_visible()
        for _ in range(21):
            step.click()
        expect(page.get_by_text("Month reached: 2016-10")).to_be_visible(timeout=90_000)  # each click redraws: they queue
        expect(page.get_by_text("Mirziyoyev succeeds Karimov")).to_be_visible()  # the event feed
        page.wait_for_timeout(500)
        assert unga.screenshot() != unga_before  # 2015's votes, now the run has been through that year

        # the spread: 20 seeds on the engine, drawn as bands behind the run
        weights = page.get_by_alt_text(WEIGHTS)
        page.wait_for_timeout(500)
        before = weights.screenshot()
        page.get_by_role("button", name="Show the spread (20 seeds)").click()
        t0 = time.time()
        while weights.screenshot() == before:  # about a second on the reference machine
            assert time.time() - t0 < 30, "the spread did not appear in 30 s"
            page.wait_for_timeout(250)
        # another baseline: remove the question's, pin this run
        page.get_by_role("button", name="Remove the baseline").click()
        page.get_by_role("button", name="Pin this run as the baseline").click()
        expect(page.get_by_text("baseline: no_war_2022")).to_be_visible()

        # the exports: the run so far as CSV, the charts as PNG, the command that reproduces it
        files = {}
        for label in ("Data (CSV)", "Charts (PNG)", "Reproduce (alignment-run)"):
            with page.expect_download() as download:
                page.get_by_text(label, exact=True).click()
            files[label] = Path(download.value.path()).read_bytes()
        csv_lines = files["Data (CSV)"].decode().splitlines()
        assert csv_lines[0] == "date,indicator,entity,partner,value,unit" and csv_lines[-1].startswith("2016-09,")
        assert files["Charts (PNG)"][:4] == b"\x89PNG"
        assert "alignment-run scenario=no_war_2022 seed=42 horizon.end=2035-12" in files["Reproduce (alignment-run)"].decode()

        # Russian
        page.get_by_role("button", name="Язык: русский").click()
        expect(page.get_by_role("button", name="Шаг", exact=True)).to_be_visible()
        expect(page.get_by_text("Достигнутый месяц: 2016-10")).to_be_visible()
        expect(page.get_by_text("Вопросы для урока")).to_be_visible()
        expect(page.get_by_text("Мирзиёев сменяет Каримова")).to_be_visible()  # the events' notes too
        page.wait_for_timeout(1500)
        shot = tmp_path / "app.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("ALIGNMENT_SCREENSHOT"):
            shutil.copy(shot, os.environ["ALIGNMENT_SCREENSHOT"])
        browser.close()
    assert shot.stat().st_size > 50_000
    assert hosts <= {"127.0.0.1"}, hosts  # offline: every asset from the app's own server...
    assert not failed, failed  # ...and every one of them found there
    print(f"one Step, click to new month on screen: {redraw_s:.2f} s; Play from 2015-03 to 2023-01: {play_s:.1f} s")


def test_a_teachers_copied_link_opens_the_same_page_in_another_browser(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        teacher = browser.new_context(viewport={"width": 1920, "height": 1080}, permissions=["clipboard-read", "clipboard-write"])
        page = teacher.new_page()
        page.set_default_timeout(60_000)
        page.goto(server)
        page.get_by_role("button", name="Step", exact=True).wait_for()
        # each change waits for the address to show it: the page has then been drawn again with it, and the next
        # field typed into is not redrawn under the typing
        seed = page.get_by_label("Seed (random numbers)")
        seed.fill("5")
        seed.press("Enter")
        page.wait_for_url(re.compile(r"seed=5"))
        field = page.get_by_label("Push of Russian coercion: type a value [0, 8]")
        field.fill("3")
        field.press("Enter")
        page.wait_for_url(re.compile(r"model\.coercion_weight=3"))
        expect(page.locator('[role=slider][aria-valuemax="8"]')).to_have_attribute("aria-valuenow", "3")
        page.get_by_label("State", exact=True).click(force=True)  # the menu opens on its field; its text lies over it
        page.get_by_role("option", name="Tajikistan").click()
        page.wait_for_url(re.compile(r"state=TJK"))
        page.get_by_role("button", name="Язык: русский").click()
        expect(page.get_by_role("button", name="Шаг", exact=True)).to_be_visible()
        page.get_by_role("button", name="Копировать ссылку").click()
        expect(page.get_by_role("button", name="Скопировано")).to_be_visible()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.url  # the address bar follows the page as well
        assert copied.startswith(server) and "seed=5" in copied and "model.coercion_weight=3" in copied, copied
        assert "state=TJK" in copied and "lang=ru" in copied, copied

        student = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        student.set_default_timeout(60_000)
        student.goto(copied)
        expect(student.get_by_role("button", name="Шаг", exact=True)).to_be_visible(timeout=60_000)
        expect(student.get_by_label("Зерно (случайные числа)")).to_have_value("5")
        expect(student.locator('[role=slider][aria-valuemax="8"]')).to_have_attribute("aria-valuenow", "3")
        expect(student.get_by_alt_text(re.compile("^График: вес ориентации Таджикистан"))).to_be_visible()
        assert student.url == copied
        browser.close()


def test_a_questions_link_shows_its_card_beside_its_chart_on_a_laptop_and_names_what_it_ignored(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(60_000)
        page.goto(server + "?question=2&colour=red")
        card = page.locator(".v-card", has_text="Question 2: What makes Kazakhstan tilt?")
        expect(card).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Ignored from the link: colour=red (unknown parameter)")).to_be_visible()
        chart = page.get_by_alt_text(WEIGHTS)
        expect(chart).to_be_visible()
        page.wait_for_timeout(500)
        for box in (card.bounding_box(), chart.bounding_box()):  # both on the screen at once, without scrolling
            assert box["y"] >= 0 and box["y"] + box["height"] <= 768 and box["x"] + box["width"] <= 1366, box
        assert page.url == server + "?question=2"  # what was ignored is gone from the address
        expect(page.locator('[role=slider][aria-valuemax="8"]')).to_have_attribute("aria-valuenow", "6")  # the question's preset
        browser.close()


def test_a_student_over_the_servers_cap_sees_that_the_class_is_full(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with _serve(tmp_path, "--max-sessions", "1", "--idle-minutes", "0.05") as url, sync_playwright() as p:
        browser = _browser(p)
        first = browser.new_context().new_page()
        first.set_default_timeout(60_000)
        first.goto(url)
        first.get_by_role("button", name="Step", exact=True).wait_for()
        second = browser.new_context().new_page()
        second.set_default_timeout(60_000)
        second.goto(url)
        expect(second.get_by_text("The class is full").first).to_be_visible(timeout=60_000)
        expect(second.get_by_text("This server takes 1 sessions at once")).to_be_visible()
        assert second.get_by_role("button", name="Step", exact=True).count() == 0
        # the first student leaves: 3 s later (--idle-minutes 0.05) the seat is free, and Try again takes it
        first.context.close()
        second.wait_for_timeout(6000)
        second.get_by_role("button", name=re.compile("^Try again")).click()
        expect(second.get_by_role("button", name="Step", exact=True)).to_be_visible(timeout=60_000)
        browser.close()
