"""alignment-validate: each calibration target against the model, as a table, a report and a figure.

Runs ``validate.replicates`` seeds over the calibration window, evaluates every target of
``configs/targets/`` (mean and 90 % band over the replicates), and writes ``validation.csv``,
``validation.md`` and ``validation.png`` into ``validate.output_dir`` (results/validation by default,
committed and linked from the README). Regenerate with ``alignment-validate`` (``make validate``).
"""

from __future__ import annotations

import json

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from alignment.world.calendar import format_month  # noqa: E402
from alignment.cli import console_entry  # noqa: E402
from alignment.errors import ConfigError  # noqa: E402
from alignment.outputs import staged  # noqa: E402
from alignment.runs import event_codes, prepare, run_replicates  # noqa: E402
from alignment.world.scenario import load_events  # noqa: E402
from alignment.fit.targets import evaluate, load_targets, loss  # noqa: E402

PROG = "alignment-validate"


CALIBRATE_OUTPUT = Path("outputs/calibration/trials.csv")  # where alignment-calibrate writes by default (configs/calibrate.yaml)
COMMITTED_STUDY = Path("results/calibration/trials.csv")  # the study behind the defaults (the validate default)


def _load_trials(path, space: dict):
    """A calibration study's trials.csv, checked to hold a loss and every searched parameter. When the default (the
    committed study) is missing but alignment-calibrate's own output is there, that is used, and the command says so."""
    import pandas as pd

    key = "validate.identifiability.trials"
    if not Path(path).is_file():
        if Path(path) == COMMITTED_STUDY and CALIBRATE_OUTPUT.is_file():
            print(f"{PROG}: note: {COMMITTED_STUDY} is missing; using {CALIBRATE_OUTPUT}, alignment-calibrate's output",
                  file=sys.stderr)
            path = CALIBRATE_OUTPUT
        else:
            raise ConfigError(key, str(path), f"no such file (alignment-calibrate writes {CALIBRATE_OUTPUT}; point this key at "
                              "a study's trials.csv, or set it to null for slices only)")
    try:
        trials = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - pandas raises several parser errors
        raise ConfigError(key, path, f"not a readable CSV ({type(exc).__name__})") from None
    missing = [c for c in ["value"] + [f"params_{n}" for n in space] if c not in trials]
    if missing:
        raise ConfigError(key, path, "not a trials.csv of this search space; missing columns: " + ", ".join(missing))
    from alignment.fit.identifiability import MIN_TRIALS, completed

    n_complete = len(completed(trials))
    if n_complete < MIN_TRIALS:
        raise ConfigError(key, path, f"has {n_complete} complete trials; at least {MIN_TRIALS} are needed")
    return trials


