"""The classroom page (Solara): controls in the sidebar; the question being worked on beside the chart it asks
about; the map with its weights as a table, the charts, the event feed, the guided questions and the Info panel in
the main area. Every number comes from the page's :class:`~alignment.app.session.Session`; this module only lays
it out, keeps the address in step with it (alignment/app/link.py) and passes the clicks on.

Served by ``alignment-app`` (alignment/app/cli.py), which sets ALIGNMENT_CLASSROOM to the classroom file,
ALIGNMENT_PUBLIC_URL to the address students open, and ALIGNMENT_MAX_SESSIONS to the cap on sessions.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace

import markdown
import solara
import solara.lab

from alignment.app import charts, link
from alignment.app.classroom import load_classroom
from alignment.app.pace import PACE
from alignment.app.seats import seats, take_for_this_session
from alignment.app.session import Session, trailing_mean
from alignment.app.text import INFO, event_note, name, t
from alignment.app.widgets import Address, ChartImage, CopyLink
from alignment.world.calendar import parse_month

_CLASSROOM = None
# the page's own rules: the sidebar a fixed width, the charts share the rest; the table's numbers line up
CSS = """
.alignment-table { border-collapse: collapse; font-size: 0.9em; }
.alignment-table th, .alignment-table td { padding: 1px 8px; text-align: right; border-bottom: 1px solid #ddd; }
.alignment-table th:first-child, .alignment-table td:first-child { text-align: left; }
.alignment-link { font-family: monospace; font-size: 0.85em; word-break: break-all; }
"""
PROJECTOR_CSS = "html { font-size: 20px !important; } .v-application { font-size: 1.25rem; }"


def Md(text: str, style=None):
    """Markdown turned into HTML here: solara.Markdown would load KaTeX (for formulas the page has none of) from a CDN."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text), style=style)


def classroom():
    """The classroom file the server was started with, read and checked once per process."""
    global _CLASSROOM
    if _CLASSROOM is None:
        _CLASSROOM = load_classroom(os.environ.get("ALIGNMENT_CLASSROOM") or None)
    return _CLASSROOM


def public_url() -> str:
    return os.environ.get("ALIGNMENT_PUBLIC_URL", "http://127.0.0.1:8765").rstrip("/")


@solara.component
def Chart(live: charts.LiveChart, session: Session, tick: solara.Reactive, generation: int, options: tuple, keys: list, alt,
          keywords: dict | None = None, yearly: bool = False):
    """One of the page's pictures, as wide as its column, drawn again only when the month (``tick``, read here so
    that a new month redraws the pictures and the month's text, not the whole page; or the year, ``yearly``), the
    session's ``generation`` (given, so that a new spread or baseline redraws it) or its ``keys`` change, and then
    mostly only the run's own lines (charts.LiveChart). ``alt(session)`` says what it shows."""
    month = tick.value
    dependencies = [charts._unga_year(session) if yearly else month, generation, *keys]
    src = solara.use_memo(lambda: ChartImage.data_url(live.png(session, *options, **(keywords or {}))), dependencies)
    ChartImage.element(src=src, alt=alt(session))


@solara.component
def Month(session: Session, tick: solara.Reactive, generation: int, lang: str):
    tick.value  # noqa: B018 - read, to be drawn again each month
    Md(f"**{t('date', lang)}: {session.date}**" + (f" — {t('finished', lang)}" if session.finished else ""))


@solara.component
def Table(session: Session, tick: solara.Reactive, generation: int, lang: str):
    tick.value  # noqa: B018
    solara.HTML(tag="div", unsafe_innerHTML=weights_table(session, lang))


@solara.component
def Feed(session: Session, tick: solara.Reactive, generation: int, lang: str):
    tick.value  # noqa: B018
    Md(f"**{t('events', lang)}**")
    feed = session.events_reached()
    if not feed:
        solara.Text(t("no_events", lang))
    for date, event_id, note in feed[:8]:
        Md(f"`{date}` {event_note(event_id, note, lang)}")


@solara.component
def Controls(session: Session, version: int, finished: bool, lang: str, refresh, playing: bool, set_playing, view, set_view,
             message, set_message, spreading: bool, spread):
    """The sidebar. ``version`` (the session's generation) changes with the settings, ``finished`` at the horizon:
    reacton redraws a component when a value it is given changes, and does not count a new callback as a change,
    so the sidebar is not redrawn on every Step."""
    c = session.classroom
    end_year = parse_month(c.horizon_end, "horizon_end") // 12

    def act(why):
        with PACE.answering():
            set_message(t("refused", lang, why=why) if why else "")
            refresh()

    def step():
        with PACE.answering():
            session.step(1)
            refresh()

    solara.Select(label=t("scenario", lang), values=c.scenarios, value=session.settings.scenario,
                  on_value=lambda v: act(session.set_scenario(v)))
    solara.InputInt(label=t("seed", lang), value=session.settings.seed, on_value=lambda v: act(session.set_seed(v)),
                    continuous_update=False)
    with solara.Row():
        solara.Button(t("step", lang), on_click=step, disabled=session.finished, color="primary")
        solara.Button(t("pause", lang) if playing else t("play", lang), on_click=lambda: set_playing(not playing),
                      disabled=session.finished and not playing)
        solara.Button(t("reset", lang), on_click=lambda: (set_playing(False), session.reset(), act(None)))
    years = {t("to_end", lang, year=c.horizon_end): None}
    years.update({str(y): y for y in range(2016, end_year + 1)})
    label = next(k for k, v in years.items() if v == view.to)
    solara.Select(label=t("play_to", lang), values=list(years), value=label, on_value=lambda v: set_view(replace(view, to=years[v])))
    Md(f"**{t('speed', lang, n=view.speed)}**", style={"margin-bottom": "-18px"})
    speeds = list(link.SPEEDS)
    solara.SliderValue(label="", value=view.speed, values=speeds, on_value=lambda v: set_view(replace(view, speed=int(v))))
    for control in c.controls.values():
        value = session.settings.values[control.name]
        Md(f"**{control.label[lang]}** ({control.unit[lang]})", style={"margin-bottom": "-18px"})
        solara.SliderFloat(label="", value=value, min=control.min, max=control.max, step=control.step, thumb_label=True,
                           on_value=lambda v, n=control.name: act(session.set_value(n, v)))
        solara.InputText(label=f"{control.label[lang]}: {t('typed', lang)} [{control.min:g}, {control.max:g}]",
                         value=f"{value:g}", continuous_update=False,
                         on_value=lambda v, n=control.name: act(session.set_value(n, v.replace(",", "."))))
    if message:
        solara.Warning(message)
    # the seeds run on a worker thread: the page, and Play, go on meanwhile
    solara.Button(t("spreading" if spreading else "spread", lang, n=c.band_seeds), on_click=spread, outlined=True, disabled=spreading)
    solara.ProgressLinear(spreading)
    if session.baseline is None:
        solara.Button(t("pin", lang), on_click=lambda: (session.pin_baseline(), refresh()), outlined=True)
    else:
        solara.Text(t("baseline", lang, name=session.baseline["scenario"]))
        solara.Button(t("unpin", lang), on_click=lambda: (session.unpin(), refresh()), text=True)


@solara.component
def Exports(session: Session, version: int, state: str, lang: str, weights: dict):
    Md(f"**{t('export', lang)}**")
    with solara.Row(style={"flex-wrap": "wrap"}):  # three buttons side by side are wider than the sidebar
        solara.FileDownload(lambda: session.export_csv().encode(), filename="alignment_run.csv", label=t("export_csv", lang))

        def charts_png():  # on a worker thread (FileDownload): the run must not move on while it is drawn
            with session.lock:
                return session.export_png(charts.draw_all(session, state, lang, **weights))

        solara.FileDownload(charts_png, filename="alignment_charts.png", label=t("export_png", lang))
        solara.FileDownload(lambda: session.export_config().encode(), filename="reproduce.txt", label=t("export_config", lang))


def weights_table(session: Session, lang: str) -> str:
    """The map's stacked bars as numbers: each state by name, its weight on each power (12-month means, percent)."""
    s = session.series()
    w = session.model.world
    now = trailing_mean(s.weights)[-1] if len(s.years) else session.model.weights
    head = "".join(f"<th>{name(p, lang)}</th>" for p in w.powers)
    rows = "".join(f"<tr><td>{name(code, lang)}</td>" + "".join(f"<td>{100 * now[i, j]:.0f} %</td>" for j in range(len(w.powers)))
                   + "</tr>" for i, code in enumerate(w.states))
    return (f"<table class='alignment-table'><caption style='caption-side: top; text-align: left'>"
            f"{t('table', lang, date=session.date)}</caption><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>")


@solara.component
def Questions(session: Session, version: int, lang: str, start_question):
    Md(f"### {t('questions', lang)}")
    c, states = session.classroom, list(session.model.world.states)
    for q in c.questions.values():
        with solara.Card(q.title[lang]):
            Md(f"*{t('look_for', lang)}:* {q.look_for[lang]}")
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Button(t("load", lang), on_click=lambda q=q: start_question(q.name), outlined=True)
                url = f"{public_url()}/?{link.encode(link.preset(c, states, q.name), c, states)}"  # ?question=N
                CopyLink.element(url=url, label=t("question_link", lang), copied=t("copied", lang))
                solara.HTML(tag="span", unsafe_innerHTML=url, classes=["alignment-link"])


@solara.component
def Page():
    """The classroom, in a seat of the server's (alignment-app --max-sessions); a tab over the cap sees a page that
    says the class is full, and takes a seat when one is free and Try again is pressed."""
    retry = solara.use_reactive(0)
    retry.value  # noqa: B018 - read, so that Try again draws the page again
    if take_for_this_session():
        return Classroom()
    with solara.Column(style={"max-width": "640px", "margin": "48px auto"}):
        for lang in ("en", "ru"):
            solara.HTML(tag="h2", unsafe_innerHTML=t("full_title", lang))
            solara.Text(t("full_body", lang, n=seats().limit))
        solara.Button(t("try_again", "en") + " / " + t("try_again", "ru"), on_click=lambda: retry.set(retry.value + 1),
                      color="primary")


@solara.component
def Classroom():
    router = solara.use_router()
    c = classroom()
    session = solara.use_memo(lambda: Session(c), [])
    world = session.model.world
    end_year = parse_month(c.horizon_end, "horizon_end") // 12
    states, powers = list(world.states), list(world.powers)

    def opened() -> link.Link:
        """The page as its address says (once, when the tab opens)."""
        got = link.parse(router.search, c, states, powers, end_year)
        if got != link.defaults(c, states):
            session.apply(got.scenario, got.seed, got.values, got.question)
        return got

    first = solara.use_memo(opened, [])
    view, set_view = solara.use_state(replace(first, ignored=()))  # what the page shows; settings live in session
    lang, state = view.lang, view.state
    # a new month redraws what reads ``tick`` (the pictures, the month, the table, the feed), not the whole page;
    # the page itself is drawn again when the run starts again or reaches its end
    tick = solara.use_reactive(0)
    generation, set_generation = solara.use_state(session.generation)
    finished, set_finished = solara.use_state(session.finished)
    playing, set_playing = solara.use_state(False)
    message, set_message = solara.use_state(t("ignored", first.lang, what="; ".join(first.ignored)) if first.ignored else "")
    live = solara.use_memo(lambda: {n: charts.LiveChart(n) for n in charts.CHARTS}, [])
    spread = solara.lab.use_task(session.run_band, dependencies=None)  # started by "Show the spread", on a thread
    weights = {"smooth": view.smooth, "highlight": tuple(view.powers)}

    def refresh():
        tick.set(tick.value + 1)
        set_generation(session.generation)
        set_finished(session.finished)

    if spread.finished:  # the spread's band arrived on its thread: its generation is new
        set_generation(session.generation)

    # the address follows the page (widgets.Address): settings from the session, the rest from the view
    s = session.settings
    now = replace(view, scenario=s.scenario, seed=s.seed, values=dict(s.values))
    query = link.encode(now, c, states)

    async def play():
        """Months at ``view.speed`` a second by the clock to January of ``view.to``; redrawn as often as
        :data:`~alignment.app.pace.PACE` allows while other sessions play too."""
        if not playing:
            return
        me = object()
        PACE.start(me)
        try:
            stop = view.to * 12 if view.to and view.to * 12 > session.month else None
            last = drawn = time.perf_counter()
            owed = 0.0
            while not session.finished and (stop is None or session.month < stop):
                await asyncio.sleep(max(0.05, PACE.interval() - (time.perf_counter() - drawn)))
                moment = time.perf_counter()
                owed, last = owed + (moment - last) * view.speed, moment
                months = int(owed)
                if months and PACE.claim():  # else the frame is skipped: the months wait for the next one
                    try:
                        owed -= months
                        session.step(months if stop is None else min(months, stop - session.month))
                        drawn = time.perf_counter()
                        refresh()
                        PACE.record(me, time.perf_counter() - drawn)
                    finally:
                        PACE.release()
        finally:
            PACE.stop(me)
        set_playing(False)

    solara.lab.use_task(play, dependencies=[playing, view.speed, view.to], prefer_threaded=False)

    def start_question(question: str):
        set_playing(False)
        q = c.questions[question]
        session.load_question(question)
        set_view(replace(view, question=question, state=q.state or states[0], powers=tuple(q.powers)))
        set_message("")
        refresh()

    def weights_alt(session):
        w = session.series().weights
        top = name(powers[int(w[-1, states.index(state)].argmax())], lang) if len(w) else "-"
        return t("alt_weights", lang, state=name(state, lang), date=session.date, top=top)

    def corridors_alt(session):
        v, corridors = session.series().volume_mt, list(world.corridors)
        now_ = ", ".join(f"{name(k, lang)} {v[-1, corridors.index(k)]:.1f} Mt" for k in ("NORTHERN", "MIDDLE")) if len(v) else "-"
        return t("alt_corridors", lang, date=session.date, now=now_)

    def chart(which: str):
        """A picture of the page by name, with what it depends on and its alt text."""
        if which == "map":
            return Chart(live["map"], session, tick, generation, (lang,), [lang], lambda s: t("alt_map", lang, date=s.date))
        if which == "weights":
            return Chart(live["weights"], session, tick, generation, (state, lang), [lang, state, view.smooth, tuple(view.powers)], weights_alt,
                         weights)
        if which == "corridors":
            return Chart(live["corridors"], session, tick, generation, (lang,), [lang], corridors_alt)
        if which == "interactions":  # the current year's count grows month by month
            return Chart(live["interactions"], session, tick, generation, (lang,), [lang], lambda s: t("alt_interactions", lang))
        # the UN votes change once a year, and only to 2021: a month without a new year of votes draws nothing
        return Chart(live["unga"], session, tick, generation, (lang,), [lang], lambda s: t("alt_unga", lang), yearly=True)

    solara.Title(t("title", lang))
    Address.element(query=query)
    solara.Style(CSS + (PROJECTOR_CSS if view.projector else ""))
    with solara.Row(style={"align-items": "center", "background": "#1f4e79", "color": "white", "padding": "6px 16px",
                           "flex-wrap": "wrap"}):
        solara.HTML(tag="h2", unsafe_innerHTML=t("title", lang), style={"margin": "0", "flex-grow": "1", "color": "white"})
        CopyLink.element(url=f"{public_url()}/" + (f"?{query}" if query else ""), label=t("copy_link", lang), copied=t("copied", lang))
        with solara.Div(style={"background": "white", "border-radius": "4px", "padding": "0 8px", "margin": "0 12px"}):
            solara.Checkbox(label=t("projector", lang), value=view.projector, on_value=lambda v: set_view(replace(view, projector=v)))
        solara.Button(t("language", lang), on_click=lambda: set_view(replace(view, lang="ru" if lang == "en" else "en")),
                      outlined=True, style={"color": "white"})
    with solara.Row(style={"padding": "8px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
        with solara.Column(style={"width": "330px", "flex": "none"}):
            Controls(session, generation, finished, lang, refresh, playing, set_playing, view, set_view, message,
                     set_message, spread.pending, spread)
            Exports(session, generation, state, lang, weights)
        with solara.Column(style={"flex": "1 1 0", "min-width": "0"}):
            Month(session, tick, generation, lang)
            focus = None
            if view.question is not None:
                q = c.questions[view.question]
                focus = q.chart
                with solara.Columns([2, 3]):
                    with solara.Card(f"{t('question_now', lang)} {link.question_number(c, q.name)}: {q.title[lang]}"):
                        Md(f"*{t('look_for', lang)}:* {q.look_for[lang]}")
                        solara.Button(t("close_question", lang), on_click=lambda: set_view(replace(view, question=None)), text=True)
                    chart(focus)
            with solara.Columns([1, 1]):
                with solara.Column():
                    if focus != "map":
                        chart("map")
                    Table(session, tick, generation, lang)
                with solara.Column():
                    Feed(session, tick, generation, lang)
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                # by name in the page's language; the charts and the question presets key on the codes
                by_state = {name(code, lang): code for code in states}
                by_power = {name(code, lang): code for code in powers}
                solara.Select(label=t("state", lang), values=list(by_state), value=name(state, lang),
                              on_value=lambda v: set_view(replace(view, state=by_state[v])))
                solara.SelectMultiple(t("highlight", lang), values=[name(p, lang) for p in view.powers], all_values=list(by_power),
                                      on_value=lambda vs: set_view(replace(view, powers=tuple(by_power[v] for v in vs))))
                solara.Checkbox(label=t("smooth", lang), value=view.smooth, on_value=lambda v: set_view(replace(view, smooth=v)))
            rest = [n for n in ("weights", "corridors", "interactions", "unga") if n != focus]
            for pair in (rest[:2], rest[2:]):
                with solara.Columns([1] * len(pair)):
                    for n in pair:
                        chart(n)
            Questions(session, generation, lang, start_question)
            with solara.Details(t("info", lang), expand=False):
                for head, body in INFO[lang]:
                    Md(f"**{head}** {body}")
