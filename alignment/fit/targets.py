"""Calibration targets: the 2015-2021 record as checkable statements, and the loss over them.

``load_targets`` expands ``configs/targets/`` against the world (trade pairs come from the world's
own record, so the data stay in one place) and checks every entry; ``evaluate`` compares finished
runs (replicates over seeds) with each target; ``loss`` is the weighted mean of squared
tolerance-scaled errors (each capped at ``TERM_CAP``). A pattern of the brief counts as a target
missed by the cap in the share of replicates where it fails: the brief requires the patterns, so no
gain in fit elsewhere may buy a broken one cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from alignment.errors import ConfigError
from alignment.mechanisms import observation as obs_m
from alignment.world.source import world_data

TERM_CAP = 25.0  # a target five tolerances off adds no more: one idiosyncratic flow (KGZ-GBR gold) cannot dominate
KINDS = ("trade_by_pair", "china_share", "interactions", "remittances", "membership", "pattern", "unga_agreement", "arms_share",
         "corridor_volume", "unga_position", "unga_cosponsorship")
TOLERANCES = {"unga_agreement": ("contrast_noise",), "arms_share": ("jackknife",)}
MEASURES = ("total", "president_share", "bilateral_share", "telegram_share", "in_person")
VOLUME_UNITS = ("teu", "tonnes")


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    value: float  # NaN for patterns
    tolerance: float
    relative: bool  # compare logs
    weight: float
    source: str
    statistic: Callable  # model -> float (patterns: 1.0 if the statement holds, else 0.0)
    ensemble: Callable | None = None  # patterns judged on the replicates together: [statistic(m)] -> 1.0 or 0.0

    @property
    def scale(self) -> float:
        """What one tolerance is in the error's units (a target with no tolerance counts 0.001 as one)."""
        return self.tolerance if self.tolerance > 0 else 1e-3

    def error(self, value):
        """The model's value (a number or an array) against the record: the log ratio for a relative target, else
        the difference."""
        return np.log(np.maximum(value, 1e-9) / self.value) if self.relative else value - self.value


# ------------------------------------------------------------------ statistics of a finished run
def _year_rows(m, year):
    return slice(year * 12 - m.start, (year + 1) * 12 - m.start)


def _annual_trade(m, year):
    return m.rec["trade"][_year_rows(m, year)].mean(axis=0)


def china_share(m, year) -> float:
    t = _annual_trade(m, year)
    return float(t[:, m.world.partners.index("CHN")].sum() / t.sum())