def prepare_validation(cfg: DictConfig):
    """Check a validation config: the run part, targets, replicates and the identifiability settings."""
    from alignment.fit.calibrate import check_search

    p = prepare(cfg)
    targets = load_targets(cfg.targets, p.world, cfg.world, until=p.end // 12)
    if cfg.validate.replicates < 1:
        raise ConfigError("validate.replicates", cfg.validate.replicates, "must be >= 1")
    ident = cfg.validate.identifiability
    for key, ok, allowed in (("points", ident.points >= 2, "must be >= 2"), ("replicates", ident.replicates >= 1, "must be >= 1"),
                             ("top_fraction", 0 < ident.top_fraction <= 1, "must be in (0, 1]"),
                             ("tolerance", ident.tolerance > 0, "must be > 0"), ("n_jobs", ident.n_jobs != 0, "must be >= 1, or negative as in joblib")):
        if not ok:
            raise ConfigError(f"validate.identifiability.{key}", ident[key], allowed)
    space = check_search(OmegaConf.to_container(cfg.search))
    for name, (low, high, _, _) in space.items():
        value = getattr(p.params, name)
        if not low <= value <= high:
            raise ConfigError(f"model.{name}", value, f"outside its search range [{low}, {high}]: the slice cannot cross it")
    if ident.get("posterior"):
        folder = Path(str(ident.posterior))
        missing = [f for f in ("posterior.parquet", "diagnostics.json") if not (folder / f).is_file()]
        if missing:
            raise ConfigError("validate.identifiability.posterior", str(folder), f"no {missing[0]} there: make the study "
                              "with alignment-infer (the default: alignment-infer, into results/inference/default), or set this key to null "
                              "for loss slices")
        import pandas as pd

        columns = set(pd.read_parquet(folder / "posterior.parquet").columns)
        lacking = [n for n in space if f"model.{n}" not in columns]
        if lacking:
            raise ConfigError("validate.identifiability.posterior", str(folder), "not a posterior of this search space; "
                              "no column model." + lacking[0])
        return p, targets, space, None
    trials = _load_trials(ident.trials, space) if ident.trials else None
    return p, targets, space, trials


def _post_2021_events(cfg) -> list:
    """The scenario's events after 2021 (on the full default horizon), for the out-of-sample section."""
    p = prepare(cfg)
    events = load_events(cfg.scenario, event_codes(p.world), (p.start, 2100 * 12 + 11))
    return [e for e in events if e.date >= 2022 * 12]


_ACTS_THROUGH = {
    "sanctions": "trade costs (secondary_sanction_cost), diversion (sanction_cost_elasticity, diversion_share), alignment push (sanction_weight)",
    "stance": "each state's answer to coercion (coercion_weight x its threat_response), powers' step-up where they lose ground (budget_response)",
    "threat": "interaction rates (threat_gain), speed of every state's adjustment (threat_urgency), the turn to security partners (regime_security_weight x each state's regime_security)",
    "unga_agenda": "predicted UN agreement only (the share of the agenda on which actors vote as in spring 2022); no effect on the weights",
    "corridor": "route choice (value_of_time_usd_per_feu_day, cargo_value_usd_per_feu, logit_scale_usd); capacity ramp (expansion_response_share, max_capacity_growth_share or the route's own max_growth_share_per_month, construction_lag_months)",
    "market": "freight demand",
    "investment": "investment stock as a share of the powers' stock (channel_investment, engagement_size_elasticity), rivals' counter-spending (engagement_rivalry) and corridor capacity (teu_per_usd_bn; greenfield when built)",
    "summit": "attention stock (attention_depreciation_per_year; sized by level and mode), institutions (institutions_decay_per_year)",
    "agreement": "security ties (channel_security), institutions", "membership": "trade costs (membership_cost_effect), ties",
    "shock": "trade and in-person contact", "leadership_change": "openness, activity, hedging", "trade_opening": "trade costs",
    "remittances": "remittances (channel_remittances)",
    "economy": "the power's output: trade gravity (gdp_elasticity), remittances (remittance_gdp_elasticity)",
}


LANDSCAPE_YEARS = (2015, 2021, 2030)


def landscape_analysis(cfg: DictConfig, replicates: int = 5):
    """Two-coalition local minima of the twelve actors in the scenario over the full horizon.

    Sizes are GDP (USD bn) in the year; propensities come from the year's mean alignment weights and
    trade shares over ``replicates`` seeds, the powers' distances in UN ideal points and the sanctions in force at the year's end
    (:func:`alignment.analysis.landscape.model_propensity`).
    """
    import pandas as pd

    from alignment.analysis.landscape import local_minima, model_propensity

    full = OmegaConf.merge(cfg, {"horizon": {"start": "2015-01", "end": "2035-12", "drop_later_events": False}})
    p = prepare(full)
    P = len(p.world.powers)
    actors = list(p.world.states) + list(p.world.powers)
    weights = {y: [] for y in LANDSCAPE_YEARS}
    shares = {y: [] for y in LANDSCAPE_YEARS}
    runs = run_replicates(p, replicates)
    sanctions = runs[0].sanction_history  # events are the same in every replicate
    for m in runs:
        for y in LANDSCAPE_YEARS:
            rows = slice(y * 12 - m.start, (y + 1) * 12 - m.start)
            weights[y].append(m.rec["weights"][rows].mean(axis=0))
            trade = m.rec["trade"][rows].mean(axis=0)[:, :P]
            shares[y].append(trade / trade.sum(axis=1, keepdims=True))
    out = []
    for y in LANDSCAPE_YEARS:
        gdp = p.world.gdp_at(y)
        sizes = np.concatenate([gdp[P:], gdp[:P]])  # states first, as in the propensity matrix
        prop = model_propensity(np.mean(weights[y], axis=0), np.mean(shares[y], axis=0), sanctions[y], p.world.rivalry)
        for rank, mn in enumerate(local_minima(sizes / sizes.sum(), prop)):
            side = mn.sides
            out.append({"year": y, "rank": rank + 1, "energy": mn.energy, "basin": mn.basin,
                        "coalition_a": "|".join(a for a, s in zip(actors, side) if s == 0),
                        "coalition_b": "|".join(a for a, s in zip(actors, side) if s == 1),
                        **{a: int(s) for a, s in zip(actors, side)}})
    return pd.DataFrame(out)


def draw_landscape(land, path: Path) -> None:
    """Sides of the three lowest minima per year (columns), actor by actor (rows)."""
    top = land[land["rank"] <= 3]
    actors = [c for c in land.columns if c not in ("year", "rank", "energy", "basin", "coalition_a", "coalition_b")]
    grid = top[actors].T
    grid.columns = [f"{r.year} #{r.rank}\nE={r.energy:.3f}\nbasin {r.basin}" for r in top.itertuples()]
    fig, ax = plt.subplots(figsize=(1.1 * len(grid.columns) + 2, 5))
    sns.heatmap(grid, cmap=sns.color_palette(["#4c72b0", "#dd8452"], as_cmap=True), cbar=False, linewidths=0.5,
                linecolor="white", ax=ax, annot=False, yticklabels=True)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_title("Landscape minima: the two coalitions (colour = side) of the lowest-energy splits")
    ax.tick_params(axis="x", labelsize=7)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def _model_option() -> str:
    """The configs/model/ option of this run (Hydra's record of the choice; 'default' outside Hydra)."""
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.get().runtime.choices.get("model", "default") if HydraConfig.initialized() else "default"


def report_markdown(table, cfg, replicates, post_events, land=None) -> str:
    met, n = int(table["met"].sum()), len(table)
    lines = [
        "# Validation report",
        "",
        f"Generated by `alignment-validate` (model option `{_model_option()}`, "
        f"scenario `{cfg.scenario.name}`, {format_month(int(cfg.horizon.start[:4]) * 12 + int(cfg.horizon.start[5:]) - 1)}.."
        f"{cfg.horizon.end}, {replicates} replicates, seeds 0..{replicates - 1}). Targets and their sources: `configs/targets/`.",
        "",
        f"**{met} of {n} targets met; loss {loss(table):.3f}** (weighted mean of squared tolerance-scaled errors, each capped at 25; "
        "a failed pattern counts as missed by the cap).",
        "",
        "| kind | targets | met | loss share |",
        "|---|---|---|---|",
    ]
    total = table["loss_term"].sum() or 1.0
    for kind, g in table.groupby("kind", sort=False):
        lines.append(f"| {kind} | {len(g)} | {int(g['met'].sum())} | {g['loss_term'].sum() / total:.0%} |")
    lines += ["", "## Patterns of the brief", "", "| statement | holds in share of replicates | source |", "|---|---|---|"]
    for _, r in table[table["kind"] == "pattern"].iterrows():
        lines.append(f"| {r['target']} | {r['model_mean']:.2f} | {r['source']} |")
    lines += ["", "## Every target", "",
              "| target | record | model mean | 90 % band | tolerance | met | loss term |", "|---|---|---|---|---|---|---|"]
    for _, r in table[table["kind"] != "pattern"].iterrows():
        tol = f"{r['tolerance']:.3g}" + (" (log)" if r["relative"] else "")
        lines.append(f"| {r['target']} | {r['value']:.4g} | {r['model_mean']:.4g} | {r['model_p05']:.4g}-{r['model_p95']:.4g} | "
                     f"{tol} | {'yes' if r['met'] else 'no'} | {r['loss_term']:.3g} |")
    lines += ["", "## Out of sample: scenario events after 2021", "",
              "No target is dated after 2021 and no parameter or event is tuned to outcomes from 2022 on. The model's "
              "post-2021 behaviour comes from its mechanisms and these dated events of the scenario:", "",
              "| date | event | kind | acts through |", "|---|---|---|---|"]
    for e in post_events:
        kind = next(k for k, c in __import__("alignment.world.scenario", fromlist=["KINDS"]).KINDS.items() if isinstance(e, c))
        lines.append(f"| {format_month(e.date)} | {e.id or e.note[:40]} | {kind} | {_ACTS_THROUGH.get(kind, '')} |")
    lines += ["", "![standardised errors](validation.png)", ""]
    if land is not None:
        lines += ["## Landscape theory: two-coalition minima (Axelrod and Bennett 1993)", "",
                  "Twelve actors (the C5 and the seven powers), sized by GDP; propensities from the year's mean alignment "
                  "weights and trade shares (5 replicates); between powers, 1 - 2 x their distance in UN ideal points (scaled to "
                  "a maximum of 1) minus the sanctions in force (`alignment/analysis/landscape.py`, `model_propensity`). A split is a local minimum when no single actor lowers the energy by changing side; "
                  "the basin counts the 2,048 splits whose steepest descent ends there.", "",
                  "| year | minimum | energy | basin | one side | other side |", "|---|---|---|---|---|---|"]
        for r in land.itertuples():
            lines.append(f"| {r.year} | {r.rank} | {r.energy:.4f} | {r.basin} | {r.coalition_a.replace('|', ', ')} | "
                         f"{r.coalition_b.replace('|', ', ') or '(none)'} |")
        lines += ["", "![landscape minima](landscape.png)", ""]
    return "\n".join(lines)


def draw(table, path: Path) -> None:
    """Standardised error (model - record) / tolerance per target with its 90 % band; |x| <= 1 is met."""
    d = table[table["kind"] != "pattern"].copy()
    scale = d["tolerance"].where(d["tolerance"] > 0, 1.0)

    def z(x):
        return np.where(d["relative"], np.log(np.maximum(x, 1e-9) / d["value"]), x - d["value"]) / scale

    d["z"], d["lo"], d["hi"] = z(d["model_mean"]), z(d["model_p05"]), z(d["model_p95"])
    d = d.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, max(4, 0.18 * len(d))))
    y = np.arange(len(d))
    ax.axvspan(-1, 1, color="0.9")
    ax.hlines(y, np.clip(d["lo"], -6, 6), np.clip(d["hi"], -6, 6), color="0.5", lw=1)
    colors = np.where(d["met"], "C2", "C3")
    ax.scatter(np.clip(d["z"], -6, 6), y, c=colors, s=14, zorder=3)
    ax.set_yticks(y, d["target"], fontsize=6)
    ax.set_xlim(-6.2, 6.2)
    ax.set_xlabel("(model - record) / tolerance   (grey band: met; clipped at 6)")
    ax.set_title(f"{int(table['met'].sum())} of {len(table)} targets met")
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def identifiability_analysis(p, targets, space, trials, ident):
    """Loss slices through the model's parameters and the spread of the study's best trials."""
    from alignment.fit.identifiability import loss_slices, summarise

    slices = loss_slices(p, targets, space, int(ident.points), int(ident.replicates), int(ident.n_jobs), progress=True)
    calibrated = {n: getattr(p.params, n) for n in space}
    return slices, summarise(slices, trials, space, calibrated, float(ident.top_fraction), float(ident.tolerance))


