"""Drawing helpers shared by the experiments' figures: one look, bands, the timeline's events."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from matplotlib.ticker import MultipleLocator  # noqa: E402

PNG_METADATA = {"Software": None}  # no tool version in the file: the same data, the same bytes

# one colour per power in every figure (colour-blind-safe tab10 hues)
POWER_COLOURS = {"RUS": "#d62728", "CHN": "#ff7f0e", "USA": "#1f77b4", "EU": "#17becf", "GBR": "#9467bd", "TUR": "#2ca02c",
                 "IRN": "#8c564b", "JPN": "#e377c2", "KOR": "#7f7f7f", "IND": "#bcbd22"}


def theme() -> None:
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.1)


def band(ax, table, x: str = "year", colour=None, label=None, alpha: float = 0.18, offset: float = 0.5) -> None:
    """The mean as a line and the [lo, hi] band around it (columns of :func:`alignment.experiment.data.bands`).
    A yearly mean is drawn at mid-year (``offset`` 0.5), so that dated events fall where they belong."""
    xs = table[x] + offset
    ax.fill_between(xs, table["lo"], table["hi"], color=colour, alpha=alpha, lw=0)
    ax.plot(xs, table["mean"], color=colour, label=label, lw=1.6)
    ax.xaxis.set_major_locator(MultipleLocator(5))


def mark_events(ax, events, label: bool = True, colour: str = "0.35") -> None:
    """Dotted vertical lines at the events' dates (decimal years), labelled along the top of the panel."""
    top = ax.get_ylim()[1]
    for e in events.itertuples():
        ax.axvline(e.year, color=colour, ls=":", lw=0.9, zorder=0)
        if label:
            ax.text(e.year, top, f" {e.label}", rotation=90, va="top", ha="right", fontsize=7, color=colour)


def close(fig) -> None:
    plt.close(fig)