def interaction_measure(m, year, measure) -> float:
    rows = [r for r in m.ledger if r[6] and r[0] // 12 == year]
    if measure == "total":
        return float(len(rows))
    if measure == "in_person":
        return float(sum(r[1] in ("visit", "meeting", "summit") for r in rows))
    if not rows:
        return 0.0
    if measure == "president_share":
        return float(np.mean([r[2] == "president" for r in rows]))
    if measure == "bilateral_share":
        return float(np.mean([not r[5] for r in rows]))
    return float(np.mean([r[1] == "telegram" for r in rows]))  # telegram_share


def remittances_pct(m, state, year) -> float:
    i = m.state_index[state]
    gdp = m.world.gdp_at(year)[len(m.world.powers) + i]
    return float(100.0 * m.rec["remittances"][_year_rows(m, year), i].mean() / gdp)


def corridor_volume(m, corridor, year, unit) -> float:
    """A corridor's volume over a calendar year: TEU, or tonnes at the run's ``tonnes_per_teu``."""
    teu = float(m.rec["volume"][_year_rows(m, year), m.world.corridors.index(corridor)].mean())
    return teu * float(m.p.tonnes_per_teu) if unit == "tonnes" else teu


def mean_observable(m, key, i, j, first, last) -> float:
    """The run's mean predicted observable (``unga`` or ``arms``) for state i and power j over the years."""
    return float(m.rec[key][first * 12 - m.start:(last + 1) * 12 - m.start, i, j].mean())


def yearly_observable(m, key, year, *index) -> float:
    """The run's predicted observable (``unga``, ``position``) over one calendar year."""
    return float(m.rec[key][_year_rows(m, year)][(slice(None),) + index].mean())


def contrast_noise(obs, j, rows) -> float:
    """How far one year's recorded contrast of a state with a power (its agreement minus the C5's mean with that
    power that year) scatters around the state's own level over the years: the standard error the model's states
    must be judged by, once the agenda of the year (common to the five) is taken out."""
    a = obs.unga[rows, :, j]
    c = a - np.nanmean(a, axis=1, keepdims=True)
    r = c - np.nanmean(c, axis=0, keepdims=True)
    ok = np.isfinite(r)
    return float(np.sqrt(np.sum(r[ok] ** 2) / max(ok.sum() - r.shape[1], 1)))


def cosponsorship_link(obs):
    """(intercept, slope) per power: the link from positions to co-sponsorship overlap, fitted on 2020-2021."""
    from alignment.world.observations import fit_unga_link

    return fit_unga_link(obs.cosponsorship, obs.state_position, obs.power_position)


def cosponsorship(m, year, i, j, link) -> float:
    """The run's predicted co-sponsorship overlap of state i with power j over one year, from its positions."""
    x = yearly_observable(m, "position", year, i)
    xp = m.world.observations.positions_at(year)[j]
    return float(obs_m.unga_agreement(np.array([[x]]), np.array([xp]), link[0][j:j + 1], link[1][j:j + 1])[0, 0, 0])


def arms_tolerance(obs, i, j, rows) -> float:
    """Jackknife standard error over years of a supplier's window share: how much the share depends on
    single lumpy deliveries (large for the small importers, KGZ and TJK)."""
    tiv = obs.arms_tiv[rows, i, :-1]
    keep = [np.delete(tiv, y, axis=0).sum(axis=0) for y in range(len(tiv))]
    shares = np.array([k[j] / k.sum() if k.sum() > 0 else np.nan for k in keep])
    shares = shares[np.isfinite(shares)]
    n = len(shares)
    return float(np.sqrt((n - 1) / n * np.sum((shares - shares.mean()) ** 2))) if n > 1 else float("nan")


def _mean_weights(m, first=2015, last=2021):
    return m.rec["weights"][first * 12 - m.start:(last + 1) * 12 - m.start].mean(axis=0)


def yearly_weights(m) -> np.ndarray:
    """(years, N, P) the run's weights averaged over each whole calendar year."""
    w = m.rec["weights"]
    first = (-m.start) % 12
    n = (len(w) - first) // 12
    return w[first:first + 12 * n].reshape((n, 12) + w.shape[1:]).mean(axis=1)


# patterns judged on the mean over the replicates (the model's expectation, not one seed's noise)
ENSEMBLE: dict[str, Callable] = {
    "max_weight_below_half": lambda stats: float(np.mean(stats, axis=0).max() < 0.5),
}

PATTERNS: dict[str, Callable] = {
    "max_weight_below_half": yearly_weights,
    "tkm_least_engaged": lambda m: float(np.argmin(m.rec["investment"].sum(axis=(0, 2))) == m.state_index["TKM"]),
    "tjk_kgz_most_tied_to_russia": lambda m: float(
        set(np.argsort(_mean_weights(m)[:, m.power_index["RUS"]])[-2:]) == {m.state_index["TJK"], m.state_index["KGZ"]}),
    "china_share_rises": lambda m: float(np.mean([china_share(m, y) for y in (2019, 2020, 2021)]) > china_share(m, 2015)),
    "interactions_grow": lambda m: float(interaction_measure(m, 2019, "total") > interaction_measure(m, 2015, "total")),
    "c5_meetings_from_2018": lambda m: float(
        sorted({r[0] // 12 for r in m.ledger if r[1] == "summit" and r[3] == "C5" and r[0] // 12 <= 2021}) == [2018, 2019, 2021]),
}


# ------------------------------------------------------------------ loading
def _need(spec, name, key):
    if key not in spec or spec[key] in (None, ""):
        raise ConfigError(f"targets.{name}.{key}", None, f"every {spec.get('kind', 'target')} target needs '{key}'")
    return spec[key]


def _pair_gap(world_cfg, state, partner, years) -> float | None:
    data = world_data(world_cfg)
    rep = data["trade_usd_bn"]["values"].get(state, {}).get(partner, {})
    mir = data["trade_mirror_usd_bn"]["values"].get(state, {}).get(partner, {})
    logs = [abs(np.log(rep[y] / mir[y])) for y in years if y in rep and y in mir and rep[y] > 0 and mir[y] > 0]
    return float(np.mean(logs)) if logs else None


# the last year of the record a pattern reads: it is left out of a fit whose record ends before
PATTERN_YEARS = {"china_share_rises": 2021, "interactions_grow": 2019, "c5_meetings_from_2018": 2021}


def load_targets(targets_cfg, world, world_cfg, until: int | None = None) -> list[Target]:
    """Expand and check the targets config; raises ConfigError naming the key on the first problem.

    ``until``: the last calendar year of the record to fit (the horizon's end): later years of a target are left
    out, and a target with none left is dropped (a rolling-origin fit, e.g. on 2015-2018 only)."""
    out = _load_targets(targets_cfg, world, world_cfg, until)
    return out if until is None else [t for t in out if _year_of(t) is None or _year_of(t) <= until]


def year_and_series(name: str) -> tuple[int | None, str]:
    """The single record year a target's name carries (``unga_agreement.KAZ.RUS.2019``, ``northern_teu_2019``,
    ``interactions_2019_total``) and its series: the name with that year replaced by ``*``. No year, or more than
    one: (None, name)."""
    parts = re.split(r"([._])", name)
    years = [k for k, p in enumerate(parts) if re.fullmatch(r"(19|20)\d\d", p)]
    if len(years) != 1:
        return None, name
    k = years[0]
    return int(parts[k]), "".join(parts[:k] + ["*"] + parts[k + 1:])


def _year_of(t: Target) -> int | None:
    """The single year a target reads, if its name carries one (dyad-years, state-years, dated values)."""
    return year_and_series(t.name)[0]


def _clip(years, until):
    return [y for y in years if until is None or int(y) <= until]


def _observed_window(spec, name, kind, world, observed, until):
    """The checked settings of a target on an observable (unga_agreement, arms_share): its years (cut at ``until``:
    the tolerance too is read from the fitted years only), their rows of the record, the powers (those the model
    predicts it for, ``observed``), the tolerance rule and its floor."""
    y0, y1 = (int(y) for y in _need(spec, name, "years"))
    y1 = y1 if until is None else min(y1, until)
    obs = world.observations
    rows = (obs.years >= y0) & (obs.years <= y1)
    if not rows.any():
        raise ConfigError(f"targets.{name}.years", [y0, y1], f"no observation record in these years; recorded: {obs.years[0]}-{obs.years[-1]}")
    produced = [p for p, o in zip(world.powers, observed) if o]
    powers = spec.get("powers") or produced
    for p in powers:
        if p not in produced:
            raise ConfigError(f"targets.{name}.powers", p, f"the model predicts no {kind} for it; predicted for: " + ", ".join(produced))
    tol_rule = spec.get("tolerance", TOLERANCES[kind][0])
    if tol_rule not in TOLERANCES[kind] and not isinstance(tol_rule, (int, float)):
        raise ConfigError(f"targets.{name}.tolerance", tol_rule, "a number or " + ", ".join(TOLERANCES[kind]))
    return y0, y1, rows, powers, tol_rule, float(spec.get("min_tolerance", 0.0))


def _load_targets(targets_cfg, world, world_cfg, until) -> list[Target]:
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(targets_cfg) if OmegaConf.is_config(targets_cfg) else dict(targets_cfg)
    if not raw:
        raise ConfigError("targets", None, "no targets")
    out: list[Target] = []
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"targets.{name}", spec, "expected a mapping with kind, source and tolerance")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"targets.{name}.kind", kind, "allowed kinds: " + ", ".join(KINDS))
        source = _need(spec, name, "source")
        weight = float(spec.get("weight", 1.0))
        if weight < 0:
            raise ConfigError(f"targets.{name}.weight", weight, "must be >= 0")
        if kind == "trade_by_pair":
            y0, y1 = _need(spec, name, "years")
            years = _clip(range(int(y0), int(y1) + 1), until)
            if not years:
                continue
            for p in _need(spec, name, "partners"):
                if p not in world.powers and p not in world.states:
                    raise ConfigError(f"targets.{name}.partners", p, "unknown partner; known: " + ", ".join(world.partners))
            rec = world_data(world_cfg)["trade_usd_bn"]["values"]
            for s in world.states:
                for p in spec["partners"]:
                    vals = [rec.get(s, {}).get(p, {}).get(y) for y in years]
                    vals = [v for v in vals if v is not None]
                    if not vals:
                        continue
                    tol = spec["tolerance"]
                    if tol == "pair_mirror_gap":
                        gap = _pair_gap(world_cfg, s, p, years)
                        tol = max(float(spec.get("min_tolerance", 0.15)), gap if gap is not None else 0.3)
                    i, q = world.states.index(s), world.partners.index(p)
                    out.append(Target(f"{name}.{s}.{p}", kind, float(np.mean(vals)), float(tol), True, weight, source,
                                      lambda m, i=i, q=q, ys=years: float(np.mean([_annual_trade(m, y)[i, q] for y in ys]))))
            continue
        if kind == "china_share":
            for y in _clip(_need(spec, name, "years"), until):
                rec = world.trade_record[list(world.trade_years).index(int(y))]
                value = float(np.nansum(rec[:, world.partners.index("CHN")]) / np.nansum(rec))
                out.append(Target(f"{name}.{y}", kind, value, float(_need(spec, name, "tolerance")), False, weight, source,
                                  lambda m, y=int(y): china_share(m, y)))
            continue
        if kind in ("unga_position", "unga_cosponsorship"):
            y0, y1 = (int(y) for y in _need(spec, name, "years"))
            obs = world.observations
            floor = float(spec.get("min_tolerance", 0.0))
            rec = obs.state_position if kind == "unga_position" else obs.cosponsorship
            if not np.isfinite(rec[(obs.years >= y0) & (obs.years <= y1)]).any():
                raise ConfigError(f"targets.{name}.years", [y0, y1], f"no {kind} record in these years")
            link = cosponsorship_link(obs) if kind == "unga_cosponsorship" else None
            for y in range(y0, y1 + 1):
                r = list(obs.years).index(y) if y in obs.years else None
                for i, st in enumerate(world.states):
                    if kind == "unga_position":
                        if r is None or not np.isfinite(rec[r, i]):
                            continue
                        tol = max(float(obs.state_position_se[r, i]), floor)
                        out.append(Target(f"{name}.{st}.{y}", kind, float(rec[r, i]), tol, False, weight, source,
                                          lambda m, y=y, i=i: yearly_observable(m, "position", y, i)))
                        continue
                    for j, p in enumerate(world.powers):
                        if r is None or not np.isfinite(rec[r, i, j]):
                            continue
                        tol = max(float(_need(spec, name, "tolerance")), floor)
                        out.append(Target(f"{name}.{st}.{p}.{y}", kind, float(rec[r, i, j]), tol, False, weight, source,
                                          lambda m, y=y, i=i, j=j, k=link: cosponsorship(m, y, i, j, k)))
            continue
        if kind == "unga_agreement":
            obs = world.observations
            y0, y1, rows, powers, tol_rule, floor = _observed_window(spec, name, kind, world, obs.has_unga, until)
            for p in powers:
                j = world.powers.index(p)
                tol = float(tol_rule) if isinstance(tol_rule, (int, float)) else contrast_noise(obs, j, rows)
                tol = max(tol, floor)
                for r in np.flatnonzero(rows):
                    y = int(obs.years[r])
                    for i, st in enumerate(world.states):
                        if np.isfinite(obs.unga[r, i, j]):
                            out.append(Target(f"{name}.{st}.{p}.{y}", kind, float(obs.unga[r, i, j]), tol, False, weight, source,
                                              lambda m, y=y, i=i, j=j: yearly_observable(m, "unga", y, i, j)))
            continue
        if kind == "arms_share":
            obs = world.observations
            y0, y1, rows, powers, tol_rule, floor = _observed_window(spec, name, kind, world, obs.supplier, until)
            record = obs.arms_shares(y0, y1)
            for i, st in enumerate(world.states):
                for p in powers:
                    j = world.powers.index(p)
                    if not np.isfinite(record[i, j]):
                        continue
                    tol = float(tol_rule) if isinstance(tol_rule, (int, float)) else arms_tolerance(obs, i, j, rows)
                    tol = max(tol if np.isfinite(tol) else floor, floor)
                    out.append(Target(f"{name}.{st}.{p}", kind, float(record[i, j]), tol, False, weight, source,
                                      lambda m, i=i, j=j, a=y0, b=y1: mean_observable(m, "arms", i, j, a, b)))
            continue
        if kind == "pattern":
            check = _need(spec, name, "check")
            if check not in PATTERNS:
                raise ConfigError(f"targets.{name}.check", check, "known checks: " + ", ".join(PATTERNS))
            if until is not None and PATTERN_YEARS.get(check, 0) > until:
                continue
            out.append(Target(name, kind, float("nan"), 0.0, False, weight, source, PATTERNS[check], ENSEMBLE.get(check)))
            continue
        value, tol = float(_need(spec, name, "value")), float(_need(spec, name, "tolerance"))
        year = int(_need(spec, name, "year"))
        if until is not None and year > until:
            continue
        if kind == "interactions":
            measure = _need(spec, name, "measure")
            if measure not in MEASURES:
                raise ConfigError(f"targets.{name}.measure", measure, "known measures: " + ", ".join(MEASURES))
            stat = lambda m, y=year, ms=measure: interaction_measure(m, y, ms)  # noqa: E731
        elif kind == "remittances":
            state = _need(spec, name, "state")
            if state not in world.states:
                raise ConfigError(f"targets.{name}.state", state, "known states: " + ", ".join(world.states))
            stat = lambda m, s=state, y=year: remittances_pct(m, s, y)  # noqa: E731
        elif kind == "corridor_volume":
            corridor, unit = _need(spec, name, "corridor"), _need(spec, name, "unit")
            if corridor not in world.corridors:
                raise ConfigError(f"targets.{name}.corridor", corridor, "known corridors: " + ", ".join(world.corridors))
            if unit not in VOLUME_UNITS:
                raise ConfigError(f"targets.{name}.unit", unit, "allowed units: " + ", ".join(VOLUME_UNITS))
            if value <= 0 or tol <= 0:
                raise ConfigError(f"targets.{name}", {"value": value, "tolerance": tol},
                                  "a corridor volume and its tolerance (a log ratio) must be > 0")
            out.append(Target(name, kind, value, tol, True, weight, source,
                              lambda m, c=corridor, y=year, u=unit: corridor_volume(m, c, y, u)))
            continue
        else:  # membership
            state, inst = _need(spec, name, "state"), _need(spec, name, "institution")
            if state not in world.states:
                raise ConfigError(f"targets.{name}.state", state, "known states: " + ", ".join(world.states))
            if inst not in world.institutions:
                raise ConfigError(f"targets.{name}.institution", inst, "known: " + ", ".join(world.institutions))
            stat = lambda m, s=state, k=inst, y=year: float(  # noqa: E731
                m.membership_history[y][m.state_index[s], m.institution_index[k]])
        out.append(Target(name, kind, value, tol, False, weight, source, stat))
    return out


# ------------------------------------------------------------------ evaluation
def evaluate(targets: list[Target], models: list) -> pd.DataFrame:
    """One row per target: record value, model mean and 90 % band over the replicates, met, loss term."""
    rows = []
    for t in targets:
        if t.ensemble is not None:
            stats = [t.statistic(m) for m in models]
            vals = np.array([t.ensemble(stats)])
        else:
            vals = np.array([t.statistic(m) for m in models], dtype=float)
        mean = float(vals.mean())
        if t.kind == "pattern":
            met = mean >= 0.5
            term = t.weight * TERM_CAP * (1.0 - mean)
            err = float("nan")
        else:
            err = float(t.error(mean))
            met = abs(err) <= t.tolerance + 1e-12
            term = t.weight * min((err / t.scale) ** 2, TERM_CAP)
        rows.append({"target": t.name, "kind": t.kind, "value": t.value, "model_mean": mean,
                     "model_p05": float(np.quantile(vals, 0.05)), "model_p95": float(np.quantile(vals, 0.95)),
                     "tolerance": t.tolerance, "relative": t.relative, "error": err, "met": bool(met),
                     "weight": t.weight, "loss_term": float(term), "source": t.source})
    return pd.DataFrame(rows)


def loss(table: pd.DataFrame) -> float:
    """Weighted mean of the loss terms (0 = every target hit exactly)."""
    return float(table["loss_term"].sum() / max(table["weight"].sum(), 1e-12))
