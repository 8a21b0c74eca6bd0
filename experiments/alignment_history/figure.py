"""alignment_history: each state's alignment weights 2015-2035 in the historical timeline, with two bands.

Table: one row per state, power and year: mean, lo, hi (the central ``band`` of the replicates at the calibrated
parameters: the model's random numbers) and runs; with the posterior sweep declared, also post_mean, post_lo,
post_hi and post_runs (parameters drawn from the posterior of alignment-infer: parameter uncertainty as well).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from alignment.experiment.data import bands
from alignment.experiment.plotting import POWER_COLOURS, band, mark_events, theme

SWEEP = "history"
POSTERIOR = "history_posterior"


def check(data, options) -> None:  # (the band is checked for every figure by alignment.experiment.app.check_options)
    data.marks(SWEEP, options["scenario"], options.get("marks"))


def table(data, options):
    by = ["entity", "partner", "year"]
    d = data.summaries(SWEEP, "alignment_weight", scenario=options["scenario"])
    out = bands(d, by, level=float(options["band"]))
    if POSTERIOR in data.sweeps:
        p = bands(data.summaries(POSTERIOR, "alignment_weight", scenario=options["scenario"]), by, level=float(options["band"]))
        out = out.merge(p.rename(columns={"mean": "post_mean", "lo": "post_lo", "hi": "post_hi", "runs": "post_runs"}), on=by)
    return out.rename(columns={"entity": "state", "partner": "power"})


def draw(table, options, data):
    theme()
    states = list(dict.fromkeys(table["state"]))
    powers = list(dict.fromkeys(table["power"]))
    marks = data.marks(SWEEP, options["scenario"], options.get("marks"))
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True, sharey=True)
    posterior = "post_lo" in table
    for ax, state in zip(axes.flat, states):
        for power in powers:
            d = table[(table.state == state) & (table.power == power)]
            band(ax, d, colour=POWER_COLOURS.get(power), label=power)
            if posterior:  # parameter uncertainty too: the band's edges, dashed
                for edge in ("post_lo", "post_hi"):
                    ax.plot(d.year + 0.5, d[edge], color=POWER_COLOURS.get(power), lw=0.8, ls="--", alpha=0.8)
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
    pct = int(round(100 * options["band"]))
    title = f"Alignment weights, historical timeline: mean and {pct} % band over {runs} replicates (calibrated parameters)"
    if posterior:
        title += (f";\ndashed: {pct} % band over {int(table['post_runs'].max())} runs with parameters drawn from the posterior "
                  "(parameter uncertainty and random numbers)")
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig
