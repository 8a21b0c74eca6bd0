"""Where a sweep lives, ``<results_dir>/sweeps/NAME/``, and how it is kept whole.

    manifest.json             every design the folder has held, in order (alignment/sweeps/identity.py), and the
                              last writer's resolved config, SALib problem, units, package versions and git commit
    design.parquet            the folder's design: one row per scenario x design point (scenario, point, point_id,
                              parameter values)
    runs/part-S.parquet       one row per run of batch S: ids, seed, parameters, overrides, status, error, and the
                              size and SHA-256 of the batch's summaries shard
    summaries/part-S.parquet  tidy rows: run_id, scenario, seed, replicate, parameters, indicator, entity, partner,
                              year, value, unit

Writing. Every file goes to a temporary name of its writer (``.NAME.HOST-PID.partial``), is flushed to the disk
(fsync), renamed into place, and its folder is flushed too; a batch's summaries shard is durable before its runs
shard is written, and the runs shard is the mark that the batch is done. A killed writer leaves whole files and
at most a temporary one. A lock file (flock) keeps a second writer off the folder and is removed when the writer
ends. A file system that refuses a write (no space, read-only, permission, the folder removed) stops the command
with one line naming the path (:class:`alignment.errors.StorageError`); what is on disk stays whole.

Checking. :func:`check_shards` reads every shard before a rerun decides what is finished: a runs shard must read
(Parquet page checksums), be named after the runs it holds and hold runs of the folder's design with their seeds;
its summaries shard must be there with the size and SHA-256 the runs shard recorded. A batch that fails is
damaged: its runs are unfinished again and are computed anew. ``alignment-sweep sweep.verify=true`` runs the same
check and writes nothing. Read the dataset with :func:`read_runs` and :func:`read_summaries` (pandas), or with
DuckDB straight from ``summaries/*.parquet`` (after a rerun or a clean verify: an interrupted batch can leave a
summaries shard without its runs shard until then).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alignment.errors import ConfigError, DatasetError, StorageError, storage_error
from alignment.outputs import replacing
from alignment.rng import replicate_seed
from alignment.sweeps.identity import points_digest

SWEEP_SCHEMA_VERSION = "2.0"
KEPT = "rerun the same command: finished batches are kept"


@contextmanager
def storage(path, reading: bool = False, name_path: bool = False):
    """Turn an OSError met at ``path`` into a one-line StorageError naming the path (the OSError's own file unless
    ``name_path``), what happened and what to do."""
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            todo = "free some space (or choose another results_dir), then " + KEPT
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            todo = (f"make it {'readable' if reading else 'writable'} for this user (or choose another results_dir), "
                    f"then {KEPT}")
        elif exc.errno in (errno.ENOENT, errno.ESTALE):
            todo = "was the folder removed while the sweep ran? rerun the same command: what is missing is computed again"
        else:
            todo = f"once that is fixed, {KEPT}"
        raise storage_error(exc, path, todo, name_path) from None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_write(data: bytes, path: Path, tag: str | None = None) -> None:
    """Write ``data`` to ``path`` so that a reader sees either the old file or the whole new one, even after a
    crash or on a shared file system: a temporary name of this writer (``tag``: host and process by default),
    fsync, rename, fsync of the folder. The temporary file goes if anything fails."""
    path = Path(path)
    with storage(path, name_path=True):
        with replacing(path, tag or writer_tag()) as tmp, open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _fsync_dir(path.parent)


def writer_tag() -> str:
    """This process on this host: two writers of the same shard (a requeued SLURM task) never share a temporary file."""
    return f"{socket.gethostname().split('.')[0]}-{os.getpid()}"


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as the bytes of a Parquet file (zstd; page checksums, so a flipped bit is found when read)."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_page_checksum=True)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_batch(root, result, tag: str | None = None) -> None:
    """A finished batch into the sweep at ``root``: its summaries shard, durable, then its runs shard with the
    summaries shard's size and SHA-256 (the mark that the batch is done). Used by the sweep's driver, and by a
    SLURM task on the cluster's shared file system."""
    root = Path(root)
    summaries = parquet_bytes(result.summaries)
    durable_write(summaries, root / "summaries" / f"part-{result.shard}.parquet", tag)
    n = result.runs.num_rows
    runs = result.runs.append_column("summaries_bytes", pa.array([len(summaries)] * n, pa.int64()))
    runs = parquet_bytes(runs.append_column("summaries_sha256", pa.array([sha256(summaries)] * n, pa.string())))
    durable_write(runs, root / "runs" / runs_shard_name(result.shard, runs), tag)