def identifiability_markdown(summary, ident, n_trials) -> list[str]:
    from alignment.fit.identifiability import LOOSE, PINNED, SLICE_ONLY, TRADED_OFF

    source = (f"the best {ident.top_fraction:.0%} of the {n_trials} trials in `{ident.trials}`" if n_trials
              else "no calibration trials (slices only)")
    lines = ["## Identifiability: what the targets pin down", "",
             f"Each parameter is swept over its search range (`configs/search/`) with the others at the model's values "
             f"({ident.points} points, {ident.replicates} seeds each); the *slice share* is the share of the range "
             f"(log scale where the search is) whose loss is within {ident.tolerance:.0%} of the loss at the model's value. "
             f"The *top-trial spread* is the 5-95 % range of {source}, as a share of the search range, and the partner is "
             "the parameter most rank-correlated with it among those trials. TPE samples densely near its best point, so "
             "the spread understates looseness; the slices decide \"loose\". A value marked *outside* lies outside the 5-95 % "
             "range of the best trials: set after the study, or the best trial itself at the edge of its neighbours "
             "(`results/calibration/README.md` says which).", "",
             f"- **{LOOSE}**: the slice is flat over at least two thirds of the range: the targets barely see it;",
             f"- **{TRADED_OFF}**: narrow slice, but the best trials spread over half the range or move with a partner "
             "(|rank correlation| >= 0.7): the partner compensates, and the pair is pinned only together;",
             f"- **{PINNED}**: narrow slice and neither sign of a trade-off{'' if n_trials else SLICE_ONLY + ' without trials'}.", "",
             "| parameter | value | search range | slice loss (min-max) | slice share | top-trial spread | partner (rho) | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        spread = "n/a" if r.top_spread != r.top_spread else f"{r.top_spread:.2f}"
        partner = f"{r.partner} ({r.partner_rho:+.2f})" if r.partner else "n/a"
        edge = (" (at a bound)" if r.at_bound else "") + (" (outside)" if r.in_best_range is False else "")
        lines.append(f"| {r.parameter} | {r.calibrated:.4g}{edge} | {r.low:g}-{r.high:g}{' (log)' if r.log else ''} | "
                     f"{r.slice_loss_min:.3f}-{r.slice_loss_max:.3f} | {r.slice_share:.2f} | {spread} | {partner} | {r.verdict} |")
    counts = summary["verdict"].value_counts()
    pinned = int(summary["verdict"].str.startswith(PINNED).sum())
    lines += ["", f"{pinned} pinned, {counts.get(TRADED_OFF, 0)} traded off, {counts.get(LOOSE, 0)} loose "
              f"of {len(summary)} searched parameters. Loose: "
              + (", ".join(summary.loc[summary.verdict == LOOSE, "parameter"]) or "none") + ".",
              "", "![loss slices and trials](identifiability.png)", ""]
    return lines


def no_war_scenario(cfg):
    """The no_war_2022 counterfactual as layered over the scenario in ``cfg`` (configs/scenario/no_war_2022.yaml)."""
    layer = OmegaConf.load(Path(__file__).resolve().parents[2] / "configs" / "scenario" / "no_war_2022.yaml")
    return OmegaConf.merge(cfg.scenario, {k: layer[k] for k in ("name", "description", "exclude")})


def weights_meaning(cfg, seeds: int) -> list[str]:
    """The report's section on what the weights mean (alignment.fit.meaning), over ``seeds`` seeds, with the rolling-origin
    result of ``validate.rolling_origin`` (a calibrated model option fitted on 2015-2018) when one is named."""
    from alignment.fit.meaning import report, rolling_origin

    ro = cfg.validate.get("rolling_origin") if "validate" in cfg else None
    rolling = rolling_origin(cfg, ro, seeds) if ro else None
    return report(cfg, seeds, rolling)[0]


def run_validation(cfg: DictConfig) -> dict:
    """Compute every part of the report first, write it into a staging folder, then move the files into
    ``validate.output_dir``: a failure anywhere leaves the previous report untouched."""
    from alignment.fit.identifiability import completed, draw as draw_identifiability

    p, targets, space, trials = prepare_validation(cfg)
    reps = int(cfg.validate.replicates)
    table = evaluate(targets, run_replicates(p, reps))
    full = OmegaConf.merge(cfg, {"horizon": {"end": "2100-12", "drop_later_events": False}})
    land = landscape_analysis(cfg) if cfg.scenario.name == "historical" else None
    ident = cfg.validate.identifiability
    folder = ident.get("posterior")
    if folder:
        from alignment.fit.identifiability import draw_posterior, posterior_markdown, posterior_summary

        slices = None
        summary = posterior_summary(folder, space, {n: getattr(p.params, n) for n in space})
        diag = json.loads((Path(str(folder)) / "diagnostics.json").read_text())
        ident_md = posterior_markdown(summary, folder, diag)
    else:
        slices, summary = identifiability_analysis(p, targets, space, trials, ident)
        n_trials = 0 if trials is None else len(completed(trials))
        ident_md = identifiability_markdown(summary, ident, n_trials)
    report = report_markdown(table, cfg, reps, _post_2021_events(full), land)
    if cfg.scenario.name == "historical" and cfg.validate.weights_meaning:
        report += "\n" + "\n".join(weights_meaning(cfg, reps))
    report += "\n" + "\n".join(ident_md)

    out = Path(cfg.validate.output_dir)
    with staged(out) as stage:
        sns.set_theme(style="whitegrid")
        (stage / "validation.csv").write_text(table.to_csv(index=False, float_format="%.6g"))
        draw(table, stage / "validation.png")
        if land is not None:
            (stage / "landscape.csv").write_text(land.to_csv(index=False, float_format="%.6g"))
            draw_landscape(land, stage / "landscape.png")
        (stage / "identifiability.csv").write_text(summary.to_csv(index=False, float_format="%.6g"))
        if slices is None:
            draw_posterior(folder, summary, stage / "identifiability.png")
            old = out / "identifiability_slices.csv"  # a previous report's slices would no longer match
            if old.exists():
                old.unlink()
        else:
            (stage / "identifiability_slices.csv").write_text(slices.to_csv(index=False, float_format="%.6g"))
            draw_identifiability(slices, trials, summary, float(ident.top_fraction), float(ident.tolerance),
                                 stage / "identifiability.png")
        (stage / "validation.md").write_text(report)
    print(f"{int(table['met'].sum())} of {len(table)} targets met, loss {loss(table):.3f}; wrote {out}/validation.md, .csv, .png")
    return {"table": table, "output_dir": out, "identifiability": summary}


main = console_entry(PROG, "validate", run_validation, prepare_validation)


if __name__ == "__main__":
    main()
