"""The page's pictures, drawn with matplotlib from a :class:`~alignment.app.session.Session`: a schematic map and
four charts in real units, each with the spread (band) and the pinned baseline (dashed) when there is one."""

from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from alignment.app.session import CORRIDORS  # noqa: E402
from alignment.app.text import name, t  # noqa: E402
from alignment.experiment.plotting import POWER_COLOURS  # noqa: E402

CORRIDOR_COLOURS = {"NORTHERN": "#d62728", "MIDDLE": "#1f77b4", "CKU": "#2ca02c", "INSTC": "#8c564b"}
# schematic positions (degrees east, degrees north), roughly where each capital region lies
PLACES = {"KAZ": (67.0, 48.0), "UZB": (63.5, 41.8), "KGZ": (74.8, 41.6), "TJK": (71.0, 38.6), "TKM": (58.8, 39.0)}
ROUTES = {  # each corridor as a schematic polyline across the region, from China (east) to Europe or Iran
    "NORTHERN": [(84, 45.5), (76, 47.5), (68, 51.5), (56, 54.5), (47, 55.5)],
    "MIDDLE": [(84, 44.5), (76.5, 43.4), (66, 44.2), (51.2, 43.6), (49.8, 40.6), (46, 41.2)],
    "CKU": [(84, 40.0), (76.0, 39.6), (72.8, 40.6), (69.2, 41.3), (60.0, 40.2), (53.0, 40.0), (46, 40.0)],
    "INSTC": [(50.0, 55.0), (50.5, 47.0), (53.0, 43.0), (55.0, 39.5), (56.5, 36.0)],
}
POWERS_AROUND = {"RUS": (60.0, 56.0), "CHN": (85.0, 42.0), "IRN": (56.5, 35.3), "EU": (45.5, 43.0), "TUR": (45.5, 38.5)}
_FIG = {"dpi": 72}  # what a projector shows well, and a quarter fewer pixels to draw each month than 90


def _title(session, text: str, lang: str) -> str:
    """A time chart's title, saying what its band and its dashed lines are when it has them."""
    extra = []
    if session.baseline is not None:
        extra.append(t("dashed", lang, name=session.baseline["scenario"]))
    if session.band is not None:
        extra.append(t("band_label", lang, n=session.band["seeds"]))
    return text + ("\n(" + "; ".join(extra) + ")" if extra else "")


def _year_axis(ax, session) -> None:
    m = session.model
    ax.set_xlim(m.start / 12, (m.end + 1) / 12)
    ax.xaxis.set_major_locator(matplotlib.ticker.MultipleLocator(5))


def draw_map(session, lang: str) -> Figure:
    """The five states where they roughly are, each with its weights as a stacked bar, and the corridors as routes
    whose width shows the month's volume."""
    fig = Figure(figsize=(7.6, 5.0), **_FIG)
    ax = fig.add_subplot()
    s = session.series()
    w = session.model.world
    volume = s.volume_mt[-1] if len(s.years) else np.zeros(len(w.corridors))
    for corridor in CORRIDORS:
        xs, ys = zip(*ROUTES[corridor])
        mt = float(volume[list(w.corridors).index(corridor)])
        ax.plot(xs, ys, color=CORRIDOR_COLOURS[corridor], lw=1.0 + 1.6 * np.sqrt(mt), alpha=0.55, solid_capstyle="round",
                label=f"{name(corridor, lang)}: {mt:.1f}")
    for code, (x, y) in POWERS_AROUND.items():
        ax.text(x, y, name(code, lang), ha="center", va="center", fontsize=9, color=POWER_COLOURS.get(code), weight="bold")
    weights = s.weights[-1] if len(s.years) else session.model.weights
    powers = list(w.powers)
    for i, code in enumerate(w.states):
        x, y = PLACES[code]
        ax.text(x, y + 0.75, name(code, lang), ha="center", va="bottom", fontsize=9, weight="bold")
        left = x - 2.5
        for j, p in enumerate(powers):  # the portfolio as a stacked bar, 5 degrees wide
            width = 5.0 * float(weights[i, j])
            ax.add_patch(matplotlib.patches.Rectangle((left, y - 0.35), width, 0.9, color=POWER_COLOURS.get(p), lw=0))
            left += width
    handles = [matplotlib.patches.Patch(color=POWER_COLOURS.get(p), label=name(p, lang)) for p in powers]
    first = ax.legend(handles=handles, loc="lower left", fontsize=7, ncol=2, title=t("weight_axis", lang), title_fontsize=7)
    ax.add_artist(first)
    ax.legend(loc="upper right", fontsize=7, title=t("volume_axis", lang), title_fontsize=7)
    ax.set(xlim=(44, 87), ylim=(34.5, 57), title=f"{t('map', lang)}: {session.date}")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect(1.3)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.93)  # fixed: tight_layout would lay it out anew each month
    return fig


