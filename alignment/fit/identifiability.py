"""Identifiability: which parameters the calibration targets pin down and which they leave loose.

Two views, because each misses something the other sees:

* **Loss slices** through the calibrated point: one parameter swept over its search range, the
  others held at their calibrated values. A flat slice means the targets barely see the parameter.
* **The best trials** of the calibration study: the range the best ``top_fraction`` of trials
  cover, and the parameter most rank-correlated with this one among them. A narrow slice with a
  wide spread or a strong partner means the parameter trades off against another (a ridge in the
  loss). TPE samples densely around its best point, so the spread understates looseness: the
  slices carry the "loose" verdict, the trials only the "traded off" one.

Both are measured on the search coordinate (log for ``log: true`` parameters) as a share of the
search range, so a share of 1 means "anywhere in the range does as well".
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

PINNED, TRADED_OFF, LOOSE = "pinned", "traded off", "loose"
SLICE_ONLY = " (slice only)"
MIN_TRIALS = 4  # fewer complete trials than this say nothing about spread or partners


def _to_unit(values, low: float, high: float, log: bool) -> np.ndarray:
    """Map parameter values to [0, 1] on the search coordinate (log scale for log-scale parameters)."""
    v = np.asarray(values, dtype=float)
    if log:
        return (np.log(v) - np.log(low)) / (np.log(high) - np.log(low))
    return (v - low) / (high - low)


def slice_grid(low: float, high: float, log: bool, points: int, base: float) -> np.ndarray:
    """``points`` values evenly spaced on the search coordinate over [low, high], plus ``base``; sorted, unique."""
    grid = np.geomspace(low, high, points) if log else np.linspace(low, high, points)
    return np.unique(np.append(grid, base))


def acceptable_share(x_unit, loss, threshold: float, resolution: int = 1001) -> float:
    """Share of [0, 1] where the piecewise-linear interpolation of ``loss`` over ``x_unit`` is <= ``threshold``.

    Args:
        x_unit: (n,) slice positions on the unit search coordinate, increasing.
        loss: (n,) loss at those positions.
        threshold: the loss still counted as "as good as the calibrated point".
    Outside the sampled positions the loss is held at the nearest sample.
    """
    fine = np.linspace(0.0, 1.0, resolution)
    return float(np.mean(np.interp(fine, x_unit, loss) <= threshold))


def top_spread(unit_values, losses, top_fraction: float) -> tuple[float, np.ndarray]:
    """(5-95 % range of the best trials on the unit coordinate, mask of those trials)."""
    losses = np.asarray(losses, dtype=float)
    k = max(2, int(np.ceil(top_fraction * len(losses))))
    best = np.zeros(len(losses), dtype=bool)
    best[np.argsort(losses, kind="stable")[:k]] = True
    u = np.asarray(unit_values, dtype=float)[best]
    return float(np.quantile(u, 0.95) - np.quantile(u, 0.05)), best


def verdict(slice_share: float, spread: float, partner_rho: float = float("nan"), loose_above: float = 2 / 3,
            spread_above: float = 0.5, rho_above: float = 0.7) -> str:
    """Loose: the slice is flat over most of the range. Traded off: narrow slice, but the best trials
    spread or move with a partner (|rank correlation| >= ``rho_above``): another parameter compensates.
    Pinned: narrow slice and neither sign of a trade-off; "(slice only)" when there were no trials."""
    if slice_share >= loose_above:
        return LOOSE
    if not np.isfinite(spread):
        return PINNED + SLICE_ONLY
    if spread >= spread_above or (np.isfinite(partner_rho) and abs(partner_rho) >= rho_above):
        return TRADED_OFF
    return PINNED


def completed(trials: pd.DataFrame | None) -> pd.DataFrame | None:
    """The complete trials with a loss (Optuna's ``state`` column, when present, is COMPLETE)."""
    if trials is None:
        return None
    done = trials[trials["state"] == "COMPLETE"] if "state" in trials else trials
    return done.dropna(subset=["value"])


def _usable(trials: pd.DataFrame | None) -> pd.DataFrame | None:
    """The complete trials if there are at least MIN_TRIALS of them, else None (slices only)."""
    done = completed(trials)
    return done if done is not None and len(done) >= MIN_TRIALS else None


def summarise(slices: pd.DataFrame, trials: pd.DataFrame | None, space: dict, calibrated: dict,
              top_fraction: float = 0.1, tolerance: float = 0.1) -> pd.DataFrame:
    """One row per searched parameter: calibrated value, slice and top-trial shares, partner, verdict.

    Args:
        slices: rows (parameter, value, loss) from :func:`loss_slices`.
        trials: the study's trials (columns ``value`` and ``params_<name>``), or None.
        space: {name: (low, high, log, is_int)} as from ``calibrate.check_search``.
        calibrated: {name: value} at which the slices cross.
        tolerance: a slice point is acceptable when its loss is within this fraction of the
            calibrated point's loss.
    """
    rows = []
    complete = _usable(trials)
    for name, (low, high, log, _) in space.items():
        s = slices[slices["parameter"] == name].sort_values("value")
        base = calibrated[name]
        base_loss = float(np.interp(_to_unit(base, low, high, log), _to_unit(s["value"], low, high, log), s["loss"]))
        threshold = base_loss * (1.0 + tolerance)
        share = acceptable_share(_to_unit(s["value"], low, high, log), s["loss"].to_numpy(), threshold)
        spread, partner, rho, in_best = float("nan"), "", float("nan"), None
        unit_base = float(_to_unit(base, low, high, log))
        if complete is not None and f"params_{name}" in complete:
            units = {n: _to_unit(complete[f"params_{n}"], *space[n][:3]) for n in space if f"params_{n}" in complete}
            spread, best = top_spread(units[name], complete["value"], top_fraction)
            u = np.asarray(units[name])[best]
            in_best = bool(np.quantile(u, 0.05) - 1e-9 <= unit_base <= np.quantile(u, 0.95) + 1e-9)
            top = pd.DataFrame({n: np.asarray(v)[best] for n, v in units.items()})
            corr = top.corr(method="spearman")[name].drop(name).dropna()
            if len(corr):
                partner = corr.abs().idxmax()
                rho = float(corr[partner])
        rows.append({"parameter": name, "calibrated": base, "low": low, "high": high, "log": log,
                     "at_bound": bool(min(unit_base, 1.0 - unit_base) < 0.02),
                     "slice_loss_min": float(s["loss"].min()), "slice_loss_max": float(s["loss"].max()),
                     "slice_share": share, "top_spread": spread, "in_best_range": in_best,
                     "partner": partner, "partner_rho": rho, "verdict": verdict(share, spread, rho)})
    return pd.DataFrame(rows)


def _slice(prepared, targets, name, grid, replicates) -> list[float]:
    """The loss at each value of ``grid`` for one parameter: every point x replicate in one batch of the engine."""
    from alignment.runs import check_params, run_param_sets
    from alignment.fit.targets import evaluate, loss

    params = [dataclasses.replace(prepared.params, **{name: v}) for v in grid]
    for q in params:
        check_params(q)
    return [loss(evaluate(targets, runs)) for runs in run_param_sets(prepared, params, replicates)]


def loss_slices(prepared, targets, space: dict, points: int, replicates: int, n_jobs: int = 1,
                progress: bool = False) -> pd.DataFrame:
    """The loss along each searched parameter, the others at ``prepared.params``; rows (parameter, value, loss).

    Each point averages seeds 0..replicates-1 (common random numbers across points, as in the
    calibration), so the slices are deterministic and independent of ``n_jobs`` (joblib workers, one
    parameter's slice at a time, each slice one batch of the engine).
    """
    from joblib import Parallel, delayed

    grids = {}
    for name, (low, high, log, is_int) in space.items():
        grid = slice_grid(low, high, log, points, getattr(prepared.params, name))
        grids[name] = [v.item() for v in (np.unique(np.round(grid).astype(int)) if is_int else grid)]
    names = list(grids)
    if progress:
        from tqdm.auto import tqdm

        names = tqdm(names, desc="loss slices", unit="parameter", leave=False)
    losses = Parallel(n_jobs=n_jobs)(delayed(_slice)(prepared, targets, n, grids[n], replicates) for n in names)
    rows = [(n, v, lo) for n, values in zip(grids, losses) for v, lo in zip(grids[n], values)]
    return pd.DataFrame(rows, columns=["parameter", "value", "loss"])


def draw(slices: pd.DataFrame, trials: pd.DataFrame | None, summary: pd.DataFrame,
         top_fraction: float, tolerance: float, path) -> None:
    """One panel per parameter: loss of every trial (grey; best trials orange), the slice (blue line),
    the calibrated value (dashed) and the acceptance threshold (dotted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    n = len(summary)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False)
    complete = _usable(trials)
    if complete is not None:
        cut = np.quantile(complete["value"], 0.9)
        _, best = top_spread(np.zeros(len(complete)), complete["value"], top_fraction)
    for ax, r in zip(axes.flat, summary.itertuples()):
        s = slices[slices["parameter"] == r.parameter].sort_values("value")
        top = s["loss"].max()
        if complete is not None and f"params_{r.parameter}" in complete:
            x, y = complete[f"params_{r.parameter}"], complete["value"]
            ax.scatter(x[~best], np.minimum(y[~best], cut), s=4, color="0.75", lw=0, label="trials")
            ax.scatter(x[best], y[best], s=6, color="C1", lw=0, label=f"best {top_fraction:.0%}")
            top = max(top, cut)
        ax.plot(s["value"], s["loss"], "-o", color="C0", ms=2.5, lw=1.2, label="slice")
        ax.axvline(r.calibrated, color="k", ls="--", lw=0.8)
        base_loss = np.interp(r.calibrated, s["value"], s["loss"])
        ax.axhline(base_loss * (1.0 + tolerance), color="C0", ls=":", lw=0.8)
        ax.set_ylim(min(s["loss"].min(), base_loss) * 0.95, top * 1.02)
        if r.log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.set_title(f"{r.parameter}\n{r.verdict}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower right", fontsize=7, frameon=False)
    fig.supylabel("loss (trials clipped at their 90th percentile)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


# ------------------------------------------------------------------ from a posterior (alignment-infer)
CONTRACTED, PARTLY = "pinned", "partly pinned"
POSTERIOR_LOOSE = "loose"


def posterior_summary(folder, space: dict, calibrated: dict) -> pd.DataFrame:
    """What an alignment-infer study says of each searched parameter: the posterior's median and 90 % interval,
    its contraction (1 - posterior variance / prior variance on the search coordinate), the calibration check's
    p value, and the parameter it is most correlated with in the posterior. The verdict: pinned (contraction >= 0.5),
    partly pinned (>= 0.2), loose."""
    from pathlib import Path

    folder = Path(folder)
    post = pd.read_parquet(folder / "posterior.parquet")
    diag = __import__("json").loads((folder / "diagnostics.json").read_text())
    space = dict(space)
    config = folder / "config.yaml"
    if config.is_file():  # the study's own prior, where it differs from the search space given
        import yaml

        prior = (yaml.safe_load(config.read_text()) or {}).get("search") or {}
        for n, spec in prior.items():
            if n in space and isinstance(spec, dict) and {"low", "high"} <= set(spec):
                space[n] = (float(spec["low"]), float(spec["high"]), bool(spec.get("log", False)), space[n][3])
    names = [n for n in space if f"model.{n}" in post]
    units = np.column_stack([_to_unit(post[f"model.{n}"], *space[n][:3]) for n in names])
    corr = np.corrcoef(units, rowvar=False)
    rows = []
    for k, n in enumerate(names):
        low, high, log, _ = space[n]
        q = post[f"model.{n}"].quantile([0.05, 0.5, 0.95])
        c = diag["parameters"][n]["contraction"]
        others = np.abs(np.where(np.arange(len(names)) == k, 0.0, corr[k]))
        j = int(np.argmax(others))
        verdict = CONTRACTED if c >= 0.5 else PARTLY if c >= 0.2 else POSTERIOR_LOOSE
        rows.append({"parameter": n, "low": low, "high": high, "log": log, "calibrated": calibrated[n], "median": q[0.5],
                     "q05": q[0.05], "q95": q[0.95], "contraction": c, "sbc_ks_p": diag["parameters"][n]["ks_pvalue"],
                     "partner": names[j], "partner_r": float(corr[k, j]), "verdict": verdict})
    return pd.DataFrame(rows)


def posterior_markdown(summary: pd.DataFrame, folder, diag: dict) -> list[str]:
    lines = ["## Identifiability: what the targets pin down (the posterior)", "",
             f"From the posterior of `alignment-infer` in `{folder}` ({diag['simulations']:,} simulations, "
             f"{diag['draws']:,} draws; its report: `{folder}/report.md`). *Contraction* is 1 - posterior variance / prior "
             "variance on the search coordinate (log where the search is): 0, the targets say nothing; 1, they fix it; "
             "below 0, the posterior leans to the ends of the range more than the uniform prior does. The partner is the "
             "parameter most correlated with it in the posterior: a strong partner means the pair is pinned only together. "
             "*SBC p* is the calibration check's uniformity test (below 0.01: the posterior of this parameter is not to "
             "be trusted).", "",
             f"- **{CONTRACTED}**: contraction >= 0.5; **{PARTLY}**: 0.2-0.5; **{POSTERIOR_LOOSE}**: below 0.2.", "",
             "| parameter | model value | prior range | posterior median (90 %) | contraction | partner (r) | SBC p | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        outside = "" if r.q05 <= r.calibrated <= r.q95 else " (outside)"
        lines.append(f"| {r.parameter} | {r.calibrated:.4g}{outside} | {r.low:g}-{r.high:g}{' (log)' if r.log else ''} | "
                     f"{r.median:.3g} ({r.q05:.3g}-{r.q95:.3g}) | {r.contraction:.2f} | {r.partner} ({r.partner_r:+.2f}) | "
                     f"{r.sbc_ks_p:.3f} | {r.verdict} |")
    counts = summary["verdict"].value_counts()
    lines += ["", f"{counts.get(CONTRACTED, 0)} pinned, {counts.get(PARTLY, 0)} partly pinned, {counts.get(POSTERIOR_LOOSE, 0)} "
              f"loose of {len(summary)} searched parameters. Posterior-predictive coverage of the targets: "
              f"{diag['coverage_50']:.2f} in the 50 % interval, {diag['coverage_90']:.2f} in the 90 % one. "
              "A *model value* marked *outside* lies outside the posterior's 90 % interval.", "",
              "![posterior marginals](identifiability.png)", ""]
    return lines


def draw_posterior(folder, summary: pd.DataFrame, path) -> None:
    """Each parameter's posterior on its search range (0-1 on the search coordinate), the model's value marked."""
    import matplotlib.pyplot as plt
    from pathlib import Path

    post = pd.read_parquet(Path(folder) / "posterior.parquet")
    n = len(summary)
    cols = 6
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.1 * rows), sharex=True)
    for ax, r in zip(axes.flat, summary.itertuples()):
        u = _to_unit(post[f"model.{r.parameter}"], r.low, r.high, r.log)
        ax.hist(u, bins=20, range=(0, 1), density=True, color="C0", alpha=0.7)
        ax.axhline(1.0, color="0.4", ls="--", lw=0.8)
        ax.axvline(float(_to_unit([r.calibrated], r.low, r.high, r.log)[0]), color="C3", lw=1.2)
        ax.set_title(f"{r.parameter}\ncontraction {r.contraction:.2f}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.supxlabel("place in the search range (0 = low, 1 = high; log scale where the search is)   dashed: the prior;  "
                  "red: the model's value", fontsize=9)
    fig.supylabel("posterior density", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
