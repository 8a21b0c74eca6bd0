"""scenario_discovery: PRIM boxes (EMA Workbench) over a sweep's parameters for outcomes of interest.

Table (long): for each case, ``part = trajectory`` rows (box, coverage, density, res_dim: the peeling
trajectory) and ``part = box`` rows for the chosen box (parameter, low, high: its limits; range_low,
range_high: the sampled range; qp_low, qp_high: PRIM's quasi-p-values of each limit), plus cases_of_interest
and runs.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from alignment.errors import ConfigError
from alignment.experiment.plotting import MAX_WIDTH_IN, theme

SWEEP = "sensitivity"


def _prim():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "ipyparallel not installed": the workbench's parallel runner, not PRIM
        from ema_workbench.analysis import prim
    return prim


def check(data, options) -> None:
    declared = data.sweeps[SWEEP].indicators
    for name, case in options["cases"].items():
        where = f"experiment.options.cases.{name}"
        if case.get("indicator") not in declared:
            raise ConfigError(f"{where}.indicator", case.get("indicator"), f"not read from sweep '{SWEEP}' (declared: {', '.join(declared)})")
        if ("below" in case) == ("above" in case):
            raise ConfigError(where, dict(case), "give exactly one of below: VALUE or above: VALUE")
    if not 0 < float(options["min_density"]) <= 1:
        raise ConfigError("experiment.options.min_density", options["min_density"], "a fraction in (0, 1]")
    years = data.plan(SWEEP).years
    if years is not None and options["year"] not in years:
        raise ConfigError("experiment.options.year", options["year"], f"sweep '{SWEEP}' keeps only the years {years}")


def _case(data, options, name, case):
    d = data.summaries(SWEEP, case["indicator"], year=options["year"], entity=case["entity"])
    if case.get("partner") is not None:
        d = d[d.partner == case["partner"]]
    keys = [k for k in data.plan(SWEEP).keys if k in d.columns]
    x = d[keys].rename(columns=lambda k: k.removeprefix("model.")).reset_index(drop=True)
    y = (d["value"] < case["below"]) if "below" in case else (d["value"] > case["above"])
    y = y.to_numpy()
    if not y.any() or y.all():
        raise ConfigError(f"experiment.options.cases.{name}", dict(case), f"{int(y.sum())} of {len(y)} runs meet it: choose a "
                                                                         "threshold some runs meet and others miss")
    with warnings.catch_warnings():
        # EMA Workbench 2.5 calls DataFrame.drop(inplace=True), deprecated in pandas 3.1: theirs to change, harmless here
        warnings.filterwarnings("ignore", message="The inplace keyword", module=r"ema_workbench\.")
        box = _prim().Prim(x, y, threshold=float(options["min_density"]), peel_alpha=float(options["peel_alpha"])).find_box()
    traj = box.peeling_trajectory
    ok = traj[(traj.density >= float(options["min_density"])) & (traj.res_dim <= int(options["max_dims"]))]
    chosen = int(ok.coverage.idxmax()) if len(ok) else int(traj.density.idxmax())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword", module=r"ema_workbench\.")
        stats, limits = box.inspect(chosen, style="data")[0]
    rows = [{"case": name, "label": case["label"], "part": "trajectory", "box": int(r.id), "coverage": r.coverage, "density": r.density,
             "res_dim": int(r.res_dim), "chosen": int(r.id) == chosen} for r in traj.itertuples()]
    for param, lim in limits.iterrows():
        lo, hi, qlo, qhi = (float(v) for v in lim.to_numpy())
        rows.append({"case": name, "label": case["label"], "part": "box", "box": chosen, "coverage": stats["coverage"],
                     "density": stats["density"], "res_dim": int(stats["res_dim"]), "chosen": True, "parameter": param,
                     "low": lo, "high": hi, "range_low": float(x[param].min()), "range_high": float(x[param].max()),
                     "qp_low": qlo, "qp_high": qhi})
    out = pd.DataFrame(rows)
    return out.assign(cases_of_interest=int(y.sum()), runs=len(y))


def table(data, options):
    cols = ["case", "label", "part", "box", "coverage", "density", "res_dim", "chosen", "parameter", "low", "high",
            "range_low", "range_high", "qp_low", "qp_high", "cases_of_interest", "runs"]
    out = pd.concat([_case(data, options, n, c) for n, c in options["cases"].items()], ignore_index=True)
    return out.reindex(columns=cols)


def draw(table, options, data):
    theme()
    cases = list(dict.fromkeys(table.case))
    fig, axes = plt.subplots(len(cases), 2, figsize=(MAX_WIDTH_IN, 4.8 * len(cases)), gridspec_kw={"width_ratios": [1, 1.2]}, squeeze=False)
    for (left, right), case in zip(axes, cases):
        d = table[table.case == case]
        traj, box = d[d.part == "trajectory"], d[d.part == "box"]
        sc = left.scatter(traj.coverage, traj.density, c=traj.res_dim, cmap="viridis", s=14)
        pick = traj[traj.chosen]
        left.scatter(pick.coverage, pick.density, s=120, facecolors="none", edgecolors="C3", lw=1.6, label="chosen box")
        left.axhline(float(options["min_density"]), color="0.5", ls=":", lw=1)
        fig.colorbar(sc, ax=left, label="restricted parameters")
        base = d.cases_of_interest.iloc[0] / d.runs.iloc[0]
        left.set(xlabel="coverage (share of the cases inside the box)", ylabel="density (share of the box's runs that are cases)")
        left.set_title(f"{d.label.iloc[0]}\npeeling trajectory: {d.cases_of_interest.iloc[0]:,} of {d.runs.iloc[0]:,} runs are cases "
                       f"({base:.0%})", loc="left", fontsize=10)
        left.set_xlim(0, 1.02)
        left.set_ylim(0, 1.02)
        left.legend(loc="lower left")
        if box.empty:  # the chosen box restricts nothing: no region of these ranges concentrates the cases
            right.axis("off")
            right.text(0.5, 0.5, "no box restricts any parameter:\nthe cases are spread over the whole sample",
                       ha="center", va="center", fontsize=11, transform=right.transAxes)
            continue
        y = np.arange(len(box))[::-1]
        span = (box.range_high - box.range_low).to_numpy()
        lo = ((box.low - box.range_low) / span).to_numpy()
        hi = ((box.high - box.range_low) / span).to_numpy()
        right.barh(y, np.ones(len(box)), color="0.9", height=0.6)
        right.barh(y, hi - lo, left=lo, color="C0", height=0.6)
        for k, r in enumerate(box.itertuples()):
            right.text(lo[k], y[k] + 0.36, f"{r.low:.3g}", ha="center", fontsize=9)
            right.text(hi[k], y[k] + 0.36, f"{r.high:.3g}", ha="center", fontsize=9)
        right.set_yticks(y, [f"{p}\n[{a:.3g}, {b:.3g}]" for p, a, b in zip(box.parameter, box.range_low, box.range_high)])
        right.set(xlim=(-0.05, 1.05), xlabel="position in the sampled range (0 = low end, 1 = high end)",
                  title=f"chosen box: coverage {box.coverage.iloc[0]:.2f}, density {box.density.iloc[0]:.2f}, "
                        f"{len(box)} parameters restricted")
    fig.suptitle(f"Scenario discovery with PRIM (EMA Workbench), {options['year']}: {d.runs.iloc[0]:,} runs of "
                 f"{len(data.plan(SWEEP).keys)} behavioural parameters", y=1.01)
    fig.tight_layout()
    return fig
