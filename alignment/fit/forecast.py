"""alignment-forecast: forecasts scored as the forecasting literature scores them, and a frozen forecast.

Rolling origin inside the record. For each origin year Y (``forecast.origins``), a posterior is inferred on
2015..Y only (``alignment-infer horizon.end=Y-12 model.unga_link_until=Y infer.name=origin_Y``; run here if
missing), and its posterior-predictive ensemble forecasts Y+1..2021: ``forecast.draws`` parameter sets, one seed
each, plus the record's noise and the draw's discrepancy, as in the inference. Each recorded value after Y is
scored with the continuous ranked probability score (CRPS; ``scoringrules``) against two baselines built from
the record up to Y alone:

- persistence: the series' last recorded value carried forward, spread by bootstrapped year-on-year changes of
  its family's record (one change per year ahead);
- constant: the series' recorded values up to Y, as an ensemble (a constant per dyad with its own spread).

Skill = 1 - CRPS_model / CRPS_baseline per family of targets, with a paired bootstrap interval over the scored
state-years; coverage of the central 50 % and 90 % intervals and the probability integral transform (PIT).

What the forecasts condition on: the exogenous inputs of the forecast years come from the record (GDP, the dated
events, the powers' UN ideal points), as in any conditional forecast; the baselines do not use them.
Not scored: arms-import shares (targets over the whole 2015-2021 window, no yearly series) and co-sponsorship
(its link is fitted on the 2020-2021 record itself).

The frozen forecast (``forecast.frozen``): a posterior sweep of the forward scenarios (configs/sweep/), reduced to
the quantiles of each quantity per scenario, year, state and power, with a manifest naming the commit, the date,
the posterior and the command.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from omegaconf import DictConfig, open_dict

from alignment.cli import console_entry
from alignment.errors import ConfigError
from alignment.outputs import atomic_write_table, atomic_write_text

PROG = "alignment-forecast"
RECORD_END = 2021
ORIGINS = (2016, 2020)  # an origin needs a year of record to fit and one after it to score
FAMILY_OF = {"unga_agreement": "UN agreement", "unga_position": "UN positions", "corridor_volume": "corridor volumes",
             "interactions": "interaction counts", "remittances": "remittances", "china_share": "trade shares"}
DISCREPANCY_OF = {"UN agreement": "un", "UN positions": "un", "corridor volumes": "corridors", "interaction counts": "regional",
                  "remittances": "regional", "trade shares": "trade"}
TRADE_SHARE_TOLERANCE = 0.03  # the record's noise on a trade share, as the china_share target's (configs/targets/)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Item:
    """One recorded value to forecast: a series (a target without its year) in one year."""

    family: str
    series: str
    year: int
    value: float  # on the scale it is scored on: the log for a relative item
    tolerance: float
    relative: bool  # scored on the log scale (volumes)
    statistic: Callable  # finished run -> the model's value


# ------------------------------------------------------------------ checking
def check_forecast(cfg: DictConfig) -> None:
    f = cfg.forecast
    origins = list(f.origins)
    if not origins:
        raise ConfigError("forecast.origins", origins, "name at least one origin year")
    for n, o in enumerate(origins):
        if isinstance(o, bool) or not isinstance(o, int) or not ORIGINS[0] <= o <= ORIGINS[1]:
            raise ConfigError(f"forecast.origins[{n}]", o, f"must be a year in {ORIGINS[0]}-{ORIGINS[1]}: the record runs "
                                                           f"2015-{RECORD_END}, and an origin needs a year after it to score")
    for key, low in (("draws", 20), ("bootstrap", 100)):
        if f[key] < low:
            raise ConfigError(f"forecast.{key}", f[key], f"must be >= {low}")
    if f.seed < 0:
        raise ConfigError("forecast.seed", f.seed, "must be a non-negative integer")
    fr = f.frozen
    if fr.enabled:
        if fr.draws < 20:
            raise ConfigError("forecast.frozen.draws", fr.draws, "must be >= 20")
        y0, y1 = (int(y) for y in fr.years)
        if not 2022 <= y0 <= y1 <= 2035:
            raise ConfigError("forecast.frozen.years", list(fr.years), "a range [first, last] within 2022-2035")
        posterior = Path(str(fr.posterior))
        from alignment.sweeps.design import posterior_file

        try:
            path = posterior_file(posterior)
        except ConfigError:
            raise ConfigError("forecast.frozen.posterior", str(fr.posterior), "no such posterior; make it with "
                              "alignment-infer (the default study: alignment-infer, into results/inference/default)") from None
        have = len(pd.read_parquet(path, columns=[]).index)
        if have < fr.draws:
            raise ConfigError("forecast.frozen.draws", fr.draws, f"the posterior {path} has only {have:,} draws")


def prepare_forecast(cfg: DictConfig) -> DictConfig:
    from alignment.sweeps.executors import check_executor

    check_forecast(cfg)
    check_executor(cfg.executor)
    for o in cfg.forecast.origins:
        infer_config(cfg, o, RECORD_END)  # the origin studies' configs compose and check before anything runs
    return cfg


# ------------------------------------------------------------------ the origin studies
def _compose(config_name: str, overrides: list):
    from alignment.experiment.app import _compose as compose

    return compose(config_name, overrides)


def infer_config(cfg: DictConfig, origin: int, end: int) -> DictConfig:
    """The inference config of an origin study (``end``: the last year simulated: the origin to infer, 2021 to
    forecast), with this command's results folder, executor and extra overrides."""
    from alignment.fit.infer import prepare_inference

    overrides = [f"horizon.end={end}-12", f"model.unga_link_until={origin}", f"infer.name=origin_{origin}",
                 f"infer.results_dir={cfg.results_dir}", f"infer.progress={str(bool(cfg.progress)).lower()}",
                 *[str(o) for o in cfg.forecast.infer]]
    icfg = _compose("infer", overrides)
    with open_dict(icfg):
        icfg.executor = cfg.executor
    prepare_inference(icfg)
    return icfg


