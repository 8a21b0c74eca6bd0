"""interactions: intraregional and external interactions per year by kind, against the recorded counts.

Table: one row per source (model or recorded), scope (intraregional or external), series (a kind, ``total``
or ``in_person`` = visits, meetings and summits) and year: mean, lo, hi, runs; for a recorded count, mean is
the count and lo/hi its calibration tolerance, and ``source`` says where it comes from.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from alignment.errors import ConfigError
from alignment.experiment.data import bands
from alignment.experiment.plotting import KIND_COLOURS, MAX_WIDTH_IN, band, mark_events, theme

SWEEP = "history"
IN_PERSON = ("visit", "meeting", "summit")
SERIES = {"total": None, "in_person": IN_PERSON}  # derived series: the sum of these kinds (None: every kind)


def _recorded(data, options) -> pd.DataFrame:
    targets = data.targets()
    rows = []
    for n, name in enumerate(options["recorded"]):
        t = targets.get(name) if name in targets else None
        if t is None or t.get("kind") != "interactions" or t.get("measure") not in SERIES:
            raise ConfigError(f"experiment.options.recorded[{n}]", name,
                              "not an interactions target of configs/targets/ with measure total or in_person")
        rows.append({"source": "recorded", "scope": "intraregional", "series": t.measure, "year": int(t.year), "mean": float(t.value),
                     "lo": float(t.value - t.tolerance), "hi": float(t.value + t.tolerance), "runs": float("nan"),
                     "reference": str(t.source)})
    return pd.DataFrame(rows)


def check(data, options) -> None:
    _recorded(data, options)
    data.marks(SWEEP, options["scenario"], options.get("marks"))


def table(data, options):
    d = data.summaries(SWEEP, "interactions", scenario=options["scenario"]).rename(columns={"entity": "scope", "partner": "kind"})
    parts = [bands(d.rename(columns={"kind": "series"}), ["scope", "series", "year"], level=float(options["band"]))]
    for series, kinds in SERIES.items():
        sub = d if kinds is None else d[d.kind.isin(kinds)]
        per_run = sub.groupby(["scope", "year", "run_id"], as_index=False)["value"].sum().assign(series=series)
        parts.append(bands(per_run, ["scope", "series", "year"], level=float(options["band"])))
    model = pd.concat(parts, ignore_index=True).assign(source="model", reference="")
    out = pd.concat([model, _recorded(data, options)], ignore_index=True)
    return out[["source", "scope", "series", "year", "mean", "lo", "hi", "runs", "reference"]]


def draw(table, options, data):
    theme()
    marks = data.marks(SWEEP, options["scenario"], options.get("marks"))
    model, recorded = table[table.source == "model"], table[table.source == "recorded"]
    kinds = [k for k in dict.fromkeys(model.series) if k not in SERIES]
    colours = {"total": "k", "in_person": "#937860", **{k: KIND_COLOURS.get(k, f"C{n}") for n, k in enumerate(kinds)}}
    fig, axes = plt.subplots(1, 3, figsize=(MAX_WIDTH_IN, 5.4), sharex=True, layout="constrained")
    panels = [(axes[0], "intraregional", ["total", "in_person"], "intraregional: total and in person"),
              (axes[1], "intraregional", kinds, "intraregional, by kind"),
              (axes[2], "external", ["total", *kinds], "with the external powers, by kind")]
    for ax, scope, series, title in panels:
        for s in series:
            band(ax, model[(model.scope == scope) & (model.series == s)], colour=colours[s], label=s.replace("_", " "))
        rec = recorded[(recorded.scope == scope) & recorded.series.isin(series)]
        for r in rec.itertuples():
            ax.errorbar(r.year + 0.5, r.mean, yerr=[[r.mean - r.lo], [r.hi - r.mean]], fmt="D", ms=6, capsize=3,
                        color=colours[r.series], mec="white", zorder=5)
        if len(rec):
            ax.plot([], [], "D", color="0.3", label="recorded (tolerance)")
        ax.set(xlabel="year", ylabel="interactions per year")
        ax.set_ylim(bottom=0)
        ax.set_title(title, pad=mark_events(ax, marks) + 4)  # each panel's events labelled above it
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, handlelength=1.5,
                  columnspacing=1.0)  # below the panel: no data under it
    runs = int(model["runs"].max())
    fig.suptitle(f"Interactions per year, historical timeline: mean and {int(round(100 * options['band']))} % band over {runs} "
                 "replicates;\nrecorded counts of 2015 and 2019 (2022-23 held back as a test set)")
    return fig
