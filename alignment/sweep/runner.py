"""One batch of a sweep: its runs stepped together through the engine, summarised, tabled.

A task carries everything a worker needs (world, events, horizon, each run's parameters
and seed), so any executor can run it in any process. A run whose numbers go non-finite
is recorded as failed with the first indicator and month that did; if the batch raises,
its runs are retried one by one so that only the run at fault fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from alignment.engine import Prepared, simulate
from alignment.sweep.summaries import records_needed, summary_columns, summary_schema

RUNS_SCHEMA_FIXED = [("run_id", pa.string()), ("point_id", pa.string()), ("point", pa.int64()), ("scenario", pa.string()),
                     ("replicate", pa.int32()), ("seed", pa.int64())]
RUNS_SCHEMA_TAIL = [("overrides", pa.string()), ("status", pa.string()), ("error", pa.string()), ("shard", pa.string())]


def runs_schema(keys) -> pa.Schema:
    return pa.schema(RUNS_SCHEMA_FIXED + [(k, pa.float64()) for k in keys] + RUNS_SCHEMA_TAIL)


@dataclass
class Task:
    shard: str  # name of the shard the batch's results go to
    prepared: Prepared  # world, events and horizon shared by the batch
    params: list  # ModelParams per run
    runs: list  # plan.Run per run
    keys: list  # swept parameters (columns)
    indicators: list
    years: list | None


@dataclass
class Result:
    shard: str
    runs: pa.Table
    summaries: pa.Table


def shard_name(runs) -> str:
    """A shard is named by the runs it holds: the same batch gets the same file whichever executor runs it."""
    return hashlib.sha1("\n".join(r.run_id for r in runs).encode()).hexdigest()[:16]


def make_task(plan, group_key: str, runs: list) -> Task:
    group = plan.groups[group_key]
    params = [group.params({k[len("model."):]: v for k, v in r.values if k.startswith("model.")}) for r in runs]
    return Task(shard_name(runs), group.prepared, params, runs, plan.keys, plan.indicators, plan.years)


def _simulate(task: Task):
    p = task.prepared
    engine = simulate(p.world, task.params, [p.events] * len(task.runs), p.start, p.end, [r.seed for r in task.runs],
                      record=records_needed(task.indicators), ledger="interactions" in task.indicators, yearly=True)
    return engine, engine.failures()


def _attempt(task: Task):
    """(engine, per-run errors) or, if the batch raises, (None, the error for every run)."""
    try:
        return _simulate(task)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded against the runs, not raised
        return None, [f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"] * len(task.runs)


def run_task(task: Task) -> Result:
    """Run a batch; returns its runs table (status, error) and the summaries of the runs that finished."""
    engine, errors = _attempt(task)
    if engine is not None or len(task.runs) == 1:
        parts = [(engine, list(range(len(task.runs))), errors)]
    else:  # the batch raised: its runs one by one, so that only the run at fault fails
        parts = []
        for b in range(len(task.runs)):
            one = Task(task.shard, task.prepared, task.params[b:b + 1], task.runs[b:b + 1], task.keys, task.indicators, task.years)
            engine_b, errors_b = _attempt(one)
            parts.append((engine_b, [b], errors_b))
    return _tables(task, parts)


def _tables(task: Task, parts) -> Result:
    errors = [""] * len(task.runs)
    summaries = []
    for engine, members, errs in parts:
        for b, e in zip(members, errs):
            errors[b] = e
        if engine is None:
            continue
        ok = np.array([local for local, e in enumerate(errs) if not e], dtype=np.int64)
        if len(ok):
            cols = summary_columns(engine, task.indicators, task.years, ok)
            summaries.append((np.asarray(members)[cols.pop("run")], cols))
    runs = task.runs
    run_cols = {
        "run_id": [r.run_id for r in runs], "point_id": [r.point_id for r in runs], "point": [r.point for r in runs],
        "scenario": [r.scenario for r in runs], "replicate": [r.replicate for r in runs], "seed": [r.seed for r in runs],
        **{k: [float(dict(r.values)[k]) for r in runs] for k in task.keys},
        "overrides": [r.overrides for r in runs], "status": ["failed" if e else "ok" for e in errors],
        "error": [e or None for e in errors], "shard": [task.shard] * len(runs),
    }
    runs_table = pa.table(run_cols, schema=runs_schema(task.keys))
    schema = summary_schema(task.keys)
    if summaries:
        idx = np.concatenate([i for i, _ in summaries])
        cols = {k: np.concatenate([c[k] for _, c in summaries]) for k in summaries[0][1]}
        values = {k: np.array([float(dict(r.values)[k]) for r in runs])[idx] for k in task.keys}
        table = pa.table({
            "run_id": np.array([r.run_id for r in runs], dtype=object)[idx], "scenario": np.array([r.scenario for r in runs], dtype=object)[idx],
            "seed": np.array([r.seed for r in runs], dtype=np.int64)[idx], "replicate": np.array([r.replicate for r in runs], dtype=np.int32)[idx],
            **values, **{k: cols[k] for k in ("indicator", "entity", "partner", "year", "value", "unit")},
        }, schema=schema)
    else:
        table = schema.empty_table()
    return Result(task.shard, runs_table, table)
