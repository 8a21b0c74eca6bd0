"""The page's pictures, drawn with matplotlib from a :class:`~alignment.app.session.Session`: a schematic map and
four charts in real units, each with the spread (band) and the pinned baseline (dashed) when there is one.

Each picture is built in two parts: a frame (axes, ticks, legend, the band and the baseline, which change only when
the settings do) and the run's own artists (its lines, bars and the map's bars and routes), which change every month.
On the page a :class:`LiveChart` draws the frame once and only the run's artists over it each month (matplotlib's
blitting): a Step costs a few lines, not three whole figures. The exports draw both parts as one ordinary figure.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, MultipleLocator

from alignment.app.session import CORRIDORS, trailing_mean
from alignment.app.text import name, t
from alignment.colours import POWER_COLOURS

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
DPI = 90  # the page scales each picture to its column (about 770 px wide on a 1920 projector): 90 keeps it sharp
# there and costs about 1.6 times the pixels of 72; fonts are sized for that width (9 pt legends: 14 px on a projector)
FADED = "0.72"  # the powers a question does not ask about
LEGEND_PT = 9  # the smallest type in a picture (keys); ticks are 10 pt


@dataclass
class Frame:
    """What a builder returns: the run's artists, and how to set them to the session's month. ``update`` returns
    False when the run has left the frame (a line above the y-axis' top): the frame is then built anew.
    ``above`` are small artists of the frame that sit above the run (the recorded counts): on the page they are
    drawn again over it each month. Legends sit above the run too; their pixels are put back over it."""

    artists: list
    update: Callable[[object], bool]
    above: list = field(default_factory=list)


def _top(*arrays, floor: float = 1e-9) -> float:
    """A round y-axis top above every value (NaN ignored), with a tenth to spare."""
    peak = max([float(np.nanmax(a)) for a in arrays if np.size(a) and np.isfinite(a).any()] + [floor])
    return float(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]).tick_values(0, peak * 1.1)[-1])


def _fits(line_values, top: float) -> bool:
    return not np.size(line_values) or float(np.nanmax(line_values)) <= top


def _title(session, text: str, lang: str) -> str:
    """A time chart's title, saying what its band and its dashed lines are when it has them."""
    extra = []
    if session.baseline is not None:
        extra.append(t("dashed", lang, name=session.baseline["scenario"]))
    if session.band is not None:
        extra.append(t("band_label", lang, n=session.band["seeds"]))
    return text + ("\n(" + "; ".join(extra) + ")" if extra else "")


def _legend_below(ax, ncol: int) -> None:
    """The key under the axes, where no line of the run can pass beneath it."""
    ax.legend(fontsize=LEGEND_PT, ncol=ncol, loc="upper center", bbox_to_anchor=(0.5, -0.09), frameon=False, handlelength=1.6,
              columnspacing=1.2)


def _year_axis(ax, session) -> None:
    m = session.model
    ax.set_xlim(m.start / 12, (m.end + 1) / 12)
    ax.xaxis.set_major_locator(MultipleLocator(5))


# ---------------------------------------------------------------------------------------------------- builders
def build_map(session, lang: str, ax) -> Frame:
    """The five states where they roughly are, each with its weights as a stacked bar, and the corridors as routes
    whose width shows the month's volume (million tonnes a year, written in the key)."""
    w = session.model.world
    corridors, powers = list(w.corridors), list(w.powers)
    for code, (x, y) in POWERS_AROUND.items():
        ax.text(x, y, name(code, lang), ha="center", va="center", fontsize=11, color=POWER_COLOURS.get(code), weight="bold")
    routes = {}
    for corridor in CORRIDORS:
        xs, ys = zip(*ROUTES[corridor])
        (routes[corridor],) = ax.plot(xs, ys, color=CORRIDOR_COLOURS[corridor], lw=1.0, alpha=0.55, solid_capstyle="round")
    bars = {}
    for code in w.states:
        x, y = PLACES[code]
        ax.text(x, y + 0.75, name(code, lang), ha="center", va="bottom", fontsize=11, weight="bold")
        for p in powers:
            bars[code, p] = ax.add_patch(Rectangle((x - 2.5, y - 0.35), 0.0, 0.9, color=POWER_COLOURS.get(p), lw=0))
    # the powers' key under the map, where no state lies beneath it
    ax.legend(handles=[Patch(color=POWER_COLOURS.get(p), label=name(p, lang)) for p in powers], loc="upper center",
              bbox_to_anchor=(0.5, -0.01), fontsize=LEGEND_PT, ncol=4, title=t("weight_axis", lang), title_fontsize=LEGEND_PT, frameon=False)
    # the corridors' key, upper right, its numbers redrawn every month
    x0, y0, dy = 0.515, 0.955, 0.058
    ax.add_patch(Rectangle((x0 - 0.015, y0 - 4.55 * dy), 0.495, 5.0 * dy, transform=ax.transAxes, facecolor="white", alpha=0.85,
                           edgecolor="0.8", lw=0.8))
    ax.text(x0 + 0.22, y0, t("volume_axis", lang), transform=ax.transAxes, fontsize=LEGEND_PT, ha="center", va="center")
    labels = {}
    for k, corridor in enumerate(CORRIDORS, start=1):
        ax.add_line(Line2D([x0, x0 + 0.04], [y0 - k * dy] * 2, transform=ax.transAxes, color=CORRIDOR_COLOURS[corridor], lw=4,
                           alpha=0.7))
        labels[corridor] = ax.text(x0 + 0.055, y0 - k * dy, "", transform=ax.transAxes, fontsize=LEGEND_PT, va="center")
    ax.set(xlim=(44, 87), ylim=(34.5, 57))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect(1.3)
    title = ax.set_title(" ")

    def update(session) -> bool:
        s = session.series()
        volume = s.volume_mt[-1] if len(s.years) else np.zeros(len(corridors))
        weights = s.weights[-1] if len(s.years) else session.model.weights
        for corridor in CORRIDORS:
            mt = float(volume[corridors.index(corridor)])
            routes[corridor].set_linewidth(1.0 + 1.6 * np.sqrt(max(mt, 0.0)))
            labels[corridor].set_text(f"{name(corridor, lang)}: {mt:.1f}")
        for i, code in enumerate(w.states):
            left = PLACES[code][0] - 2.5
            for j, p in enumerate(powers):  # the portfolio as a stacked bar, 5 degrees wide
                width = 5.0 * float(weights[i, j])
                bars[code, p].set_x(left)
                bars[code, p].set_width(width)
                left += width
        title.set_text(f"{t('map', lang)}: {session.date}")
        return True

    return Frame([*routes.values(), *labels.values(), *bars.values(), title], update)


def build_weights(session, state: str, lang: str, ax, smooth: bool = True, highlight: tuple = ()) -> Frame:
    """One state's weight on each power, month by month (or as 12-month means, ``smooth``); the powers in
    ``highlight`` (all when empty) in colour, the others faint."""
    w = session.model.world
    i, powers = list(w.states).index(state), list(w.powers)
    band = session.band["weights_12m" if smooth else "weights"] if session.band is not None else None
    base = session.baseline["series"].weights[:, i] if session.baseline is not None else None  # (T, P)
    if base is not None and smooth:
        base = trailing_mean(base)

    def current(session):
        weights = session.series().weights[:, i]
        return trailing_mean(weights) if smooth and len(weights) else weights

    now = current(session)
    top = _top(now, band[2, :, i] if band is not None else (), base if base is not None else (), floor=0.2)
    lines = []
    for j, p in enumerate(powers):
        shown = not highlight or p in highlight
        colour = POWER_COLOURS.get(p) if shown else FADED
        if band is not None and shown:
            ax.fill_between(session.band["years"], band[0, :, i, j], band[2, :, i, j], color=colour, alpha=0.15, lw=0)
        if base is not None:
            ax.plot(session.baseline["series"].years, base[:, j], color=colour, ls="--", lw=0.9 if shown else 0.6, alpha=0.8)
        lines.append(ax.plot([], [], color=colour, lw=1.8 if shown else 1.0, label=name(p, lang), zorder=3 if shown else 2)[0])
    heading = t("weights_12m" if smooth else "weights", lang, state=name(state, lang))
    ax.set(title=_title(session, heading, lang), ylabel=t("weight_axis", lang), ylim=(0, top))
    _year_axis(ax, session)
    _legend_below(ax, 4)

    def update(session) -> bool:
        years, values = session.series().years, current(session)
        for j, line in enumerate(lines):
            line.set_data(years, values[:, j])
        return _fits(values, top)

    return Frame(lines, update)


def build_corridors(session, lang: str, ax) -> Frame:
    """The overland corridors' volumes, million tonnes a year, month by month."""
    corridors = list(session.model.world.corridors)
    ks = [corridors.index(c) for c in CORRIDORS]
    band = session.band["volume_mt"][:, :, ks] if session.band is not None else None
    base = session.baseline["series"].volume_mt[:, ks] if session.baseline is not None else None
    top = _top(session.series().volume_mt[:, ks], band[2] if band is not None else (), base if base is not None else (), floor=1.0)
    lines = []
    for n, c in enumerate(CORRIDORS):
        colour = CORRIDOR_COLOURS[c]
        if band is not None:
            ax.fill_between(session.band["years"], band[0, :, n], band[2, :, n], color=colour, alpha=0.15, lw=0)
        if base is not None:
            ax.plot(session.baseline["series"].years, base[:, n], color=colour, ls="--", lw=0.9)
        lines.append(ax.plot([], [], color=colour, lw=1.8, label=name(c, lang))[0])
    ax.set(title=_title(session, t("corridors", lang), lang), ylabel=t("volume_axis", lang), ylim=(0, top))
    _year_axis(ax, session)
    _legend_below(ax, 2)

    def update(session) -> bool:
        s = session.series()
        values = s.volume_mt[:, ks]
        for n, line in enumerate(lines):
            line.set_data(s.years, values[:, n])
        return _fits(values, top)

    return Frame(lines, update)


@functools.lru_cache(maxsize=1)
def recorded_interactions() -> dict:
    """{year: recorded intraregional count} from the calibration targets (configs/targets/, context_facts.yaml)."""
    from alignment.cli import compose_config

    targets = compose_config([], config_name="validate").targets
    return {int(v.year): float(v.value) for v in targets.values()
            if hasattr(v, "get") and v.get("kind") == "interactions" and v.get("measure") == "total"}


def build_interactions(session, lang: str, ax) -> Frame:
    """Interactions per year among the five states and with the powers (this run), against the recorded counts."""
    m = session.model
    years = np.arange(m.start // 12, m.end // 12 + 1)
    rec = recorded_interactions()
    counts = session.interactions_per_year()
    # room above the recorded counts from the start: a year's count grows month by month
    top = _top(counts["count"].to_numpy(dtype=float), floor=1.5 * max(rec.values(), default=10.0))
    bars = {}
    for scope, offset, colour in (("intraregional", -0.2, "C0"), ("external", 0.2, "C1")):
        bars[scope] = list(ax.bar(years + 0.5 + offset, np.zeros(len(years)), width=0.4, color=colour, label=t(scope, lang)))
    (recorded,) = ax.plot([y + 0.3 for y in rec], list(rec.values()), "D", color="k", ms=6, label=t("recorded_counts", lang),
                          zorder=4)
    ax.set(title=t("interactions", lang), ylabel=t("interactions_axis", lang), ylim=(0, top))
    _year_axis(ax, session)
    _legend_below(ax, 3)

    def update(session) -> bool:
        d = session.interactions_per_year()
        for scope, patches in bars.items():
            height = dict(zip(d.year[d.scope == scope], d["count"][d.scope == scope]))
            for year, patch in zip(years, patches):
                patch.set_height(float(height.get(year, 0.0)))
        return _fits(d["count"].to_numpy(dtype=float), top)

    return Frame([p for patches in bars.values() for p in patches], update, [recorded])


def build_unga(session, lang: str, ax) -> Frame:
    """Predicted against recorded UN voting agreement for the whole years of 2015-2021 the run has been through
    (a year's prediction is that year's mean). The frame holds the axes and every power's key; each new year of
    votes only moves the points (a scatter per power), so the year's redraw is a blit like the other charts'."""
    powers = list(session.model.world.powers)
    ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=0.8)
    dots = {p: ax.scatter([], [], s=12, color=POWER_COLOURS.get(p), label=name(p, lang)) for p in powers}
    ax.legend(fontsize=LEGEND_PT, loc="lower right", ncol=2)
    wait = ax.text(0.5, 0.5, t("unga_wait", lang), ha="center", va="center", fontsize=10, transform=ax.transAxes)
    ax.set(title=t("unga", lang), xlabel=t("unga_x", lang), ylabel=t("unga_y", lang), xlim=(0, 1), ylim=(0, 1))

    def update(session) -> bool:
        d = session.unga_fit()
        d = d[d.year < session.month // 12]
        for p, dot in dots.items():
            g = d[d.power == p]
            dot.set_offsets(np.column_stack([g.recorded.to_numpy(), g.predicted.to_numpy()]) if len(g) else np.empty((0, 2)))
        wait.set_visible(not len(d))
        return True

    return Frame([*dots.values(), wait], update)


def _unga_year(session) -> int:
    """The year the run is in, up to 2022: the fit changes when a year of recorded votes is completed."""
    return min(session.month, 2022 * 12) // 12


# ---------------------------------------------------------------------------------------------------- figures
def _map_figure():
    fig = Figure(figsize=(6.4, 4.9), dpi=DPI)  # as wide as the charts: the same type size on the page
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.16, top=0.94)  # fixed: the layout never changes with the month
    return fig, fig.add_subplot()


def _chart_figure():
    fig = Figure(figsize=(6.4, 4.2), dpi=DPI)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.25, top=0.87)  # room for a two-line title, the key below
    return fig, fig.add_subplot()


