"""scenarios_2035: each forward scenario against status_quo in one year, one panel per headline indicator.

Table: one row per panel and scenario: mean, lo, hi (central ``band`` over the replicates), runs, and the
difference from the reference scenario, replicate by replicate: diff_mean, diff_lo, diff_hi. Replicate r of
every scenario meets the same random numbers (common random numbers), so the paired difference shows what the
scenario changes with the model's own noise taken out; the figure draws it. With the posterior sweep declared,
post_diff_mean, post_diff_lo and post_diff_hi are the same paired difference over runs whose parameters are drawn
from the posterior of alignment-infer (draw d with seed r in every scenario): how sure the effect is once the
parameters are uncertain too.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from alignment.errors import ConfigError
from alignment.experiment.data import bands
from alignment.experiment.plotting import MAX_WIDTH_IN, theme

SWEEP = "forward"
POSTERIOR = "forward_posterior"


def check(data, options) -> None:
    scenarios = list(dict.fromkeys(g.scenario for g in data.plan(SWEEP).groups.values()))
    if options["reference"] not in scenarios:
        raise ConfigError("experiment.options.reference", options["reference"], f"not a scenario of sweep '{SWEEP}': " + ", ".join(scenarios))
    years = data.plan(SWEEP).years
    if years is not None and options["year"] not in years:
        raise ConfigError("experiment.options.year", options["year"], f"sweep '{SWEEP}' keeps only the years {years}")
    declared = data.sweeps[SWEEP].indicators
    for name, panel in options["panels"].items():
        if panel.get("indicator") not in declared:
            raise ConfigError(f"experiment.options.panels.{name}.indicator", panel.get("indicator"),
                              f"not read from sweep '{SWEEP}' (declared in experiment.sweeps: {', '.join(declared)})")


def _panel(data, panel: dict, year: int, sweep: str = SWEEP) -> pd.DataFrame:
    """One panel's values per run, with ``pair``: the key that meets the same random numbers (and, in the posterior
    sweep, the same parameters) in every scenario."""
    d = data.summaries(sweep, panel["indicator"], year=year)
    if panel.get("partner") is not None:
        d = d[d.partner == panel["partner"]]
    if panel.get("entity") == "mean":
        d = d.groupby(["scenario", "replicate", "run_id"], as_index=False, sort=False)["value"].mean()
    else:
        d = d[d.entity == panel["entity"]]
    if sweep == SWEEP:
        return d.assign(pair=d["replicate"].astype(str))
    point = data.runs(sweep).set_index("run_id")["point"]
    return d.assign(pair=d["run_id"].map(point).astype(str) + "-" + d["replicate"].astype(str))


def _paired(d: pd.DataFrame, reference: str, level: float) -> pd.DataFrame:
    ref = d[d.scenario == reference].set_index("pair")["value"]
    paired = d.assign(value=d["value"].to_numpy() - ref.reindex(d["pair"]).to_numpy())
    return bands(paired, ["scenario"], level=level)


def table(data, options):
    order = list(dict.fromkeys(g.scenario for g in data.plan(SWEEP).groups.values()))
    level = float(options["band"])
    parts = []
    for name, panel in options["panels"].items():
        d = _panel(data, panel, options["year"])
        levels = bands(d, ["scenario"], level=level)
        diffs = _paired(d, options["reference"], level).rename(columns={"mean": "diff_mean", "lo": "diff_lo", "hi": "diff_hi"})
        part = levels.merge(diffs.drop(columns="runs"), on="scenario")
        if POSTERIOR in data.sweeps:
            post = _paired(_panel(data, panel, options["year"], POSTERIOR), options["reference"], level)
            part = part.merge(post.rename(columns={"mean": "post_diff_mean", "lo": "post_diff_lo", "hi": "post_diff_hi",
                                                   "runs": "post_runs"}), on="scenario")
        parts.append(part.assign(panel=name, label=panel["label"], year=options["year"]))
    out = pd.concat(parts, ignore_index=True)
    out["order"] = out["panel"].map({p: i for i, p in enumerate(options["panels"])}) * 100 + out["scenario"].map({s: i for i, s in enumerate(order)})
    out = out.sort_values("order").reset_index(drop=True)
    columns = ["panel", "label", "year", "scenario", "mean", "lo", "hi", "runs", "diff_mean", "diff_lo", "diff_hi"]
    return out[columns + [c for c in ("post_diff_mean", "post_diff_lo", "post_diff_hi", "post_runs") if c in out]]


def _groups(options) -> list:
    """The panels in groups that share an x axis: the corridor shares, then everything else (weights and indices)."""
    freight = [n for n, p in options["panels"].items() if p["indicator"] == "corridor_share"]
    rest = [n for n in options["panels"] if n not in freight]
    return [g for g in (freight, rest) if g]


def draw(table, options, data):
    """One panel per indicator, differences in percentage points (every quantity is on a 0-1 scale, drawn x100) on
    an x axis shared by a group of panels (the freight shares; the weights and indices), each panel's mean
    differences written at its right. The key and the units in the top row's free slot."""
    theme()
    reference = options["reference"]
    cols = 3
    groups = _groups(options)
    rows = sum(-(-(len(g) + (k == 0)) // cols) for k, g in enumerate(groups))  # the first group keeps a slot for the key
    fig, axes = plt.subplots(rows, cols, figsize=(MAX_WIDTH_IN, 2.75 * rows + 1.0), sharey=True, layout="constrained",
                             squeeze=False)
    slots = iter(axes.flat)
    posterior = "post_diff_lo" in table
    key = None
    for k, group in enumerate(groups):
        d = table[table.panel.isin(group) & (table.scenario != reference)]
        edges = d[["diff_lo", "diff_hi"] + (["post_diff_lo", "post_diff_hi"] if posterior else [])].to_numpy() * PP
        lo, hi = min(edges.min(), 0.0), max(edges.max(), 0.0)
        pad = 0.06 * (hi - lo)
        group_axes = []
        for name in group:
            ax = next(slots)
            group_axes.append(ax)
            _panel_axes(ax, table[table.panel == name], reference, posterior)
            ax.set_xlim(lo - pad, hi + pad)
        if k == 0:
            key = next(slots)
        used = len(group) + (k == 0)
        for _ in range(-used % cols):
            next(slots).axis("off")
        for ax in group_axes[-cols:]:
            ax.set_xlabel(f"difference from {reference}, percentage points")
    band = int(round(100 * options["band"]))
    runs = int(table["runs"].max())
    key.axis("off")
    lines = ["dot: the mean of the paired differences;", f"dark bar: their {band} % band over {runs} paired",
             "replicates (the same random numbers)"]
    if posterior:
        lines[-1] += ";"
        lines += [f"pale bar: the {band} % band over {int(table['post_runs'].max())} paired", "runs with parameters drawn from the posterior"]
    lines += [f"(blue: above {reference}, red: below).", "", "Every quantity lies in 0-1: differences are",
              "drawn x100, in percentage points, on one x axis", "for the freight shares, another for the weights",
              "and indices. At a panel's right: its mean", "differences, percentage points."]
    key.text(0.0, 1.0, "\n".join(lines), transform=key.transAxes, va="top", ha="left")
    fig.suptitle(f"Forward scenarios in {options['year']}, each against {reference}: paired differences, "
                 f"percentage points (x100 of a 0-1 quantity)")
    return fig


PP = 100.0  # a 0-1 quantity's difference in percentage points


def _panel_axes(ax, t, reference, posterior) -> None:
    d = t[t.scenario != reference].reset_index(drop=True)
    ref = t[t.scenario == reference].iloc[0]
    y = list(range(len(d)))[::-1]
    ax.axvline(0, color="0.3", ls="--", lw=1, zorder=1)
    colours = ["C3" if v < 0 else "C0" if v > 0 else "0.4" for v in d.diff_mean]
    if posterior:  # parameter uncertainty too: a wider, paler band behind
        ax.hlines(y, d.post_diff_lo * PP, d.post_diff_hi * PP, colors=colours, lw=7, alpha=0.2)
    ax.hlines(y, d.diff_lo * PP, d.diff_hi * PP, colors=colours, lw=2.2)
    ax.scatter(d.diff_mean * PP, y, color=colours, s=28, zorder=3)
    for yy, v, c in zip(y, d.diff_mean * PP, colours):  # the mean difference, written: it may be too small to see
        ax.annotate(f"{v:+.2f}" if round(v, 2) else "0.00", xy=(1.02, yy), xycoords=("axes fraction", "data"), va="center", ha="left", color=c,
                    annotation_clip=False)
    ax.set_yticks(y, d.scenario)
    ax.set_title(f"{d.label.iloc[0]}\n{reference}: {ref['mean']:.3g} ({ref.lo:.3g}-{ref.hi:.3g})")