def origin_posterior(cfg: DictConfig, origin: int) -> Path:
    """The origin's posterior file, inferred on 2015..origin if it is not there yet (or not finished)."""
    from alignment.fit.infer import run_inference

    return run_inference(infer_config(cfg, origin, origin))["output_dir"] / "posterior.parquet"


# ------------------------------------------------------------------ what is forecast
def items(world, targets, origin: int) -> tuple[list[Item], dict]:
    """The recorded values after ``origin`` to score, and every series' record {series: {year: value}} (years up to
    the record's end; the baselines read only the years up to the origin)."""
    from alignment.fit.targets import _annual_trade, year_and_series

    out, history = [], {}
    for t in targets:
        y, series = year_and_series(t.name)
        if y is None or t.kind not in FAMILY_OF:
            continue
        value = float(np.log(t.value)) if t.relative else float(t.value)
        history.setdefault(series, {})[y] = value
        if y > origin:
            out.append(Item(FAMILY_OF[t.kind], series, y, value, float(t.tolerance), t.relative, t.statistic))
    years = [int(y) for y in world.trade_years]
    for y in years:
        rec = world.trade_record[years.index(y)]  # (N, Q) USD bn, reporter view
        shares = rec / np.nansum(rec, axis=1, keepdims=True)
        for i, st in enumerate(world.states):
            for p in world.powers:
                q = world.partners.index(p)
                if not np.isfinite(shares[i, q]):
                    continue
                series = f"trade_share.{st}.{p}"
                history.setdefault(series, {})[y] = float(shares[i, q])
                if origin < y <= RECORD_END:
                    stat = (lambda m, y=y, i=i, q=q: float(_annual_trade(m, y)[i, q] / _annual_trade(m, y)[i].sum()))
                    out.append(Item("trade shares", series, y, float(shares[i, q]), TRADE_SHARE_TOLERANCE, False, stat))
    return out, history