def _chart(ax):
    if ax is not None:
        return None, ax
    fig = Figure(figsize=(6.4, 3.6), **_FIG)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.14, top=0.85)  # room for a two-line title
    return fig, fig.add_subplot()


def draw_weights(session, state: str, lang: str, ax=None) -> Figure | None:
    fig, ax = _chart(ax)
    w = session.model.world
    i = list(w.states).index(state)
    s = session.series()
    for j, p in enumerate(w.powers):
        colour = POWER_COLOURS.get(p)
        if session.band is not None:
            b = session.band
            ax.fill_between(b["years"], b["weights"][0, :, i, j], b["weights"][2, :, i, j], color=colour, alpha=0.15, lw=0)
        if session.baseline is not None:
            base = session.baseline["series"]
            ax.plot(base.years, base.weights[:, i, j], color=colour, ls="--", lw=0.9, alpha=0.8)
        ax.plot(s.years, s.weights[:, i, j], color=colour, lw=1.6, label=name(p, lang))
    ax.set(title=_title(session, t("weights", lang, state=name(state, lang)), lang), ylabel=t("weight_axis", lang), xlabel=t("year", lang), ylim=(0, None))
    _year_axis(ax, session)
    ax.legend(fontsize=7, ncol=4, loc="upper left")
    return fig


def draw_corridors(session, lang: str, ax=None) -> Figure | None:
    fig, ax = _chart(ax)
    corridors = list(session.model.world.corridors)
    s = session.series()
    for c in CORRIDORS:
        k, colour = corridors.index(c), CORRIDOR_COLOURS[c]
        if session.band is not None:
            b = session.band
            ax.fill_between(b["years"], b["volume_mt"][0, :, k], b["volume_mt"][2, :, k], color=colour, alpha=0.15, lw=0)
        if session.baseline is not None:
            base = session.baseline["series"]
            ax.plot(base.years, base.volume_mt[:, k], color=colour, ls="--", lw=0.9)
        ax.plot(s.years, s.volume_mt[:, k], color=colour, lw=1.6, label=name(c, lang))
    ax.set(title=_title(session, t("corridors", lang), lang), ylabel=t("volume_axis", lang), xlabel=t("year", lang), ylim=(0, None))
    _year_axis(ax, session)
    ax.legend(fontsize=7, loc="upper left")
    return fig


@functools.lru_cache(maxsize=1)
def recorded_interactions() -> dict:
    """{year: recorded intraregional count} from the calibration targets (configs/targets/, context_facts.yaml)."""
    from alignment.cli import compose_config

    targets = compose_config([], config_name="validate").targets
    return {int(v.year): float(v.value) for v in targets.values()
            if hasattr(v, "get") and v.get("kind") == "interactions" and v.get("measure") == "total"}


def draw_interactions(session, lang: str, ax=None) -> Figure | None:
    fig, ax = _chart(ax)
    d = session.interactions_per_year()
    for scope, offset, colour in (("intraregional", -0.2, "C0"), ("external", 0.2, "C1")):
        sub = d[d.scope == scope]
        ax.bar(sub.year + 0.5 + offset, sub["count"], width=0.4, color=colour, label=t(scope, lang))
    rec = recorded_interactions()
    ax.plot([y + 0.3 for y in rec], list(rec.values()), "D", color="k", ms=6, label=t("recorded_counts", lang))
    ax.set(title=t("interactions", lang), ylabel=t("interactions_axis", lang), xlabel=t("year", lang))
    _year_axis(ax, session)
    ax.legend(fontsize=7, loc="upper left")
    return fig


def draw_unga(session, lang: str, ax=None) -> Figure | None:
    fig = None
    if ax is None:
        fig = Figure(figsize=(4.6, 3.9), **_FIG)
        ax = fig.add_subplot()
    d = session.unga_fit()
    ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=0.8)
    if len(d):
        for p, g in d.groupby("power", sort=False):
            ax.scatter(g.recorded, g.predicted, s=12, color=POWER_COLOURS.get(p), label=name(p, lang))
        ax.legend(fontsize=7, loc="lower right", ncol=2)
    else:
        ax.text(0.5, 0.5, t("unga_wait", lang), ha="center", va="center", fontsize=8, transform=ax.transAxes)
    ax.set(title=t("unga", lang), xlabel=t("unga_x", lang), ylabel=t("unga_y", lang), xlim=(0, 1), ylim=(0, 1))
    return fig


def draw_all(session, state: str, lang: str) -> Figure:
    """The four charts in one figure (the PNG export)."""
    fig = Figure(figsize=(13, 8), **_FIG)
    axes = fig.subplots(2, 2)
    draw_weights(session, state, lang, axes[0, 0])
    draw_corridors(session, lang, axes[0, 1])
    draw_interactions(session, lang, axes[1, 0])
    draw_unga(session, lang, axes[1, 1])
    fig.suptitle(f"{session.settings.scenario}, seed {session.settings.seed}: {session.date}")
    fig.tight_layout()
    return fig
