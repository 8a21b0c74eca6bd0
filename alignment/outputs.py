"""The output contract every later tool reads: two tidy Parquet files per run.

``timeseries.parquet``: date (month start), year, indicator, entity, partner
(null where it does not apply), value, unit. ``interactions.parquet``: the
interaction ledger, one row per telegram, call, visit, meeting or summit.
Frames are built once from the model's preallocated arrays; files are written
under a temporary name and renamed into place only when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alignment.indicators import INDICATORS, SOURCES, YEARLY, indicator_arrays  # noqa: F401 - part of the contract
from alignment.mechanisms.diplomacy import LEVELS
from alignment.world.calendar import month_starts

SCHEMA_VERSION = "1.2"  # 1.1: yearly indicators unga_agreement and arms_import_share; 1.2: unga_position

TIMESERIES_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("year", pa.int16()),
        ("indicator", pa.string()),
        ("entity", pa.string()),
        ("partner", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
    ],
    metadata={"alignment_schema": SCHEMA_VERSION},
)

INTERACTIONS_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("year", pa.int16()),
        ("kind", pa.string()),
        ("level", pa.string()),
        ("format", pa.string()),
        ("participants", pa.string()),
        ("multilateral", pa.bool_()),
        ("intraregional", pa.bool_()),
    ],
    metadata={"alignment_schema": SCHEMA_VERSION},
)

KINDS = ("telegram", "call", "visit", "meeting", "summit")


def timeseries_frame(model) -> pd.DataFrame:
    """The tidy indicator frame of a finished run, built once from the recorders."""
    month_dates = month_starts(model.start, model.n_months)
    month_years = (np.arange(model.start, model.start + model.n_months) // 12).astype(np.int16)
    first = np.r_[True, month_years[1:] != month_years[:-1]]  # the first recorded month of each year
    starts = np.flatnonzero(first)
    months_in_year = np.diff(np.r_[starts, len(month_years)])[:, None, None, None]
    rec = {k: v[:, None] for k, v in model.rec.items()}  # one run: (month, 1, ...)
    frames = []
    for name, (values, entities, partners, keep) in indicator_arrays(model.world, rec, model.p.tonnes_per_teu).items():
        E, R = keep.shape
        cell = np.flatnonzero(keep.reshape(-1))
        dates, years = month_dates, month_years
        if name in YEARLY:  # one row per calendar year, dated at its first month: the mean over its months
            values = np.add.reduceat(values, starts, axis=0) / months_in_year
            dates, years = month_dates[first], month_years[first]
        T = len(dates)
        frames.append(pd.DataFrame({
            "date": np.repeat(dates, len(cell)),
            "year": np.repeat(years, len(cell)),
            "indicator": name,
            "entity": np.tile(np.asarray(entities, dtype=object)[cell // R], T),
            "partner": np.tile(np.asarray(partners if partners is not None else [None], dtype=object)[cell % R], T),
            "value": values[:, 0].reshape(T, E * R)[:, cell].reshape(-1),
            "unit": INDICATORS[name][0],
        }))
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def interactions_frame(model) -> pd.DataFrame:
    """The interaction ledger of a finished run."""
    cols = ["month", "kind", "level", "format", "participants", "multilateral", "intraregional"]
    led = pd.DataFrame(model.ledger, columns=cols)
    led = led.sort_values("month", kind="stable").reset_index(drop=True)
    month = led.pop("month").to_numpy(dtype=np.int64)
    led.insert(0, "date", (np.datetime64("0000-01", "M") + month).astype("datetime64[D]"))
    led.insert(1, "year", (month // 12).astype(np.int16))
    return led


def validate_timeseries(df: pd.DataFrame) -> None:
    """Raise ValueError if a frame breaks the timeseries contract."""
    if list(df.columns) != TIMESERIES_SCHEMA.names:
        raise ValueError(f"columns {list(df.columns)} != {TIMESERIES_SCHEMA.names}")
    unknown = set(df["indicator"].unique()) - set(INDICATORS)
    if unknown:
        raise ValueError(f"unknown indicators {sorted(unknown)}")
    if df["value"].isna().any():
        raise ValueError("NaN values")
    bad_unit = df["unit"] != df["indicator"].map(lambda i: INDICATORS[i][0])
    if bad_unit.any():
        raise ValueError("units do not match the indicator table")
    has_partner = df["indicator"].map(lambda i: INDICATORS[i][2] is not None)
    if (df["partner"].isna() == has_partner).any():
        raise ValueError("partner must be set exactly for indicators that have one")


def validate_interactions(df: pd.DataFrame) -> None:
    """Raise ValueError if a frame breaks the interaction-ledger contract."""
    if list(df.columns) != INTERACTIONS_SCHEMA.names:
        raise ValueError(f"columns {list(df.columns)} != {INTERACTIONS_SCHEMA.names}")
    if not df["kind"].isin(KINDS).all() or not df["level"].isin(LEVELS).all():
        raise ValueError("unknown kind or level")


@contextmanager
def replacing(path: Path, tag: str | None = None):
    """A temporary name beside ``path`` (``.NAME.partial``, or ``.NAME.TAG.partial`` for a writer of its own), renamed
    onto it when the block succeeds and removed if it does not (an exception, Ctrl-C or SIGTERM: the command line
    turns SIGTERM into KeyboardInterrupt). A removal that fails (the folder gone, read-only) leaves the error as it was."""
    tmp = path.with_name(f".{path.name}.partial" if tag is None else f".{path.name}.{tag}.partial")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def atomic_write_table(table: pa.Table, path: Path) -> None:
    with replacing(Path(path)) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def as_stored(df: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """The frame as its Parquet file gives it back (dates as dates, the schema's types): what the Python API returns,
    so that a table from ``alignment.run`` equals the one ``alignment-run`` writes."""
    return pa.Table.from_pandas(df, schema=schema, preserve_index=False).to_pandas()


def write_timeseries(df: pd.DataFrame, path: Path) -> None:
    validate_timeseries(df)
    atomic_write_table(pa.Table.from_pandas(df, schema=TIMESERIES_SCHEMA, preserve_index=False), Path(path))


def write_interactions(df: pd.DataFrame, path: Path) -> None:
    validate_interactions(df)
    atomic_write_table(pa.Table.from_pandas(df, schema=INTERACTIONS_SCHEMA, preserve_index=False), Path(path))


def atomic_write_text(text: str, path: Path) -> None:
    with replacing(Path(path)) as tmp:
        tmp.write_text(text)


@contextmanager
def staged(dest):
    """A staging folder inside ``dest``: write into it; when the block ends without error every item is
    moved into ``dest`` (replacing what was there). The stage is removed either way, so a failure
    leaves ``dest`` as it was."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".partial-", dir=dest))
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            target = dest / item.name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            item.rename(target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def read_timeseries(path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def read_interactions(path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()