def model_ensemble(its: list[Item], runs, disc: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """(n_items, n_runs) the posterior-predictive ensemble: each run's value plus the record's noise and the draw's
    discrepancy for the item's family (log scale for relative items)."""
    out = np.empty((len(its), len(runs)))
    for k, it in enumerate(its):
        stat = np.array([it.statistic(m) for m in runs], dtype=float)
        if it.relative:
            stat = np.log(np.maximum(stat, 1e-9))
        column = f"discrepancy.{DISCREPANCY_OF[it.family]}"
        sigma = disc[column].to_numpy() if column in disc else np.zeros(len(runs))
        out[k] = stat + it.tolerance * np.sqrt(1.0 + sigma ** 2) * rng.standard_normal(len(runs))
    return out


def baselines(its: list[Item], history: dict, origin: int, size: int, rng: np.random.Generator) -> tuple[list, list]:
    """Per item, the persistence ensemble (``size`` members) and the constant ensemble (the record up to the origin).
    An item whose series has no record up to the origin has neither (None)."""
    pasts = {it.series: sorted((y, v) for y, v in history[it.series].items() if y <= origin) for it in its}
    changes: dict[str, list] = {it.family: [] for it in its}
    for series, family in dict((it.series, it.family) for it in its).items():
        past = pasts[series]
        changes[family] += [(b - a) / (yb - ya) for (ya, a), (yb, b) in zip(past, past[1:])]
    persistence, constant = [], []
    for it in its:
        past = pasts[it.series]
        if not past:
            persistence.append(None)
            constant.append(None)
            continue
        last_year, last = past[-1]
        pool = np.array(changes[it.family] or [0.0])
        steps = rng.choice(pool, size=(size, it.year - last_year))
        persistence.append(last + steps.sum(axis=1))
        constant.append(np.array([v for _, v in past]))
    return persistence, constant


def crps(obs: float, ensemble: np.ndarray) -> float:
    import scoringrules as sr

    return float(sr.crps_ensemble(np.asarray(obs, dtype=float), np.asarray(ensemble, dtype=float)))


def pit(obs: float, ensemble: np.ndarray, u: float) -> float:
    """The randomised probability integral transform of ``obs`` in the ensemble (ties split by ``u``)."""
    e = np.asarray(ensemble)
    return float((np.sum(e < obs) + u * np.sum(e == obs)) / len(e))


def score_items(its, model, persistence, constant, rng) -> pd.DataFrame:
    rows = []
    for k, it in enumerate(its):
        if persistence[k] is None:
            continue
        obs = it.value
        q = np.quantile(model[k], [0.05, 0.25, 0.75, 0.95])
        rows.append({"family": it.family, "series": it.series, "year": it.year, "record": obs,
                     "model_median": float(np.median(model[k])), "crps_model": crps(obs, model[k]),
                     "crps_persistence": crps(obs, persistence[k]), "crps_constant": crps(obs, constant[k]),
                     "in_50": bool(q[1] <= obs <= q[2]), "in_90": bool(q[0] <= obs <= q[3]),
                     "pit": pit(obs, model[k], float(rng.random()))})
    return pd.DataFrame(rows)


def skill_table(scores: pd.DataFrame, origin: int, n_boot: int, rng: np.random.Generator) -> pd.DataFrame:
    """Per family: mean CRPS of the model and the baselines, skill against each with a paired bootstrap 90 %
    interval over the scored state-years, and the coverage of the 50 % and 90 % intervals."""
    rows = []
    for family, d in scores.groupby("family", sort=True):
        m, p, c = (d[k].to_numpy() for k in ("crps_model", "crps_persistence", "crps_constant"))
        idx = rng.integers(0, len(d), size=(n_boot, len(d)))
        boot_p = 1.0 - m[idx].mean(1) / np.maximum(p[idx].mean(1), 1e-300)
        boot_c = 1.0 - m[idx].mean(1) / np.maximum(c[idx].mean(1), 1e-300)
        rows.append({"origin": origin, "target": family, "items": len(d), "years": f"{d.year.min()}-{d.year.max()}",
                     "crps_model": m.mean(), "crps_persistence": p.mean(), "crps_constant": c.mean(),
                     "skill_persistence": 1.0 - m.mean() / p.mean(), "ci_low": float(np.quantile(boot_p, 0.05)),
                     "ci_high": float(np.quantile(boot_p, 0.95)), "skill_constant": 1.0 - m.mean() / c.mean(),
                     "ci_low_constant": float(np.quantile(boot_c, 0.05)), "ci_high_constant": float(np.quantile(boot_c, 0.95)),
                     "coverage_50": float(d.in_50.mean()), "coverage_90": float(d.in_90.mean())})
    return pd.DataFrame(rows)


def rolling_origin(cfg: DictConfig, origin: int) -> pd.DataFrame:
    """Score the forecast from one origin: item by item (the skill table is made from these)."""
    from alignment.fit.targets import load_targets
    from alignment.runs import check_params, prepare, run_batch
    from alignment.sweeps.design import posterior_points

    f = cfg.forecast
    path = origin_posterior(cfg, origin)
    fcfg = infer_config(cfg, origin, RECORD_END)
    prepared = prepare(fcfg)
    targets = load_targets(fcfg.targets, prepared.world, fcfg.world)  # the whole record: the items after the origin
    draws = posterior_points(path, int(f.draws), int(f.seed))
    model_cols = [c for c in draws.columns if c.startswith("model.")]
    params = [dataclasses.replace(prepared.params, **{c[len("model."):]: float(v) for c, v in zip(model_cols, row)})
              for row in draws[model_cols].to_numpy()]
    for p in params:
        check_params(p)
    runs = run_batch(prepared, params, list(range(len(params))))
    its, history = items(prepared.world, targets, origin)
    rng = np.random.default_rng(np.random.SeedSequence([int(f.seed), origin]))
    model = model_ensemble(its, runs, draws, rng)
    persistence, constant = baselines(its, history, origin, int(f.draws), rng)
    return score_items(its, model, persistence, constant, rng).assign(origin=origin)


# ------------------------------------------------------------------ the frozen forecast
def frozen_forecast(cfg: DictConfig) -> tuple[pd.DataFrame, dict]:
    """Quantiles per scenario, year, state and power of the posterior sweep of the forward scenarios."""
    from alignment.sweeps.cli import run_sweep
    from alignment.sweeps.store import read_summaries

    fr = cfg.forecast.frozen
    y0, y1 = (int(y) for y in fr.years)
    scfg = _compose("sweep", [f"sweep={fr.sweep}", "sweep.design.sampler=posterior", f"sweep.design.n={int(fr.draws)}",
                              f"sweep.design.posterior={fr.posterior}", f"sweep.summaries.years=[{','.join(str(y) for y in range(y0, y1 + 1))}]",
                              f"horizon.end={y1}-12", "horizon.drop_later_events=true", "sweep.extend=true"])
    with open_dict(scfg):
        scfg.results_dir, scfg.progress, scfg.executor = cfg.results_dir, cfg.progress, cfg.executor
    out = run_sweep(scfg)
    d = read_summaries(out["root"])
    d = d[d.year.between(y0, y1)]
    trade = d[d.indicator == "trade_usd_bn"]
    if len(trade):
        total = trade.groupby(["run_id", "entity", "year"])["value"].transform("sum")
        share = trade.assign(indicator="trade_share", value=trade["value"] / total, unit="share of the state's trade")
        d = pd.concat([d[d.indicator != "trade_usd_bn"], share], ignore_index=True)
    keys = ["scenario", "indicator", "entity", "partner", "year", "unit"]
    g = d.fillna({"partner": ""}).groupby(keys, sort=True)["value"]
    q = g.quantile(list(QUANTILES)).unstack()
    q.columns = [f"q{int(round(100 * c)):02d}" for c in q.columns]
    table = q.reset_index().assign(runs=g.size().to_numpy())
    table = table.rename(columns={"entity": "state_or_corridor", "partner": "power_or_market"})
    meta = {"made": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": _git_commit(),
            "uncommitted_changes": _git_dirty(),
            "posterior": str(fr.posterior), "posterior_sha256": _sha(fr.posterior), "draws": int(fr.draws),
            "scenarios": sorted(table.scenario.unique().tolist()), "years": [y0, y1],
            "command": "alignment-forecast" + (f" results_dir={cfg.results_dir}" if str(cfg.results_dir) != "results" else ""),
            "quantiles": list(QUANTILES), "sweep": str(fr.sweep),
            "replicates": int(scfg.sweep.replicates),
            "note": "posterior-predictive quantiles over the posterior draws x the sweep's seeds (parameter uncertainty "
                    "and the model's random numbers); trade_share is each partner's share of the state's modelled trade; "
                    "corridor volumes are per corridor (state_or_corridor), in TEU per year"}
    return table, meta


def _standing(manifest: Path, table: Path, cfg: DictConfig) -> dict | None:
    """The manifest of a frozen forecast already made from the same posterior file and settings, or None."""
    try:
        meta = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    fr = cfg.forecast.frozen
    same = (table.is_file() and meta.get("posterior_sha256") == _sha(fr.posterior) and meta.get("draws") == int(fr.draws)
            and meta.get("years") == [int(y) for y in fr.years] and meta.get("sweep") == str(fr.sweep)
            and meta.get("replicates") == int(_compose("sweep", [f"sweep={fr.sweep}"]).sweep.replicates))
    return meta if same else None


def _sha(path) -> str:
    from alignment.sweeps.design import file_digest

    return file_digest(path)


def _git_dirty() -> bool | None:
    """Whether the working tree that made the forecast differed from its commit."""
    try:
        return bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                                   check=True, cwd=Path(__file__).resolve().parent).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return None


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


