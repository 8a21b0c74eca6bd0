"""One batch of a sweep: its runs stepped together through the engine, summarised, tabled.

A task carries everything a worker needs (world, events, horizon, each run's parameters
and seed), so any executor can run it in any process. A run whose numbers go non-finite
is recorded as failed with the first indicator and month that did; if the batch raises,
its runs are retried one by one so that only the run at fault fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from alignment.engine import Prepared, simulate
from alignment.sweeps.store import shard_name, write_batch
from alignment.sweeps.summaries import records_needed, summary_columns, summary_schema

# a run's row in the design (``point``) is not stored: it is read from the folder's design.parquet, so it stays
# right when a design is extended (a grid with one more value numbers its points anew)
RUNS_SCHEMA_FIXED = [("run_id", pa.string()), ("point_id", pa.string()), ("scenario", pa.string()), ("replicate", pa.int32()),
                     ("seed", pa.int64())]
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


def make_task(plan, group_key: str, runs: list) -> Task:
    group = plan.groups[group_key]
    params = [group.params({k[len("model."):]: v for k, v in r.values if k.startswith("model.")}) for r in runs]
    return Task(shard_name([r.run_id for r in runs]), group.prepared, params, runs, plan.keys, plan.indicators, plan.years)


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
        "run_id": [r.run_id for r in runs], "point_id": [r.point_id for r in runs],
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


@dataclass
class Written:
    """What a task that wrote its own shards sends back to the driver: its counts, or the storage fault it met."""

    shard: str
    runs: int
    failed: int
    error: tuple | None = None  # (path, what, todo) of a StorageError


def run_and_write(task: Task, root: str) -> Written:
    """Run a batch and write its shards into the sweep at ``root`` from where it runs (a SLURM task on the cluster's
    shared file system): under a temporary name of this host and process, durable (fsync) before the rename, the
    summaries before the runs shard that marks the batch done. Nothing large goes back through the driver."""
    from alignment.errors import StorageError

    result = run_task(task)
    status = result.runs.column("status").to_pylist()
    try:
        write_batch(root, result)
    except StorageError as exc:  # one line for the driver to report, not a traceback inside the scheduler's pickle
        return Written(result.shard, len(status), status.count("failed"), (exc.path, exc.what, exc.todo))
    return Written(result.shard, len(status), status.count("failed"))
