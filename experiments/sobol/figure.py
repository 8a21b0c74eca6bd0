"""sobol: first- and total-order Sobol indices with confidence intervals, from a Saltelli sample.

Table: one row per output and parameter: S1, S1_conf, ST, ST_conf (half-widths of the ``conf_level``
bootstrap intervals), and S1_half, ST_half: the same indices from the first half of the base sample (a
Saltelli sample's first N/2 blocks are a Saltelli sample of N/2), with n_base, the base sample N.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from alignment.errors import ConfigError
from alignment.experiment.plotting import MAX_WIDTH_IN, theme

SWEEP = "sensitivity"


def check(data, options) -> None:
    manifest_sampler = data.sweeps[SWEEP].cfg.sweep.design.sampler
    if manifest_sampler != "sobol" or data.sweeps[SWEEP].cfg.sweep.design.second_order:
        raise ConfigError(f"experiment.sweeps.{SWEEP}", manifest_sampler, "Sobol indices need a sweep with sampler sobol "
                                                                        "(second_order: false)")
    if data.sweeps[SWEEP].cfg.sweep.replicates != 1:
        raise ConfigError(f"experiment.sweeps.{SWEEP}", data.sweeps[SWEEP].cfg.sweep.replicates, "needs replicates: 1")
    years = data.plan(SWEEP).years
    if years is not None and options["year"] not in years:
        raise ConfigError("experiment.options.year", options["year"], f"sweep '{SWEEP}' keeps only the years {years}")
    seed = options.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 1:
        # SALib's sobol.analyze treats a seed of 0 as no seed (`if seed:`) and draws its bootstrap from NumPy's
        # global state: the intervals would change from run to run
        raise ConfigError("experiment.options.seed", seed, "an integer >= 1 (SALib takes 0 for 'no seed')")
    if not 0 < float(options["conf_level"]) < 1:
        raise ConfigError("experiment.options.conf_level", options["conf_level"], "a fraction in (0, 1), e.g. 0.95")


def outputs(data, options) -> dict:
    """{output name: its values in design order} (one run per design point)."""
    point = data.runs(SWEEP).set_index("run_id")["point"]
    year = options["year"]

    def ordered(d):
        d = d.assign(point=point.reindex(d["run_id"]).to_numpy()).sort_values("point")
        return d["value"].to_numpy()

    out = {}
    multi = data.summaries(SWEEP, "multialignment_index", year=year)
    weights = data.summaries(SWEEP, "alignment_weight", year=year)
    for state in options["states"]:
        out[f"{state} multi-alignment"] = ordered(multi[multi.entity == state])
        for power in options["weights_on"]:
            out[f"{state} weight on {power}"] = ordered(weights[(weights.entity == state) & (weights.partner == power)])
    c = options["corridor"]
    share = data.summaries(SWEEP, "corridor_share", year=year, entity=c["entity"], partner=c["partner"])
    out[f"{c['entity']} share of {c['partner']}"] = ordered(share)
    out["cohesion"] = ordered(data.summaries(SWEEP, "cohesion", year=year))
    return out


def table(data, options):
    from SALib.analyze import sobol

    problem = {k: data.problem(SWEEP)[k] for k in ("num_vars", "names", "bounds")}
    D = problem["num_vars"]
    rows = []
    for name, y in outputs(data, options).items():
        n_base = len(y) // (D + 2)
        if len(y) != n_base * (D + 2):
            raise ConfigError(f"experiment.sweeps.{SWEEP}", len(y), f"{name}: {len(y)} values is not a Saltelli sample of {D} parameters")
        kw = {"calc_second_order": False, "num_resamples": int(options["resamples"]), "conf_level": float(options["conf_level"]),
              "seed": int(options["seed"])}
        full = sobol.analyze(problem, y, **kw)
        half = sobol.analyze(problem, y[: (n_base // 2) * (D + 2)], **kw)
        for k, param in enumerate(problem["names"]):
            rows.append({"output": name, "parameter": param.removeprefix("model."), "S1": full["S1"][k], "S1_conf": full["S1_conf"][k],
                         "ST": full["ST"][k], "ST_conf": full["ST_conf"][k], "S1_half": half["S1"][k], "ST_half": half["ST"][k],
                         "n_base": n_base, "variance": float(np.var(y))})
    return pd.DataFrame(rows)


def draw(table, options, data):
    """One row per state (its multi-alignment index, then its weight on each power of ``weights_on``), then the
    corridor share and cohesion; tick labels at the theme's size (9.7 pt), 13.5 inches wide."""
    theme()
    names = list(dict.fromkeys(table.output))
    cols = 1 + len(options["weights_on"])
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(MAX_WIDTH_IN, 2.25 * rows + 1.2), sharex=True, sharey=True,
                             layout="constrained", squeeze=False)
    params = list(dict.fromkeys(table.parameter))
    y = np.arange(len(params))[::-1]
    for ax, name in zip(axes.flat, names):
        d = table[table.output == name].set_index("parameter").loc[params]
        if d["variance"].iloc[0] < 1e-12:
            ax.text(0.5, 0.5, "no variance:\nthe output does not move", ha="center", va="center", transform=ax.transAxes)
        ax.barh(y + 0.2, d.ST, height=0.38, xerr=d.ST_conf, color="C0", error_kw={"lw": 0.8}, label="total order (ST)")
        ax.barh(y - 0.2, d.S1, height=0.38, xerr=d.S1_conf, color="C1", error_kw={"lw": 0.8}, label="first order (S1)")
        ax.set_yticks(y, params)
        ax.set_title(name)
        ax.axvline(0, color="0.4", lw=0.6)
        ax.set_xlim(-0.1, 1.05)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for k, ax in enumerate(axes.flat[: len(names)]):
        if k + cols >= len(names):  # no panel below it: its own x axis, labelled
            ax.set_xlabel("Sobol index (share of variance)")
            ax.tick_params(labelbottom=True)
    live = table[table.variance > 1e-12]
    conf = max(live.S1_conf.max(), live.ST_conf.max())
    drift = max((live.S1 - live.S1_half).abs().max(), (live.ST - live.ST_half).abs().max())
    level = int(round(100 * float(options["conf_level"])))
    n = int(table.n_base.iloc[0])
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if len(names) < rows * cols:  # the legend in the empty slot, else below the panels
        axes.flat[-1].legend(handles, labels, loc="center", title=f"whiskers: {level} % bootstrap intervals", frameon=False)
    else:
        fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    fig.suptitle(f"Sobol indices in {options['year']} (N = {n}, {n * (len(params) + 2):,} runs; whiskers: {level} % bootstrap "
                 f"intervals).\nLargest interval half-width {conf:.3f}; largest change from N = {n // 2}: {drift:.3f}")
    return fig