RUNS_NAME = re.compile(r"part-([0-9a-f]{16})-([0-9a-f]{16})\.parquet")


def runs_shard_name(shard: str, data: bytes) -> str:
    """A runs shard is named after its batch and the SHA-256 of its own bytes (its first 16 hex digits), so that any
    change to it is found, as the runs shard's record finds any change to its summaries shard."""
    return f"part-{shard}-{sha256(data)[:16]}.parquet"


class SweepStore:
    """A sweep folder opened for writing: a context manager that holds its lock and removes the lock file when done."""

    def __init__(self, root, name: str):
        self.root, self.name = Path(root), name
        self.runs_dir, self.summaries_dir = self.root / "runs", self.root / "summaries"
        self._lock = None

    def __enter__(self) -> "SweepStore":
        with storage(self.root):
            for d in (self.runs_dir, self.summaries_dir):
                d.mkdir(parents=True, exist_ok=True)
            path = self.root / ".lock"
            while True:  # the lock file is removed at the end: make sure the file locked is the one at the path
                f = open(path, "a+")
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    f.close()
                    raise ConfigError("sweep.name", self.name, f"another alignment-sweep is writing {self.root}; wait for it "
                                                               "to finish or choose another sweep.name") from None
                except OSError:
                    f.close()
                    raise
                try:
                    same = os.fstat(f.fileno()).st_ino == os.stat(path).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    break
                f.close()  # the writer before removed it after this process opened it: lock the new one
            f.truncate(0)
            f.write(f"{writer_tag()}\n")
            f.flush()
            self._lock = f
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            try:
                (self.root / ".lock").unlink(missing_ok=True)  # removed while held: a waiting writer sees a new file
            except OSError:
                pass  # a read-only or removed folder: the lock is released all the same
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def write_manifest(self, manifest: dict, design: pd.DataFrame | None) -> None:
        """The manifest first (the record of the folder's design), then design.parquet; a rerun of the same design
        rewrites design.parquet if a kill came between the two."""
        text = json.dumps(manifest, indent=2, default=str) + "\n"  # keys in their order: a design's parameters are ordered
        durable_write(text.encode(), self.root / "manifest.json")
        if design is not None:
            durable_write(parquet_bytes(pa.Table.from_pandas(design, preserve_index=False)), self.root / "design.parquet")

    def write(self, result) -> None:
        write_batch(self.root, result)

    def repair(self, check: "ShardCheck") -> None:
        """Remove what the check found damaged or left over: a damaged batch's runs shard first (its runs are then
        unfinished), then its summaries shard; temporary files of interrupted writes."""
        with storage(self.root):
            for damage in check.damaged:
                for p in damage.remove:
                    p.unlink(missing_ok=True)
            for p in check.leftovers:
                p.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- reading, checking
def sweep_dir(results_dir, name: str) -> Path:
    return Path(results_dir) / "sweeps" / name