def _unga_figure():
    fig = Figure(figsize=(4.6, 3.9), dpi=DPI)
    return fig, fig.add_subplot()


CHARTS = {  # name: (builder, figure), the pictures on the page
    "map": (build_map, _map_figure),
    "weights": (build_weights, _chart_figure),
    "corridors": (build_corridors, _chart_figure),
    "interactions": (build_interactions, _chart_figure),
    "unga": (build_unga, _unga_figure),
}


def draw(chart: str, session, *options, ax=None, **keywords) -> Figure | None:
    """The chart as one ordinary figure (or into ``ax``): the frame and the run's artists drawn together."""
    build, figure = CHARTS[chart]
    fig = None
    if ax is None:
        fig, ax = figure()
    build(session, *options, ax=ax, **keywords).update(session)
    return fig


def draw_map(session, lang: str) -> Figure:
    return draw("map", session, lang)


def draw_weights(session, state: str, lang: str, ax=None, **keywords) -> Figure | None:
    return draw("weights", session, state, lang, ax=ax, **keywords)


def draw_corridors(session, lang: str, ax=None) -> Figure | None:
    return draw("corridors", session, lang, ax=ax)


def draw_interactions(session, lang: str, ax=None) -> Figure | None:
    return draw("interactions", session, lang, ax=ax)


