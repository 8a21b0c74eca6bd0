"""Figures of a run, drawn with seaborn from the contract's frames only."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

# the gallery's colours: one per power and one per kind of interaction in every figure (the module imports only
# matplotlib and seaborn)
from alignment.colours import KIND_COLOURS, POWER_COLOURS  # noqa: E402

_PNG = {"Software": None}  # no tool version in the file: same data, same bytes


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata=_PNG)
    plt.close(fig)


def draw_alignment(ts, path: Path) -> None:
    """Alignment weights over time (yearly means), one panel per state."""
    d = ts[ts["indicator"] == "alignment_weight"].groupby(["year", "entity", "partner"], as_index=False)["value"].mean()
    powers = sorted(d["partner"].unique())
    others = iter(sns.color_palette("dark", len(powers)))  # a power the gallery has no colour for (added by a user)
    palette = {p: POWER_COLOURS[p] if p in POWER_COLOURS else next(others) for p in powers}
    g = sns.FacetGrid(d, col="entity", col_wrap=3, height=2.6, aspect=1.4, hue="partner", palette=palette)
    g.map_dataframe(sns.lineplot, x="year", y="value", estimator=None, errorbar=None, linewidth=1.4)
    g.add_legend(title="power")
    g.set_titles("{col_name}")
    g.set_axis_labels("", "alignment weight")
    g.figure.suptitle("Alignment weights over the external powers (yearly means)", y=1.02)
    _save(g.figure, path)


def draw_corridors(ts, path: Path) -> None:
    """Corridor volumes in million tonnes per year (the sea route left out: it dwarfs the rest)."""
    d = ts[(ts["indicator"] == "corridor_volume_mt") & (ts["entity"] != "SEA")]
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.lineplot(data=d, x="date", y="value", hue="entity", ax=ax, estimator=None, errorbar=None)
    ax.set(xlabel="", ylabel="million tonnes per year", title="Overland corridor volumes")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), title="corridor", frameon=False)  # outside: no data under it
    _save(fig, path)


def draw_interactions(led, path: Path) -> None:
    """Intraregional interactions per year, stacked by form."""
    d = led[led["intraregional"]].assign(year=lambda x: x["year"].astype(int))
    fig, ax = plt.subplots(figsize=(9, 4))
    order = [k for k in ("telegram", "call", "visit", "meeting", "summit") if k in set(d["kind"])]
    sns.histplot(data=d, x="year", hue="kind", hue_order=order, multiple="stack", discrete=True, shrink=0.8, ax=ax,
                 palette={k: KIND_COLOURS[k] for k in order})
    ax.set(xlabel="", ylabel="interactions", title="Intraregional high-level interactions per year (C5 among themselves)")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), title="kind", frameon=False)  # outside: no bar under it
    _save(fig, path)


def draw_run(ts, led, folder: Path) -> list[Path]:
    """All figures of one run into ``folder``."""
    folder = Path(folder)
    paths = [folder / "alignment_weights.png", folder / "corridor_volumes.png", folder / "interactions_per_year.png"]
    sns.set_theme(style="whitegrid", context="notebook")
    draw_alignment(ts, paths[0])
    draw_corridors(ts, paths[1])
    draw_interactions(led, paths[2])
    return paths
