"""unga_fit: predicted against recorded UN voting agreement, 2015-2021, per state and power.

Table: one row per state, power and year (``year`` empty for the dyad's mean over the window): predicted
mean, lo, hi (central ``band`` over the replicates), runs, and the recorded agreement (empty where the record
has no joint votes).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from alignment.errors import ConfigError
from alignment.experiment.data import bands
from alignment.experiment.plotting import MAX_WIDTH_IN, POWER_COLOURS, theme

SWEEP = "history"
MARKERS = dict(zip(["KAZ", "UZB", "KGZ", "TJK", "TKM"], "osD^v"))


def check(data, options) -> None:
    data.events(SWEEP, options["scenario"])  # a scenario the sweep ran, or a ConfigError naming those it did
    first, last = options["years"]
    obs = data.world(SWEEP).observations
    if not (obs.years.min() <= first <= last <= 2021):
        raise ConfigError("experiment.options.years", options["years"],
                          f"a window [first, last] inside the record {int(obs.years.min())}-2021 (later years are the test set)")


def _recorded(world, first, last) -> pd.DataFrame:
    obs = world.observations
    rows = []
    for y_i, year in enumerate(obs.years):
        if first <= year <= last:
            for i, state in enumerate(world.states):
                for j, power in enumerate(world.powers):
                    rows.append({"state": state, "power": power, "year": int(year), "recorded": obs.unga[y_i, i, j]})
    mean = obs.unga_mean(first, last)
    rows += [{"state": s, "power": p, "year": np.nan, "recorded": mean[i, j]}
             for i, s in enumerate(world.states) for j, p in enumerate(world.powers)]
    return pd.DataFrame(rows)


def table(data, options):
    first, last = options["years"]
    level = float(options["band"])
    d = data.summaries(SWEEP, "unga_agreement", scenario=options["scenario"])
    d = d[d.year.between(first, last)].rename(columns={"entity": "state", "partner": "power"})
    yearly = bands(d, ["state", "power", "year"], level=level)
    per_run = d.groupby(["state", "power", "run_id"], as_index=False)["value"].mean()  # each run's mean over the window
    window = bands(per_run, ["state", "power"], level=level).assign(year=np.nan)
    model = pd.concat([window, yearly], ignore_index=True)
    out = model.merge(_recorded(data.world(SWEEP), first, last), on=["state", "power", "year"], how="left")
    out["year"] = out["year"].astype("Int64")
    return out[["state", "power", "year", "mean", "lo", "hi", "runs", "recorded"]]


def draw(table, options, data):
    theme()
    first, last = options["years"]
    window = table[table.year.isna() & table.recorded.notna()]
    yearly = table[table.year.notna()]
    states = list(dict.fromkeys(table.state))
    fig = plt.figure(figsize=(MAX_WIDTH_IN, 7.6), layout="constrained")
    grid = fig.add_gridspec(2, 5, width_ratios=[1, 1, 0.85, 0.85, 0.85])
    ax = fig.add_subplot(grid[:, :2])
    for r in window.itertuples():
        ax.errorbar(r.recorded, r.mean, yerr=[[r.mean - r.lo], [r.hi - r.mean]], fmt=MARKERS.get(r.state, "o"), ms=7,
                    color=POWER_COLOURS.get(r.power), mec="white", capsize=2, lw=1)
    lim = [min(window.recorded.min(), window.lo.min()) - 0.02, max(window.recorded.max(), window.hi.max()) + 0.02]
    ax.plot(lim, lim, color="0.4", ls="--", lw=1)
    ax.set(xlim=lim, ylim=lim, xlabel=f"recorded agreement, mean {first}-{last} (0-1)",
           ylabel=f"predicted agreement, mean {first}-{last} (0-1)")
    r2 = 1 - ((window["mean"] - window.recorded) ** 2).sum() / ((window.recorded - window.recorded.mean()) ** 2).sum()
    rmse = float(np.sqrt(((window["mean"] - window.recorded) ** 2).mean()))
    # most of the spread is between powers (each power's regional baseline); what the alignment weights must
    # explain is the spread among the five states around it
    dev = window.assign(p=window["mean"] - window.groupby("power")["mean"].transform("mean"),
                        r=window.recorded - window.groupby("power").recorded.transform("mean"))
    r2_within = 1 - ((dev.p - dev.r) ** 2).sum() / (dev.r ** 2).sum()
    ax.set_title(f"{len(window)} state-power pairs: R² {r2:.3f}, RMSE {rmse:.3f};\namong the states around each power's "
                 f"mean: R² {r2_within:.3f}\n(in sample: the calibration fits these means)", loc="left")
    for s in states:
        ax.plot([], [], MARKERS.get(s, "o"), color="0.3", label=s)
    ax.legend(loc="lower right", title="state")
    slots = [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3)]
    panels = []
    for state, (row, col) in zip(states, slots):
        panels.append(fig.add_subplot(grid[row, col], sharey=panels[0] if panels else None))
        _state_panel(panels[-1], yearly[yearly.state == state], state, first, last)
        if col > 2:  # the row shares the first panel's y axis
            panels[-1].set_ylabel("")
            panels[-1].tick_params(labelleft=False)
    key = fig.add_subplot(grid[1, 4])
    for p in dict.fromkeys(window.power):
        key.plot([], [], "s", color=POWER_COLOURS.get(p), label=p)
    key.legend(loc="center", title="power (colour)", ncol=2, frameon=False)
    key.text(0.5, 0.0, "lines and shading: predicted\n(mean and band); dots: recorded", ha="center", va="bottom",
             transform=key.transAxes)
    key.axis("off")
    band = int(round(100 * options["band"]))
    runs = int(table["runs"].max())
    widest = float((window.hi - window.lo).max())
    fig.suptitle(f"UN voting agreement, predicted by the observation model against recorded, {first}-{last}: predicted mean "
                 f"over {runs} replicates;\nleft, error bars: their {band} % band, at most {widest:.3f} wide, so most lie inside "
                 f"the markers; right, shading: the same band each year")
    return fig


def _state_panel(ax, d, state, first, last) -> None:
    for power, g in d[d.recorded.notna() | d.power.isin(d[d.recorded.notna()].power)].groupby("power", sort=False):
        colour = POWER_COLOURS.get(power)
        ax.fill_between(g.year.astype(float), g.lo, g.hi, color=colour, alpha=0.15, lw=0)
        ax.plot(g.year.astype(float), g["mean"], color=colour, lw=1.4)
        ax.plot(g.year.astype(float), g.recorded, "o", color=colour, ms=4)
    ax.set(title=state, xlabel="year", ylabel="agreement (0-1)", xticks=range(first, last + 1, 3))
