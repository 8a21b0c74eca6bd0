"""Drawing helpers shared by the experiments' figures: one look, bands, the timeline's events, direct labels.

The experiments' figures are drawn at most ``MAX_WIDTH_IN`` inches wide (about 1,600 pixels at the 120 dpi
alignment-experiment saves at), so that the theme's 9.7-point tick labels stay at least 9 points where a page shows
the figure at its natural width."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from matplotlib.ticker import MultipleLocator  # noqa: E402

PNG_METADATA = {"Software": None}  # no tool version in the file: the same data, the same bytes

# one colour per power and per kind of interaction in every figure, the default run's and the page's too
from alignment.colours import KIND_COLOURS, POWER_COLOURS  # noqa: E402,F401
MAX_WIDTH_IN = 13.5  # the widest figure, inches (see the module's docstring)
EVENT_FONTSIZE = 9


def theme() -> None:
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.1)


def band(ax, table, x: str = "year", colour=None, label=None, alpha: float = 0.18, offset: float = 0.5, **line) -> None:
    """The mean as a line and the [lo, hi] band around it (columns of :func:`alignment.experiment.data.bands`).
    A yearly mean is drawn at mid-year (``offset`` 0.5), so that dated events fall where they belong."""
    xs = table[x] + offset
    ax.fill_between(xs, table["lo"], table["hi"], color=colour, alpha=alpha, lw=0)
    ax.plot(xs, table["mean"], color=colour, label=label, **{"lw": 1.6, **line})
    ax.xaxis.set_major_locator(MultipleLocator(5))


def mark_events(ax, events, label: bool = True, colour: str = "0.35") -> float:
    """Dotted vertical lines at the events' dates (decimal years); with ``label``, the labels above the panel
    (:func:`label_events`). Returns the height of the labels above the panel, in points (0 without labels)."""
    for e in events.itertuples():
        ax.axvline(e.year, color=colour, ls=":", lw=0.9, zorder=0)
    return label_events(ax, events, colour=colour) if label else 0.0


def label_events(ax, events, colour: str = "0.35", fontsize: float = EVENT_FONTSIZE, rotation: float = 60) -> float:
    """The events' labels above the panel, outside it: each starts at its date on the panel's top edge and rises to
    the right at ``rotation`` degrees, so the dotted line (which ends at the edge) crosses no text and neighbouring
    labels do not overlap. Returns their height above the panel in points, for a title's ``pad``."""
    texts = [ax.annotate(str(e.label), xy=(e.year, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                         textcoords="offset points", rotation=rotation, rotation_mode="anchor", ha="left", va="bottom",
                         fontsize=fontsize, color=colour, annotation_clip=False)
             for e in events.itertuples()]
    if not texts:
        return 0.0
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    return 3 + max(t.get_window_extent(renderer).height for t in texts) * 72 / fig.dpi


def end_labels(ax, items, x: float, gap_pt: float = 11.0, fontsize: float = 9.5) -> None:
    """Direct labels just right of the panel for lines ending at ``x``: ``items`` = [(text, y at x, colour)].
    Labels that would overlap are spread apart (at least ``gap_pt`` points between baselines), each joined to its
    line's end by a thin leader, so lines that end close together are still told apart."""
    if not items:
        return
    fig = ax.figure
    y0, y1 = ax.get_ylim()
    height_pt = ax.get_window_extent(fig.canvas.get_renderer()).height * 72 / fig.dpi
    gap = gap_pt * (y1 - y0) / height_pt
    order = sorted(items, key=lambda t: t[1])
    ys = [t[1] for t in order]
    for k in range(1, len(ys)):  # push up what crowds the label below
        ys[k] = max(ys[k], ys[k - 1] + gap)
    shift = max(0.0, ys[-1] - (y1 - gap / 2))  # then back down as a block if the top leaves the panel
    ys = [y - shift for y in ys]
    for k in range(len(ys) - 2, -1, -1):
        ys[k] = min(ys[k], ys[k + 1] - gap)
    for (text, y, colour), y_label in zip(order, ys):
        ax.annotate(text, xy=(x, y), xycoords="data", xytext=(1.012, y_label), textcoords=("axes fraction", "data"),
                    va="center", ha="left", fontsize=fontsize, color=colour, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6, "shrinkA": 1, "shrinkB": 1})


def close(fig) -> None:
    plt.close(fig)