def read_manifest(root) -> dict | None:
    """The manifest of the sweep at ``root``, or None if the folder holds no dataset yet; a DatasetError if it
    is not a manifest this version can trust."""
    root = Path(root)
    path = root / "manifest.json"
    todo = "restore it, or remove the folder (or choose another sweep.name) and compute the sweep again"
    with storage(path, reading=True):
        if not path.exists():
            if any(root.glob("runs/part-*.parquet")) or any(root.glob("summaries/part-*.parquet")):
                raise DatasetError(path, "missing, though the folder holds shards of a sweep", todo)
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise DatasetError(path, f"not JSON ({exc.msg} at line {exc.lineno})", todo) from None
    if not isinstance(manifest, dict):
        raise DatasetError(path, "not a JSON object", todo)
    if manifest.get("schema") != SWEEP_SCHEMA_VERSION:
        raise DatasetError(path, f"written with sweep schema {manifest.get('schema')!r} (this version reads "
                                 f"{SWEEP_SCHEMA_VERSION}: a record of every design and a checksum of every shard)",
                           "remove the folder or choose another sweep.name; the sweep is then computed again")
    designs = manifest.get("designs")
    if not isinstance(designs, list) or not designs:
        raise DatasetError(path, "lacks its 'designs' key (the record of each design the folder has held)", todo)
    for n, record in enumerate(designs):
        where = f"designs[{n}]"
        if not isinstance(record, dict):
            raise DatasetError(path, f"{where} is not a record of a design", todo)
        for key, kind in RECORD_FIELDS.items():
            if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
                what = f"{where} lacks its {key!r} key" if key not in record else f"{where}.{key} is not a {kind.__name__}"
                raise DatasetError(path, what, todo)
        for key, kind in SETTINGS_FIELDS.items():
            value = record["settings"].get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise DatasetError(path, f"{where}.settings lacks its {key!r} key" if key not in record["settings"]
                                   else f"{where}.settings.{key} is not a {kind.__name__}", todo)
    if not isinstance(manifest.get("config", {}), dict):
        raise DatasetError(path, "its 'config' key is not a mapping", todo)
    return manifest


RECORD_FIELDS = {"settings": dict, "points": int, "runs": int, "points_sha256": str}
SETTINGS_FIELDS = {"sweep.scenarios": list, "sweep.parameters": dict, "sweep.design": dict, "sweep.replicates": int,
                   "sweep.seed": int, "sweep.summaries": dict, "timelines": dict, "run_config": str}


def read_design(root, record: dict) -> tuple[pd.DataFrame | None, str | None]:
    """The folder's design.parquet if it is the design ``record`` describes: (frame, None), or (None, why not)."""
    path = Path(root) / "design.parquet"
    try:
        design = pq.read_table(path).to_pandas()
    except FileNotFoundError:
        return None, "missing"
    except (OSError, pa.ArrowException) as exc:
        return None, f"unreadable ({_short(exc)})"
    if "point_id" not in design or points_digest(design["point_id"].tolist()) != record["points_sha256"]:
        return None, "not the design the manifest records last (a write was interrupted)"
    return design, None


@dataclass
class Damage:
    path: Path  # the file at fault
    why: str
    runs: int  # runs it makes unfinished (0 if not known)
    remove: list  # files a repair removes, the runs shard first


@dataclass
class ShardCheck:
    """What :func:`check_shards` found: finished run ids (in sound batches), damage, leftovers, foreign shards."""

    finished: set = field(default_factory=set)
    batches: int = 0  # sound batches
    bytes: int = 0  # their summaries' bytes, checksummed
    damaged: list = field(default_factory=list)
    leftovers: list = field(default_factory=list)  # temporary files of interrupted writes
    foreign: list = field(default_factory=list)  # (path, why): shards of runs that are not the folder's


def shard_name(run_ids) -> str:
    """A batch's shards are named by the runs they hold: the same batch gets the same files whichever executor
    runs it, and a runs shard whose rows are not its name's is found."""
    return hashlib.sha1("\n".join(run_ids).encode()).hexdigest()[:16]


RUNS_FIELDS = {"run_id", "point_id", "scenario", "replicate", "seed", "shard", "summaries_bytes", "summaries_sha256"}


def _short(exc) -> str:
    return " ".join(str(exc).split())[:100]