def draw_unga(session, lang: str, ax=None) -> Figure | None:
    return draw("unga", session, lang, ax=ax)


def draw_all(session, state: str, lang: str, **keywords) -> Figure:
    """The four charts in one figure (the PNG export)."""
    fig = Figure(figsize=(13, 9), dpi=DPI, layout="constrained")  # the keys below the axes kept inside the picture
    axes = fig.subplots(2, 2)
    draw_weights(session, state, lang, axes[0, 0], **keywords)
    draw_corridors(session, lang, axes[0, 1])
    draw_interactions(session, lang, axes[1, 0])
    draw_unga(session, lang, axes[1, 1])
    fig.suptitle(f"{session.settings.scenario}, seed {session.settings.seed}: {session.date}")
    return fig


class LiveChart:
    """One picture on the page, kept from month to month: its frame is drawn once (again when the settings, the
    spread, the baseline or the options change, or the run outgrows the y-axis), and each month only the run's
    artists are drawn over a copy of it. ``png`` gives what the page shows."""

    def __init__(self, chart: str):
        self.build, self.figure = CHARTS[chart]
        self.key = self.fig = self.frame = self.background = None
        self.drawn, self.legends = [], []
        self.frames_built = 0  # how many times the whole frame was drawn (the benchmark and the tests read it)

    def png(self, session, *options, **keywords) -> bytes:
        key = (id(session), session.generation, options, tuple(sorted(keywords.items())))
        if key != self.key or not self.frame.update(session):
            self.fig, ax = self.figure()
            FigureCanvasAgg(self.fig)  # a canvas that keeps its pixels, to copy the frame from
            self.frame = self.build(session, *options, ax=ax, **keywords)
            # drawn each month, in the order a whole drawing stacks them (zorder; ties in the order given)
            self.drawn = sorted(self.frame.artists + self.frame.above, key=lambda a: a.get_zorder())
            for artist in self.drawn:
                artist.set_animated(True)  # left out of the frame's drawing
            self.frame.update(session)
            self.fig.canvas.draw()
            self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
            # a legend's pixels, to put back over the run (drawing the legend again each month would cost more
            # than the rest of the month together: its text is laid out anew)
            self.legends = [self.fig.canvas.copy_from_bbox(a.get_window_extent().expanded(1.0, 1.0).padded(1))
                            for a in self.fig.axes[0].get_children() if isinstance(a, Legend)]
            self.key = key
            self.frames_built += 1
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        for artist in self.drawn:
            self.fig.draw_artist(artist)
        for legend in self.legends:
            canvas.restore_region(legend)
        image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.save(out, format="png", compress_level=1)  # sent over the loopback: speed matters, size hardly
        return out.getvalue()
