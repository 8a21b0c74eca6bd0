"""alignment_history: each state's alignment weights 2015-2035 in the historical timeline, with two bands.

Table: one row per state, power and year: mean, lo, hi (the central ``band`` of the replicates at the calibrated
parameters: the model's random numbers) and runs; with the posterior sweep declared, also post_mean, post_lo,
post_hi and post_runs (parameters drawn from the posterior of alignment-infer: parameter uncertainty as well).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from alignment.experiment.data import bands
from alignment.experiment.plotting import MAX_WIDTH_IN, POWER_COLOURS, band, end_labels, label_events, mark_events, theme

SWEEP = "history"
POSTERIOR = "history_posterior"
ZOOM_BELOW = 0.25  # the right-hand panels zoom on the powers whose mean weight stays below this


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
    """One row per state. Left: every power, mean and band over replicates, dashed the posterior band's edges.
    Right: the same means alone on a y axis fitted to the powers below ``ZOOM_BELOW`` (the powers that crowd
    together near 0.1), labelled at their ends. The events are labelled once, above the top row."""
    theme()
    states = list(dict.fromkeys(table["state"]))
    powers = list(dict.fromkeys(table["power"]))
    marks = data.marks(SWEEP, options["scenario"], options.get("marks"))
    posterior = "post_lo" in table
    runs = int(table["runs"].max())
    pct = int(round(100 * options["band"]))
    first, last = int(table.year.min()), int(table.year.max())
    fig, axes = plt.subplots(len(states), 2, figsize=(MAX_WIDTH_IN, 2.2 * len(states) + 1.8), sharex=True,
                             gridspec_kw={"width_ratios": [1.15, 1]}, layout="constrained", squeeze=False)
    ends = []
    for (full, zoom), state in zip(axes, states):
        s = table[table.state == state]
        for power in powers:
            d = s[s.power == power]
            colour = POWER_COLOURS.get(power)
            band(full, d, colour=colour, label=power)
            if posterior:  # parameter uncertainty too: the band's edges, dashed
                for edge in ("post_lo", "post_hi"):
                    full.plot(d.year + 0.5, d[edge], color=colour, lw=0.7, ls="--", alpha=0.7)
            zoom.plot(d.year + 0.5, d["mean"], color=colour, lw=1.8)
        low = s[s.groupby("power")["mean"].transform("max") < ZOOM_BELOW]
        pad = 0.08 * (low["mean"].max() - low["mean"].min())
        zoom.set_ylim(low["mean"].min() - pad, low["mean"].max() + pad)
        ends.append((zoom, [(r.power, r.mean, POWER_COLOURS.get(r.power)) for r in s[s.year == last].itertuples()
                            if r.power in set(low.power)]))
        full.set_ylim(0, table[["hi", "post_hi"] if posterior else ["hi"]].max().max() * 1.04)
        for ax in (full, zoom):
            ax.axvspan(options["out_of_sample_from"], last + 1, color="0.94", zorder=-1, lw=0)
            ax.set_xlim(first, last + 1)
            mark_events(ax, marks, label=False)
        full.set_ylabel(state, fontsize=12, fontweight="bold")
    pads = [label_events(ax, marks) for ax in axes[0]]
    axes[0][0].set_title("alignment weight (share) on every power, with the bands", pad=pads[0] + 4, loc="left")
    axes[0][1].set_title(f"zoom: the powers below {ZOOM_BELOW:g}, means only (y axis fitted per state)", pad=pads[1] + 4, loc="left")
    for ax in axes[-1]:
        ax.set_xlabel("year (yearly means, drawn mid-year)")
    handles = [Line2D([], [], color=POWER_COLOURS.get(p), lw=2, label=p) for p in powers]
    handles.append(Patch(color="0.94", label=f"from {options['out_of_sample_from']}: out of sample (no target; events drive it)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, handlelength=1.6, columnspacing=1.2)
    title = f"Alignment weights, historical timeline: mean and {pct} % band over {runs} replicates (calibrated parameters)"
    if posterior:
        title += (f";\ndashed: {pct} % band over {int(table['post_runs'].max())} runs with parameters drawn from the posterior "
                  "(parameter uncertainty and random numbers)")
    fig.suptitle(title)
    fig.draw_without_rendering()  # the layout first: the end labels are spread apart in points
    for zoom, items in ends:
        end_labels(zoom, items, x=last + 0.5)
    return fig