def check_shards(root, design: pd.DataFrame | None, seed: int | None, replicates: int | None) -> ShardCheck:
    """Check every shard of the sweep at ``root`` against the folder's ``design`` (None: whether the runs are
    the design's is not checked), its ``seed`` and its ``replicates``; reads, never writes."""
    root = Path(root)
    out = ShardCheck()
    runs_dir, sums_dir = root / "runs", root / "summaries"
    points = None if design is None else _design_points(design)
    owner: dict = {}
    with storage(root, reading=True):
        runs_files = sorted(runs_dir.glob("part-*.parquet")) if runs_dir.is_dir() else []
        sums_files = sorted(sums_dir.glob("part-*.parquet")) if sums_dir.is_dir() else []
        out.leftovers = sorted(p for d in (root, runs_dir, sums_dir) if d.is_dir() for p in d.glob(".*.partial"))
        for path in runs_files:
            name = RUNS_NAME.fullmatch(path.name)
            shard = name.group(1) if name else path.stem[len("part-"):]
            summaries = sums_dir / f"part-{shard}.parquet"
            data = path.read_bytes()
            try:
                cols = _parse(data).to_pydict()
            except (pa.ArrowException, OSError) as exc:  # bytes in memory: an OSError here is a broken footer, not the disk
                out.damaged.append(Damage(path, f"unreadable ({_short(exc)})", 0, [path, summaries]))
                continue
            ids = cols.get("run_id", [])
            if not name or sha256(data)[:16] != name.group(2):
                out.damaged.append(Damage(path, "altered (its SHA-256 is not the one its name carries)", len(ids), [path, summaries]))
                continue
            if not RUNS_FIELDS <= set(cols) or not ids or shard_name(ids) != shard or set(cols["shard"]) != {shard} \
                    or len(set(cols["summaries_sha256"])) != 1 or len(set(cols["summaries_bytes"])) != 1:
                out.damaged.append(Damage(path, "altered (its rows are not the batch its name stands for)", len(ids),
                                          [path, summaries]))
                continue
            why = None if points is None else _not_of_design(cols, points, seed, replicates)
            if why:
                out.foreign.append((path, why))
                continue
            again = [i for i in ids if i in owner]
            if again:  # a batch written twice (a requeued task, another pyarrow) or two batches sharing runs
                first = owner[again[0]]
                out.damaged.append(Damage(path, f"repeats {len(again)} runs of runs/{first}", len(ids),
                                          [path] if first.startswith(f"part-{shard}-") else [path, summaries]))
                continue
            size, digest = cols["summaries_bytes"][0], cols["summaries_sha256"][0]
            try:
                data = summaries.read_bytes()
            except FileNotFoundError:
                out.damaged.append(Damage(summaries, "missing", len(ids), [path]))
                continue
            if len(data) != size:
                out.damaged.append(Damage(summaries, f"{len(data):,} bytes where {size:,} were written "
                                                     f"({'truncated' if len(data) < size else 'grown'})", len(ids), [path, summaries]))
                continue
            if sha256(data) != digest:
                out.damaged.append(Damage(summaries, "altered (its SHA-256 is not the one written)", len(ids), [path, summaries]))
                continue
            owner.update((i, path.name) for i in ids)
            out.finished.update(ids)
            out.batches += 1
            out.bytes += size
        marked = {f"part-{m.group(1)}.parquet" for m in map(RUNS_NAME.fullmatch, (p.name for p in runs_files)) if m}
        for path in (p for p in sums_files if p.name not in marked):
            data = path.read_bytes()
            try:
                ids = _parse(data, columns=["run_id"]).column("run_id").to_pylist()
            except (pa.ArrowException, OSError):
                ids = []
            if points is not None and any(i.rsplit("-", 1)[0] not in points for i in ids):
                out.foreign.append((path, "holds runs that are not points of this folder's design"))
            else:
                out.damaged.append(Damage(path, "has no runs shard (a batch interrupted between its two files)", 0, [path]))
    return out


def _parse(data: bytes, columns=None) -> pa.Table:
    """A Parquet file's table from its bytes, page checksums verified; one thread (a check ends in a short-lived
    process, and pyarrow's thread pool has been seen to abort at exit)."""
    return pq.read_table(pa.BufferReader(data), columns=columns, page_checksum_verification=True, use_threads=False)


