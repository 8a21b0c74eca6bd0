"""phase_diagram: a headline indicator over two swept parameters, as heatmaps.

Table: one row per grid cell and panel: x, y (the two parameters' values), panel, mean (over the five states
and the replicates), sd (over the replicates of the five-state mean), runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

from alignment.errors import ConfigError
from alignment.experiment.plotting import theme

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


def draw(table, options, data):
    theme()
    fig, axes = plt.subplots(1, len(PANELS), figsize=(6.6 * len(PANELS), 5.6))
    for ax, (panel, (_, _, label)) in zip(axes, PANELS.items()):
        grid = table[table.panel == panel].pivot(index="y", columns="x", values="mean").sort_index(ascending=False)
        sns.heatmap(grid, ax=ax, annot=True, fmt=".3f", annot_kws={"fontsize": 7}, cmap="viridis",
                    cbar_kws={"label": label})
        ax.set(xlabel=options["x_label"], ylabel=options["y_label"], title=f"{label.split(',')[0]} in {options['year']}")
        ax.set_xticklabels([f"{float(t.get_text()):g}" for t in ax.get_xticklabels()])
        ax.set_yticklabels([f"{float(t.get_text()):g}" for t in ax.get_yticklabels()], rotation=0)
    runs = int(table["runs"].max())
    sd = table.loc[table.panel == "multialignment_index", "sd"].max()
    fig.suptitle(f"Phase diagram, historical timeline, {options['year']}: each cell the mean of {runs} replicates "
                 f"(largest replicate SD of the index: {sd:.3f})", y=1.02)
    fig.tight_layout()
    return fig
