"""Designs: which parameter values a sweep runs, as a table with one row per design point.

No parameters: one point, the configured model, run ``replicates`` times. ``posterior`` draws the points from a
posterior file of alignment-infer (:func:`posterior_points`). Five other samplers: ``grid`` (full factorial over value lists or evenly spaced levels), ``list``
(explicit values, zipped), and through SALib ``latin`` (Latin hypercube), ``sobol`` (Saltelli's
scheme for Sobol indices) and ``morris`` (elementary-effect trajectories). One SALib problem
(:func:`salib_problem`) serves the sampling here and the analysis of the results later; rows stay
in the sampler's order, which SALib's analysers expect.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from alignment.errors import ConfigError

SAMPLERS = ("grid", "list", "latin", "sobol", "morris", "posterior")
_RANGE_KEYS, _VALUES_KEYS = {"low", "high", "log"}, {"values"}


def flatten(parameters, prefix: str = "") -> dict:
    """{"model.hedging_base": spec, ...} from the nested mapping of the config (``model: {hedging_base: spec}``),
    which mirrors the run config so that ``sweep.parameters.model.hedging_base.low=0.3`` overrides it."""
    out = {}
    for key, node in (parameters or {}).items():
        path = f"{prefix}{key}"
        if isinstance(node, dict) and node and not ({"low", "high", "values", "log"} & set(node)):
            out.update(flatten(node, path + "."))
        else:
            out[path] = node
    return out


def check_parameters(parameters: dict, sampler: str) -> dict:
    """{key: ("range", low, high, log) | ("values", [..])}; ConfigError naming the first bad entry."""
    if sampler not in SAMPLERS:
        raise ConfigError("sweep.design.sampler", sampler, "allowed samplers: " + ", ".join(SAMPLERS))
    out = {}
    for key, spec in (parameters or {}).items():
        where = f"sweep.parameters.{key}"
        if not isinstance(spec, dict) or not (set(spec) <= _RANGE_KEYS and {"low", "high"} <= set(spec) or set(spec) == _VALUES_KEYS):
            raise ConfigError(where, spec, "expected {low: number, high: number} (optionally log: true) or {values: [numbers]}")
        if "values" in spec:
            values = spec["values"]
            if not isinstance(values, (list, tuple)) or not values:
                raise ConfigError(f"{where}.values", values, "expected a non-empty list of numbers")
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                    raise ConfigError(f"{where}.values", v, "expected finite numbers")
            if sampler in ("latin", "sobol", "morris"):
                raise ConfigError(where, spec, f"the {sampler} sampler needs a range {{low, high}}, not a list of values")
            out[key] = ("values", list(values))
            continue
        low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
        for name, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise ConfigError(f"{where}.{name}", v, "expected a finite number")
        if low == high:
            raise ConfigError(f"{where}.high", high, f"empty range: equal to low ({low}); give a wider range or a single value as values: [{low}]")
        if low > high:
            raise ConfigError(f"{where}.low", low, f"must be below high ({high})")
        if log and low <= 0:
            raise ConfigError(f"{where}.low", low, "must be > 0 for a log-scale range")
        if sampler == "list":
            raise ConfigError(where, spec, "the list sampler needs explicit values: {values: [...]}")
        out[key] = ("range", float(low), float(high), log)
    return out  # empty: one design point, the configured model (replicates give the spread)


def posterior_file(path) -> Path:
    """The posterior.parquet a design names (the file, or the study folder holding it); ConfigError if there is none."""
    if path is None or str(path) == "":
        raise ConfigError("sweep.design.posterior", path, "the posterior sampler needs a posterior file: "
                                                          "<results_dir>/inference/NAME/posterior.parquet from alignment-infer")
    p = Path(str(path))
    p = p / "posterior.parquet" if p.is_dir() else p
    if not p.is_file():
        raise ConfigError("sweep.design.posterior", str(path), "no such file; alignment-infer writes "
                                                               "<results_dir>/inference/NAME/posterior.parquet")
    return p


def posterior_points(path, n: int, seed: int) -> pd.DataFrame:
    """``n`` draws of a posterior file, one per design point, columns named by config key (``model.temperature``).

    The draws are taken in an order fixed by ``seed`` (a permutation of the file's rows), so the first ``n`` points
    stay the same as ``n`` grows: a larger design extends a smaller one."""
    p = posterior_file(path)
    try:
        table = pd.read_parquet(p)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise ConfigError("sweep.design.posterior", str(path), f"cannot be read as Parquet: {' '.join(str(exc).split())[:120]}") from None
    if n < 1:
        raise ConfigError("sweep.design.n", n, "the posterior sampler needs n >= 1 draws")
    if n > len(table):
        raise ConfigError("sweep.design.n", n, f"the posterior {p} has only {len(table):,} draws")
    bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c]) or not np.isfinite(table[c]).all()]
    if bad:
        raise ConfigError("sweep.design.posterior", str(path), f"column {bad[0]} is not finite numbers")
    order = np.random.default_rng(np.random.SeedSequence([seed, 0x9057])).permutation(len(table))[:n]
    return table.iloc[order].reset_index(drop=True).astype(float)


def varied_columns(table: pd.DataFrame) -> list:
    """The columns of a posterior a sweep varies: all but the noise model's (``discrepancy.*``, which describe how far
    the record may lie from the model, not the model)."""
    return [c for c in table.columns if not c.startswith("discrepancy.")]


def file_digest(path) -> str:
    import hashlib

    return hashlib.sha256(posterior_file(path).read_bytes()).hexdigest()[:16]


def salib_problem(space: dict) -> dict:
    """The SALib problem of the ranged parameters (log ranges in log10 units, as sampled)."""
    names = [k for k, s in space.items() if s[0] == "range"]
    bounds = [[np.log10(space[k][1]), np.log10(space[k][2])] if space[k][3] else [space[k][1], space[k][2]] for k in names]
    return {"num_vars": len(names), "names": names, "bounds": bounds, "log10": [bool(space[k][3]) for k in names]}


def points(space: dict, sampler: str, n: int, levels: int, second_order: bool, seed: int) -> pd.DataFrame:
    """The design points in sampler order, one column per parameter key.

    ``n``: latin, the number of points; sobol, the base sample N (a power of 2), giving
    N * (D + 2) points, or N * (2D + 2) with ``second_order``; morris, the number of trajectories,
    giving N * (D + 1) points. ``levels``: grid, points per range; morris, grid levels (even).
    """
    keys = list(space)
    if not keys:
        if sampler in ("sobol", "morris"):
            raise ConfigError("sweep.parameters", {}, f"the {sampler} sampler needs ranged parameters to vary")
        return pd.DataFrame(index=pd.RangeIndex(1))
    if sampler == "list":
        lengths = {k: len(space[k][1]) for k in keys}
        if len(set(lengths.values())) != 1:
            raise ConfigError("sweep.parameters", lengths, "the list sampler zips the values lists: they must have equal lengths")
        return pd.DataFrame({k: space[k][1] for k in keys})
    if sampler == "grid":
        if levels < 2 and any(space[k][0] == "range" for k in keys):
            raise ConfigError("sweep.design.levels", levels, "a grid over a range needs at least 2 levels")
        axes = []
        for k in keys:
            s = space[k]
            if s[0] == "values":
                axes.append(s[1])
            else:
                axes.append(list(np.geomspace(s[1], s[2], levels) if s[3] else np.linspace(s[1], s[2], levels)))
        return pd.DataFrame(list(itertools.product(*axes)), columns=keys)
    import importlib

    sample = importlib.import_module(f"SALib.sample.{sampler}").sample  # only the sampler in use (sobol and morris pull in SciPy)
    problem = salib_problem(space)
    D = problem["num_vars"]
    if sampler == "latin":
        if n < 1:
            raise ConfigError("sweep.design.n", n, "the latin sampler needs n >= 1 points")
        x = sample(problem, n, seed=seed)
    elif sampler == "sobol":
        if n < 2 or n & (n - 1):
            raise ConfigError("sweep.design.n", n, "the sobol sampler needs n a power of 2 (>= 2): Sobol' sequences lose "
                                                  "their balance otherwise; it runs n * (D + 2) points")
        if D < 2:
            raise ConfigError("sweep.parameters", list(problem["names"]), "Sobol indices need at least 2 ranged parameters")
        x = sample(problem, n, calc_second_order=second_order, scramble=True, seed=seed)
    else:
        if n < 2:
            raise ConfigError("sweep.design.n", n, "the morris sampler needs n >= 2 trajectories")
        if levels < 2 or levels % 2:
            raise ConfigError("sweep.design.levels", levels, "the morris sampler needs an even number of levels >= 2")
        x = sample(problem, n, num_levels=levels, seed=seed)
    log = np.array(problem["log10"], dtype=bool)
    x[:, log] = 10.0 ** x[:, log]
    return pd.DataFrame(x, columns=keys)
