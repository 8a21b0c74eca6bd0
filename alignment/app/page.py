"""The classroom page (Solara): controls in the sidebar; the map, the charts, the event feed, the guided questions
and the Info panel in the main area. Every number comes from the page's :class:`~alignment.app.session.Session`;
this module only lays it out and passes the clicks on.

Served by ``alignment-app`` (alignment/app/cli.py), which sets ALIGNMENT_CLASSROOM to the classroom file.
"""

from __future__ import annotations

import asyncio
import os

import markdown
import solara
import solara.lab

from alignment.app import charts
from alignment.app.classroom import load_classroom
from alignment.app.session import Session
from alignment.app.text import INFO, event_note, name, t

_CLASSROOM = None


def Md(text: str, style=None):
    """Markdown turned into HTML here: solara.Markdown would load KaTeX (for formulas the page has none of) from a CDN."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text), style=style)


def classroom():
    """The classroom file the server was started with, read and checked once per process."""
    global _CLASSROOM
    if _CLASSROOM is None:
        _CLASSROOM = load_classroom(os.environ.get("ALIGNMENT_CLASSROOM") or None)
    return _CLASSROOM


@solara.component
def Chart(live: charts.LiveChart, session: Session, options: tuple, dependencies: list, keywords: dict | None = None):
    """One of the page's pictures, drawn again only when its dependencies change, and then mostly only the run's
    own lines (charts.LiveChart)."""
    png = solara.use_memo(lambda: live.png(session, *options, **(keywords or {})), dependencies)
    solara.Image(png, format="png")


@solara.component
def Controls(session: Session, version: int, finished: bool, lang: str, refresh, playing: bool, set_playing, speed: int, set_speed, message,
             set_message, spreading: bool, spread):
    """The sidebar. ``version`` (the session's generation) changes with the settings, ``finished`` at the horizon:
    reacton redraws a component when a value it is given changes, and does not count a new callback as a change,
    so the sidebar is not redrawn on every Step."""
    c = session.classroom

    def act(why):
        set_message(t("refused", lang, why=why) if why else "")
        refresh()

    solara.Select(label=t("scenario", lang), values=c.scenarios, value=session.settings.scenario,
                  on_value=lambda v: act(session.set_scenario(v)))
    solara.InputInt(label=t("seed", lang), value=session.settings.seed, on_value=lambda v: act(session.set_seed(v)),
                    continuous_update=False)
    with solara.Row():
        solara.Button(t("step", lang), on_click=lambda: (session.step(1), refresh()), disabled=session.finished, color="primary")
        solara.Button(t("pause", lang) if playing else t("play", lang), on_click=lambda: set_playing(not playing),
                      disabled=session.finished and not playing)
        solara.Button(t("reset", lang), on_click=lambda: (set_playing(False), session.reset(), act(None)))
    Md(f"**{t('speed', lang)}**", style={"margin-bottom": "-18px"})
    solara.SliderInt(label="", value=speed, min=1, max=12, on_value=set_speed, thumb_label=True)
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


@solara.component
def Questions(session: Session, version: int, lang: str, refresh, set_playing, set_message, set_state, set_highlight):
    Md(f"### {t('questions', lang)}")
    for q in session.classroom.questions.values():
        with solara.Card(q.title[lang]):
            Md(f"*{t('look_for', lang)}:* {q.look_for[lang]}")

            def load(q=q):
                set_playing(False)
                session.load_question(q.name)
                set_state(q.state or session.model.world.states[0])
                set_highlight(list(q.powers))
                set_message("")
                refresh()

            solara.Button(t("load", lang), on_click=load, outlined=True)


@solara.component
def Page():
    lang, set_lang = solara.use_state("en")
    tick = solara.use_reactive(0)  # counts the redraws the session asks for
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(1)
    state, set_state = solara.use_state("KAZ")
    message, set_message = solara.use_state("")
    smooth, set_smooth = solara.use_state(True)
    highlight, set_highlight = solara.use_state([])
    session = solara.use_memo(lambda: Session(classroom()), [])
    live = solara.use_memo(lambda: {name: charts.LiveChart(name) for name in charts.CHARTS}, [])
    spread = solara.lab.use_task(session.run_band, dependencies=None)  # started by "Show the spread", on a thread
    weights = {"smooth": smooth, "highlight": tuple(highlight)}

    def refresh():
        tick.set(tick.value + 1)

    async def play():
        while playing and not session.finished:
            await asyncio.sleep(0.25)
            session.step(speed)
            refresh()
        if session.finished:
            set_playing(False)

    solara.lab.use_task(play, dependencies=[playing, speed], prefer_threaded=False)

    solara.Title(t("title", lang))
    with solara.Row(style={"align-items": "center", "background": "#1f4e79", "color": "white", "padding": "6px 16px"}):
        solara.HTML(tag="h2", unsafe_innerHTML=t("title", lang), style={"margin": "0", "flex-grow": "1", "color": "white"})
        solara.Button(t("language", lang), on_click=lambda: set_lang("ru" if lang == "en" else "en"), outlined=True,
                      style={"color": "white"})
    with solara.Columns([1, 3], style={"padding": "8px"}):
        with solara.Column():
            Controls(session, session.generation, session.finished, lang, refresh, playing, set_playing, speed, set_speed, message, set_message,
                     spread.pending, spread)
            Exports(session, session.generation, state, lang, weights)
        with solara.Column():
            Md(f"**{t('date', lang)}: {session.date}**" + (f" — {t('finished', lang)}" if session.finished else ""))
            with solara.Columns([3, 2]):
                Chart(live["map"], session, (lang,), [tick.value, session.generation, lang])
                with solara.Column():
                    Md(f"**{t('events', lang)}**")
                    feed = session.events_reached()
                    if not feed:
                        solara.Text(t("no_events", lang))
                    for date, event_id, note in feed[:8]:
                        Md(f"`{date}` **{event_id}**: {event_note(event_id, note, lang)}")
            with solara.Columns([1, 1]):
                with solara.Column():
                    with solara.Row():
                        # by name in the page's language; the charts and the question presets key on the codes
                        states = {name(code, lang): code for code in session.model.world.states}
                        powers = {name(code, lang): code for code in session.model.world.powers}
                        solara.Select(label=t("state", lang), values=list(states), value=name(state, lang),
                                      on_value=lambda v: set_state(states[v]))
                        solara.SelectMultiple(t("highlight", lang), values=[name(p, lang) for p in highlight], all_values=list(powers),
                                              on_value=lambda vs: set_highlight([powers[v] for v in vs]))
                        solara.Checkbox(label=t("smooth", lang), value=smooth, on_value=set_smooth)
                    Chart(live["weights"], session, (state, lang), [tick.value, session.generation, lang, state, smooth, tuple(highlight)],
                          weights)
                Chart(live["corridors"], session, (lang,), [tick.value, session.generation, lang])
            with solara.Columns([1, 1]):
                # the current year's count grows month by month; the UN votes change once a year, and only to 2021
                Chart(live["interactions"], session, (lang,), [tick.value, session.generation, lang])
                Chart(live["unga"], session, (lang,), [charts._unga_year(session), session.generation, lang])
            Questions(session, session.generation, lang, refresh, set_playing, set_message, set_state, set_highlight)
            with solara.Details(t("info", lang), expand=False):
                for head, body in INFO[lang]:
                    Md(f"**{head}** {body}")
