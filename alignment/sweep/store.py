"""Where a sweep lives: ``<results_dir>/sweeps/NAME/``.

    manifest.json          resolved config, design, SALib problem, units, package versions, git commit
    design.parquet         one row per scenario x design point: scenario, point, point_id, parameter values
    runs/part-*.parquet    one row per finished run: ids, seed, parameters, overrides, status, error, shard
    summaries/part-*.parquet  tidy rows: run_id, scenario, seed, replicate, parameters, indicator, entity,
                           partner, year, value, unit

Shards are written as batches finish, each file under a temporary name and renamed into
place; a batch's runs shard is written after its summaries shard and is what marks its
runs done. A rerun reads the runs shards and computes only what is missing; a lock file
keeps a second process off the same sweep, and a sweep directory of another configuration
is refused rather than mixed. Read it with :func:`read_runs` and :func:`read_summaries`
(pandas), or with DuckDB straight from ``summaries/*.parquet``.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alignment.errors import ConfigError
from alignment.outputs import atomic_write_table, atomic_write_text

SWEEP_SCHEMA_VERSION = "1.0"


class SweepStore:
    """A sweep directory opened for writing (a context manager that holds its lock)."""

    def __init__(self, root, name: str):
        self.root, self.name = Path(root), name
        self.runs_dir, self.summaries_dir = self.root / "runs", self.root / "summaries"
        self._lock = None

    def __enter__(self) -> "SweepStore":
        for d in (self.runs_dir, self.summaries_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.root / ".lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise ConfigError("sweep.name", self.name, f"another alignment-sweep is writing {self.root}; wait for it to finish "
                                                       "or choose another sweep.name") from None
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # ------------------------------------------------------------------ state
    def check_compatible(self, compat: dict) -> None:
        """Refuse to add runs to a sweep directory made with another configuration."""
        path = self.root / "manifest.json"
        if not path.exists():
            return
        try:
            old = json.loads(path.read_text()).get("compat", {})
        except (OSError, ValueError):
            return  # an unreadable manifest is rewritten; the runs shards still say what is done
        differ = [k for k in ("run_config", "summaries", "seed") if k in old and old[k] != compat.get(k)]
        differ += [f"scenario {s}" for s, h in old.get("scenarios", {}).items() if s in compat["scenarios"] and compat["scenarios"][s] != h]
        if differ:
            raise ConfigError("sweep.name", self.name, f"{self.root} holds a sweep made with another configuration (differs in: "
                                                       f"{', '.join(differ)}); choose another sweep.name or remove that folder")

    def write_manifest(self, manifest: dict, design: pd.DataFrame) -> None:
        atomic_write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", self.root / "manifest.json")
        atomic_write_table(pa.Table.from_pandas(design, preserve_index=False), self.root / "design.parquet")

    def done(self) -> set:
        """Ids of the runs whose batch is written (finished or failed); stray summaries without their runs shard go."""
        shards = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        for p in list(self.summaries_dir.glob("part-*.parquet")) + list(self.root.glob("*/.*.partial")):
            if p.name.endswith(".partial") or p.name not in shards:
                p.unlink(missing_ok=True)
        return finished_ids(self.root)

    def write(self, result) -> None:
        """A finished batch: its summaries, then its runs (the mark that the batch is done)."""
        atomic_write_table(result.summaries, self.summaries_dir / f"part-{result.shard}.parquet")
        atomic_write_table(result.runs, self.runs_dir / f"part-{result.shard}.parquet")


def finished_ids(root) -> set:
    """Ids of the runs whose batch is written in the sweep at ``root`` (finished or failed); reads, never writes."""
    runs = Path(root) / "runs"
    if not any(runs.glob("part-*.parquet")):
        return set()
    return set(pq.read_table(runs, columns=["run_id"]).column("run_id").to_pylist())


def sweep_dir(results_dir, name: str) -> Path:
    return Path(results_dir) / "sweeps" / name


def read_runs(root) -> pd.DataFrame:
    """Every run of the sweep at ``root`` (one row each), in plan order: scenario, point, replicate."""
    runs = pq.read_table(Path(root) / "runs").to_pandas()
    return runs.sort_values(["scenario", "point", "replicate", "run_id"], kind="stable").reset_index(drop=True)


def read_summaries(root, columns=None, filters=None) -> pd.DataFrame:
    """The summary rows of the sweep at ``root`` (``columns``/``filters`` as in pyarrow, read without loading the rest),
    in a canonical order: run by run in plan order, each run's rows as written."""
    root = Path(root)
    order = read_runs(root)[["run_id"]].reset_index().rename(columns={"index": "_order"})
    table = pq.read_table(root / "summaries", columns=None if columns is None else sorted(set(columns) | {"run_id"}),
                          filters=filters)
    frame = table.to_pandas()
    frame = frame.merge(order, on="run_id", how="left", sort=False)
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return frame if columns is None else frame[list(columns)]
