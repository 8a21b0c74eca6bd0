"""alignment_history: each state's alignment weights 2015-2035 in the historical timeline, with bands.

Table: one row per state, power and year: mean, lo, hi (the central ``band`` of the replicates) and runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from alignment.experiment.data import bands
from alignment.experiment.plotting import POWER_COLOURS, band, mark_events, theme

SWEEP = "history"


def check(data, options) -> None:  # (the band is checked for every figure by alignment.experiment.app.check_options)
    data.marks(SWEEP, options["scenario"], options.get("marks"))


def table(data, options):
    d = data.summaries(SWEEP, "alignment_weight", scenario=options["scenario"])
    out = bands(d, ["entity", "partner", "year"], level=float(options["band"]))
    return out.rename(columns={"entity": "state", "partner": "power"})


def draw(table, options, data):
    theme()
    states = list(dict.fromkeys(table["state"]))
    powers = list(dict.fromkeys(table["power"]))
    marks = data.marks(SWEEP, options["scenario"], options.get("marks"))
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True, sharey=True)
    for ax, state in zip(axes.flat, states):
        for power in powers:
            band(ax, table[(table.state == state) & (table.power == power)], colour=POWER_COLOURS.get(power), label=power)
        ax.axvspan(options["out_of_sample_from"], table.year.max() + 1, color="0.95", zorder=-1, lw=0)
        ax.set(title=state, xlim=(table.year.min(), table.year.max() + 1))
    axes.flat[0].set_ylim(bottom=0)
    for ax, state in zip(axes.flat, states):
        mark_events(ax, marks, label=state == states[0])
    legend = axes.flat[len(states)]
    handles, labels = axes.flat[0].get_legend_handles_labels()
    legend.legend(handles, labels, title="power", loc="center", ncol=2, frameon=False)
    legend.axis("off")
    legend.text(0.5, 0.08, f"shaded: from {options['out_of_sample_from']}, out of sample\n(no target; events drive it)",
                ha="center", fontsize=9, transform=legend.transAxes)
    for ax in axes[:, 0]:
        ax.set_ylabel("alignment weight (share)")
    for ax in axes[-1]:
        ax.set_xlabel("year (yearly means, drawn mid-year)")
    runs = int(table["runs"].max())
    fig.suptitle(f"Alignment weights, historical timeline: mean and {int(round(100 * options['band']))} % band over {runs} "
                 "replicates (calibrated parameters)", y=1.0)
    fig.tight_layout()
    return fig
