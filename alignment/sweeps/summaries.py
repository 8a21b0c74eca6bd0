"""What a sweep keeps of each run: yearly values of chosen indicators, as tidy rows.

A yearly value is the mean over the year's months of the monthly indicator (the timeseries
contract of :mod:`alignment.outputs`, so flows in USD bn per year stay per year and shares stay
shares), and for ``interactions`` the count of the year's ledger rows by scope (``external``,
``intraregional``) and kind. Rows are built for a whole batch at once, from the engine's arrays.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from alignment.engine import record_shapes
from alignment.engine.ledger import KINDS as LEDGER_KINDS
from alignment.indicators import INDICATORS, SOURCES, indicator_arrays

UNITS = {**{k: v[0] for k, v in INDICATORS.items()}, "interactions": "interactions per year"}
SCOPES = ("external", "intraregional")


def records_needed(indicators) -> list[str]:
    """The engine recorders the indicators are computed from (interactions come from the ledger)."""
    return sorted({src for name in indicators if name in SOURCES for src in SOURCES[name]})


def summary_columns(engine, indicators, years, keep_runs: np.ndarray) -> dict:
    """Tidy summary columns of the runs ``keep_runs`` (indices into the batch), run after run.

    Returns {"run": run index, "indicator", "entity", "partner", "year", "value", "unit"} arrays.
    ``years``: the calendar years to keep (None: every year of the horizon). The engine must have kept
    yearly records (``yearly=True``): they are the yearly means.
    """
    if not engine.yearly:
        raise ValueError("summary_columns reads yearly records: step the engine with yearly=True")
    parts = []
    arrays = indicator_arrays(engine.world, engine.rec, engine.p.tonnes_per_teu, names=[i for i in indicators if i != "interactions"])
    for name in indicators:
        if name == "interactions":
            first, n_years = engine.first_year, engine.end // 12 - engine.first_year + 1
            counts = engine.ledger.yearly_counts(first, n_years).astype(float)  # (B, Y, 2, 5)
            ys = first + np.arange(n_years)
            values = np.moveaxis(counts, 1, 0).reshape(n_years, engine.B, len(SCOPES), len(LEDGER_KINDS))
            entities, partners, keep = list(SCOPES), list(LEDGER_KINDS), np.ones((len(SCOPES), len(LEDGER_KINDS)), bool)
        elif name in arrays:
            values, entities, partners, keep = arrays[name]  # (Y, B, E, R) yearly means
            ys = engine.first_year + np.arange(values.shape[0])
        else:  # remittances without a remittance source
            continue
        pick = np.isin(ys, years) if years is not None else np.ones(len(ys), bool)
        ys, values = ys[pick], values[pick][:, keep_runs]  # (Y, b, E, R)
        E, R = keep.shape
        cell = np.flatnonzero(keep.reshape(-1))
        Y, b, C = len(ys), len(keep_runs), len(cell)
        v = values.reshape(Y, b, E * R)[:, :, cell]  # (Y, b, C)
        parts.append({
            "run": np.repeat(keep_runs, C * Y),
            "indicator": np.full(b * C * Y, name, dtype=object),
            "entity": np.tile(np.repeat(np.asarray(entities, dtype=object)[cell // R], Y), b),
            "partner": np.tile(np.repeat(np.asarray(partners if partners is not None else [None], dtype=object)[cell % R], Y), b),
            "year": np.tile(ys, b * C).astype(np.int16),
            "value": np.transpose(v, (1, 2, 0)).reshape(-1),
            "unit": np.full(b * C * Y, UNITS[name], dtype=object),
        })
    if not parts:
        return {k: np.empty(0) for k in ("run", "indicator", "entity", "partner", "year", "value", "unit")}
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(cols["run"], kind="stable")  # run after run, each run's indicators in the order asked
    return {k: v[order] for k, v in cols.items()}


def rows_per_run(engine_world, indicators, n_years: int) -> int:
    """How many summary rows one run gives (for the dry run's disk estimate)."""
    rec = {src: np.zeros((1, 1) + shape) for src, shape in record_shapes(engine_world).items()}
    arrays = indicator_arrays(engine_world, rec, 10.0, names=[i for i in indicators if i != "interactions"])
    cells = sum(int(a[3].sum()) for a in arrays.values()) + (len(SCOPES) * len(LEDGER_KINDS) if "interactions" in indicators else 0)
    return cells * n_years


def summary_schema(parameter_keys) -> pa.Schema:
    """The Parquet schema of the summaries dataset."""
    return pa.schema([("run_id", pa.string()), ("scenario", pa.string()), ("seed", pa.int64()), ("replicate", pa.int32())]
                     + [(k, pa.float64()) for k in parameter_keys]
                     + [("indicator", pa.string()), ("entity", pa.string()), ("partner", pa.string()), ("year", pa.int16()),
                        ("value", pa.float64()), ("unit", pa.string())])
