"""phase_diagram: a headline indicator over two swept parameters, as heatmaps.

Table: one row per grid cell and panel: x, y (the two parameters' values), panel, mean (over the five states
and the replicates), sd (over the replicates of the five-state mean), runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullLocator

from alignment.errors import ConfigError
from alignment.experiment.plotting import MAX_WIDTH_IN, theme

SWEEP = "phase"
PANELS = {  # panel -> (indicator, partner, label)
    "multialignment_index": ("multialignment_index", None, "multi-alignment index (0-1), mean of the five states"),
    "weight_on_RUS": ("alignment_weight", "RUS", "weight on Russia (share), mean of the five states"),
    "weight_on_EU": ("alignment_weight", "EU", "weight on the EU (share), mean of the five states"),
}


def check(data, options) -> None:
    keys = data.plan(SWEEP).keys
    for axis in ("x", "y"):
        if options[axis] not in keys:
            raise ConfigError(f"experiment.options.{axis}", options[axis], f"not a parameter of sweep '{SWEEP}': " + ", ".join(keys))
    years = data.plan(SWEEP).years
    if years is not None and options["year"] not in years:
        raise ConfigError("experiment.options.year", options["year"], f"sweep '{SWEEP}' keeps only the years {years}")


def table(data, options):
    import pandas as pd

    x, y = options["x"], options["y"]
    rows = []
    for panel, (indicator, partner, _) in PANELS.items():
        d = data.summaries(SWEEP, indicator, year=options["year"])
        if partner is not None:
            d = d[d.partner == partner]
        per_run = d.groupby([x, y, "run_id"], as_index=False)["value"].mean()  # the five states' mean, per run
        g = per_run.groupby([x, y])["value"]
        rows.append(pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "runs": g.size()}).reset_index()
                    .rename(columns={x: "x", y: "y"}).assign(panel=panel))
    out = pd.concat(rows, ignore_index=True)
    return out[["panel", "x", "y", "mean", "sd", "runs"]]


def edges(levels, log: bool = False) -> np.ndarray:
    """Cell edges for levels at their values: halfway between neighbours (geometrically on a log axis), and as far
    out again at both ends."""
    v = np.asarray(sorted(levels), dtype=float)
    if log:
        return np.exp(edges(np.log(v)))
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _log_axis(levels) -> bool:
    """A log axis for positive levels spanning at least a factor of 10 (tick labels at the levels fit on it)."""
    v = np.asarray(levels, dtype=float)
    return bool(v.min() > 0 and v.max() / v.min() >= 10)


def draw(table, options, data):
    """Heatmaps with each level at its value (uneven levels make uneven cells), ticks at the levels, a dot at each
    grid point, and labelled contours for reading values off. An axis whose levels are positive and span a factor of
    10 or more is logarithmic, and its label says so."""
    theme()
    fig, axes = plt.subplots(1, len(PANELS), figsize=(MAX_WIDTH_IN, 4.9), sharey=True, layout="constrained")
    for ax, (panel, (_, _, label)) in zip(axes, PANELS.items()):
        grid = table[table.panel == panel].pivot(index="y", columns="x", values="mean").sort_index().sort_index(axis=1)
        xs, ys = grid.columns.to_numpy(dtype=float), grid.index.to_numpy(dtype=float)
        logs = _log_axis(xs), _log_axis(ys)
        mesh = ax.pcolormesh(edges(xs, logs[0]), edges(ys, logs[1]), grid.to_numpy(), cmap="viridis", shading="flat")
        fig.colorbar(mesh, ax=ax, label=label.split(", ")[-1], format="%.3f")
        if np.ptp(grid.to_numpy()) > 0:
            contours = ax.contour(xs, ys, grid.to_numpy(), levels=5, colors="white", linewidths=0.8, alpha=0.9)
            ax.clabel(contours, fmt="%.3f", fontsize=9, inline=True)
        gx, gy = np.meshgrid(xs, ys)
        ax.scatter(gx.ravel(), gy.ravel(), s=4, color="white", alpha=0.6, lw=0)
        ax.set(xscale="log" if logs[0] else "linear", yscale="log" if logs[1] else "linear")
        for axis, levels in ((ax.xaxis, xs), (ax.yaxis, ys)):
            axis.set_ticks(levels, [f"{v:g}" for v in levels])
            axis.set_minor_locator(NullLocator())
        ax.grid(False)
        ax.set(xlabel=options["x_label"] + (" (log scale)" if logs[0] else ""), title=f"{label.split(',')[0]} in {options['year']}")
    axes[0].set_ylabel(options["y_label"] + (" (log scale)" if logs[1] else ""))
    runs = int(table["runs"].max())
    sd = table.loc[table.panel == "multialignment_index", "sd"].max()
    fig.suptitle(f"Phase diagram, historical timeline, {options['year']}: each cell the mean of {runs} replicates at a grid point "
                 f"(dots), drawn at its values;\ncells run halfway to the neighbouring levels; largest replicate SD of the index: {sd:.3f}")
    return fig