# ------------------------------------------------------------------ the figure
def figure(skill: pd.DataFrame, scores: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from alignment.experiment.plotting import theme

    theme()
    families = sorted(skill.target.unique())
    origins = sorted(skill.origin.unique())
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw={"width_ratios": [1.2, 1.2, 1.6]})
    for ax, (col, lo, hi, name) in zip(axes[:2], (("skill_persistence", "ci_low", "ci_high", "persistence (last year carried forward)"),
                                                   ("skill_constant", "ci_low_constant", "ci_high_constant", "a constant per series"))):
        for n, o in enumerate(origins):
            d = skill[skill.origin == o].set_index("target").reindex(families)
            y = np.arange(len(families)) + (n - (len(origins) - 1) / 2) * 0.25
            ax.hlines(y, d[lo].clip(lower=-3), d[hi].clip(lower=-3), color=f"C{n}", lw=2.2)
            ax.scatter(d[col].clip(lower=-3), y, color=f"C{n}", s=30, zorder=3, label=f"fitted on 2015-{o}, scored {o + 1}-{RECORD_END}")
        ax.axvline(0, color="0.3", ls="--", lw=1)
        ax.set_yticks(np.arange(len(families)), families)
        ax.set_xlabel("skill = 1 - CRPS model / CRPS baseline")
        ax.set_title(f"against {name}", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(origins), fontsize=9, frameon=False, bbox_to_anchor=(0.33, -0.06))
    ax = axes[2]
    bins = np.linspace(0, 1, 11)
    for n, family in enumerate(families):
        h, _ = np.histogram(scores[scores.family == family].pit, bins=bins, density=True)
        ax.stairs(h, bins, color=f"C{n}", label=f"{family} ({int((scores.family == family).sum())})", lw=1.6)
    ax.axhline(1.0, color="0.3", ls="--", lw=1)
    ax.set(xlabel="PIT of the record in the model's ensemble (uniform if calibrated)", ylabel="density", xlim=(0, 1))
    ax.set_title("probability integral transform, both origins (values scored)", fontsize=10)
    ax.legend(fontsize=8, frameon=False, ncol=2)
    fig.suptitle("Rolling-origin forecasts inside the record: posterior-predictive skill (CRPS) with 90 % paired-bootstrap "
                 "intervals over state-years\n(> 0: the model beats the baseline; < 0: the baseline is better; clipped at -3)", y=1.02)
    fig.tight_layout()
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)