def _design_points(design: pd.DataFrame) -> dict:
    """{point_id: (scenario, value, ...)} of a design table."""
    keys = [c for c in design.columns if c not in ("scenario", "point", "point_id")]
    values = design[keys].to_numpy(dtype=float).tolist() if keys else [[] for _ in range(len(design))]
    return {p: (s, *v) for p, s, v in zip(design["point_id"].tolist(), design["scenario"].tolist(), values)}


def _not_of_design(cols: dict, points: dict, seed, replicates) -> str | None:
    """Why a runs shard's rows are not runs of the folder's design (None if every one is, with its seed and values)."""
    keys = [k for k in cols if k not in RUNS_FIELDS and k not in ("overrides", "status", "error", "point")]
    seeds: dict = {}
    for n, run_id in enumerate(cols["run_id"]):
        point_id, replicate = cols["point_id"][n], cols["replicate"][n]
        if point_id not in points:
            return f"run {run_id} is not a point of this folder's design"
        if run_id != f"{point_id}-{replicate}" or cols["scenario"][n] != points[point_id][0]:
            return f"run {run_id} does not carry its own point, scenario and replicate"
        if tuple(cols[k][n] for k in keys) != points[point_id][1:]:
            return f"run {run_id} has parameter values other than its point's"
        if replicates is not None and replicate >= replicates:
            return f"run {run_id} is replicate {replicate}; the folder's design has {replicates}"
        if seed is not None and replicate not in seeds:
            seeds[replicate] = replicate_seed(seed, replicate)
        if seed is not None and cols["seed"][n] != seeds[replicate]:
            return f"run {run_id} has seed {cols['seed'][n]}, not replicate {replicate}'s of sweep.seed={seed}"
    return None


def check_against(root, record: dict, design: pd.DataFrame | None) -> ShardCheck:
    """:func:`check_shards` against a design record's seed and replicates and its design table."""
    s = record["settings"]
    return check_shards(root, design, s["sweep.seed"], s["sweep.replicates"])


def check_as_recorded(root) -> tuple[dict | None, str | None, ShardCheck]:
    """The sweep at ``root`` checked against its own last design record, read only: (manifest or None for an empty
    folder, why design.parquet cannot be used or None, the shard check)."""
    manifest = read_manifest(root)
    if manifest is None:
        return None, None, ShardCheck()
    record = manifest["designs"][-1]
    design, why = read_design(root, record)
    return manifest, why, check_against(root, record, design)


def finished_ids(root) -> set:
    """Ids of the runs in sound batches of the sweep at ``root`` (finished or failed); reads, never writes."""
    return check_as_recorded(root)[2].finished


def read_runs(root) -> pd.DataFrame:
    """Every run of the sweep at ``root`` (one row each), in plan order: scenario, point, replicate. ``point`` is the
    run's row in the folder's design (design.parquet)."""
    root = Path(root)
    runs = pq.read_table(root / "runs").to_pandas()
    design = pq.read_table(root / "design.parquet", columns=["point_id", "point"]).to_pandas()
    runs.insert(2, "point", runs["point_id"].map(design.set_index("point_id")["point"]).astype("Int64"))
    return runs.sort_values(["scenario", "point", "replicate", "run_id"], kind="stable").reset_index(drop=True)


def read_summaries(root, columns=None, filters=None, run_ids=None) -> pd.DataFrame:
    """The summary rows of the sweep at ``root`` (``columns``/``filters`` as in pyarrow, read without loading the
    rest; ``run_ids``: only these runs), in a canonical order: run by run in plan order, each run's rows as
    written. Rows of a batch without its runs shard (interrupted, not yet cleaned by a rerun) are left out."""
    root = Path(root)
    runs = read_runs(root)[["run_id"]]
    if run_ids is not None:
        runs = runs[runs["run_id"].isin(run_ids)]
    order = runs.reset_index(drop=True).reset_index().rename(columns={"index": "_order"})
    table = pq.read_table(root / "summaries", columns=None if columns is None else sorted(set(columns) | {"run_id"}),
                          filters=filters)
    frame = table.to_pandas().merge(order, on="run_id", how="inner", sort=False)
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return frame if columns is None else frame[list(columns)]
