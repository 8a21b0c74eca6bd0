"""corridor_shift: corridor volumes in the historical timeline against a world without the 2022 war.

Table: one row per scenario, corridor and year: mean, lo, hi (central ``band`` of the replicates), runs,
in million tonnes per year.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from alignment.errors import ConfigError
from alignment.experiment.data import bands
from alignment.experiment.plotting import band, mark_events, theme

SWEEP = "history"
COLOURS = {"historical": "C3", "no_war_2022": "C0"}


def check(data, options) -> None:
    known = sorted(data.world(SWEEP).corridors)
    for n, c in enumerate(options["corridors"]):
        if c not in known:
            raise ConfigError(f"experiment.options.corridors[{n}]", c, "unknown corridor; known: " + ", ".join(known))
    scenarios = {g.scenario for g in data.plan(SWEEP).groups.values()}
    for n, s in enumerate(options["scenarios"]):
        if s not in scenarios:
            raise ConfigError(f"experiment.options.scenarios[{n}]", s, f"not in sweep '{SWEEP}': " + ", ".join(sorted(scenarios)))
    data.marks(SWEEP, options["scenarios"][0], options.get("marks"))


def table(data, options):
    d = data.summaries(SWEEP, "corridor_volume_mt", scenario=options["scenarios"], entity=options["corridors"])
    return bands(d, ["scenario", "entity", "year"], level=float(options["band"])).rename(columns={"entity": "corridor"})


def draw(table, options, data):
    theme()
    marks = data.marks(SWEEP, options["scenarios"][0], options.get("marks"))
    first, last = options["window"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True, layout="constrained")
    for ax, corridor in zip(axes.flat, options["corridors"]):
        d = table[table.corridor == corridor]
        for scenario in options["scenarios"]:
            band(ax, d[d.scenario == scenario], colour=COLOURS.get(scenario), label=scenario)
        window = d[d.year.between(first, last)].groupby("scenario")["mean"].mean()
        base = window[options["scenarios"][1]]
        note = (f"{first}-{last} mean x{window[options['scenarios'][0]] / base:.2f} of {options['scenarios'][1]}" if base > 0
                else f"not open in {first}-{last}")
        ax.set_ylabel("million tonnes per year")
        ax.set_ylim(bottom=0)
        pad = mark_events(ax, marks, label=ax in axes[0])  # labelled once, above the top row
        ax.set_title(f"{corridor}: {note}", pad=pad + 4)
    for ax in axes[-1]:
        ax.set_xlabel("year (yearly means, drawn mid-year)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    runs = int(table["runs"].max())
    width = float((table["hi"] - table["lo"]).max())
    pct = int(round(100 * options["band"]))
    spread = (f"the {pct} % band over them has zero width (route choice and capacity are deterministic given the config), "
              "so each band is its line" if width < 1e-9 else f"and their {pct} % band")
    fig.suptitle(f"Corridor volumes with and without the 2022 war: mean over {runs} replicates;\n{spread}")
    return fig