# ------------------------------------------------------------------ the command
def run_forecast(cfg: DictConfig) -> dict:
    prepare_forecast(cfg)
    f = cfg.forecast
    out = Path(str(cfg.results_dir)) / "forecasts"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    scores = pd.concat([rolling_origin(cfg, int(o)) for o in f.origins], ignore_index=True)
    rng = np.random.default_rng(np.random.SeedSequence([int(f.seed), 7]))
    skill = pd.concat([skill_table(scores[scores.origin == o], int(o), int(f.bootstrap), rng) for o in f.origins], ignore_index=True)
    atomic_write_text(skill.to_csv(index=False, float_format="%.6g"), out / "skill.csv")
    atomic_write_text(scores.to_csv(index=False, float_format="%.6g"), out / "scores.csv")
    figures = Path(str(cfg.results_dir)) / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    figure(skill, scores, figures / "forecast_skill.png")
    print(f"{PROG}: rolling origin scored in {time.perf_counter() - t0:.0f} s; wrote {out / 'skill.csv'} and "
          f"{figures / 'forecast_skill.png'}")
    for r in skill.itertuples():
        print(f"  origin {r.origin}, {r.target:<18} {r.items:4d} values: skill vs persistence {r.skill_persistence:+.2f} "
              f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}], vs constant {r.skill_constant:+.2f}; coverage {r.coverage_50:.2f}/{r.coverage_90:.2f}")
    result = {"skill": skill, "scores": scores}
    if f.frozen.enabled:
        import pyarrow as pa

        y0, y1 = (int(y) for y in f.frozen.years)
        stem = f"forecast_{y0}_{y1}"
        standing = _standing(out / f"{stem}.json", out / f"{stem}.parquet", cfg)
        if standing is not None and not f.frozen.remake:
            print(f"{PROG}: the frozen forecast made {standing['made']} from the same posterior and settings stands "
                  f"({out / f'{stem}.parquet'}); forecast.frozen.remake=true makes it anew")
            return result
        table, meta = frozen_forecast(cfg)
        atomic_write_table(pa.Table.from_pandas(table, preserve_index=False), out / f"{stem}.parquet")
        atomic_write_text(json.dumps(meta, indent=1) + "\n", out / f"{stem}.json")
        print(f"{PROG}: frozen forecast of {len(meta['scenarios'])} scenarios, {meta['years'][0]}-{meta['years'][1]}, "
              f"{meta['draws']} posterior draws: {out / f'{stem}.parquet'}")
        result["frozen"] = table
    return result


main = console_entry(PROG, "forecast", run_forecast, prepare_forecast)


if __name__ == "__main__":
    main()
