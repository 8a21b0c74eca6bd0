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
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alignment.world.calendar import month_starts

SCHEMA_VERSION = "1.0"

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

# indicator -> (unit, entity kind, partner kind); kinds: state, power, partner, corridor, market, region, None
INDICATORS = {
    "alignment_weight": ("share", "state", "power"),
    "multialignment_index": ("index 0-1", "state", None),
    "trade_usd_bn": ("USD bn per year", "state", "partner"),
    "remittances_usd_bn": ("USD bn per year", "state", "power"),
    "investment_usd_bn": ("USD bn per year", "state", "power"),
    "corridor_volume_teu": ("TEU per year", "corridor", None),
    "corridor_volume_mt": ("million tonnes per year", "corridor", None),
    "corridor_capacity_teu": ("TEU per year", "corridor", None),
    "corridor_share": ("share of market", "corridor", "market"),
    "transit_revenue_usd_bn": ("USD bn per year", "state", None),
    "cohesion": ("index 0-1", "region", None),
}

KINDS = ("telegram", "call", "visit", "meeting", "summit")
LEVELS = ("president", "prime_minister", "foreign_minister")


def _block(name, dates, years, values, entities, partners):
    """Long rows for one indicator from a (T, E) or (T, E, R) array."""
    T = len(dates)
    v = values.reshape(T, len(entities), -1)
    R = v.shape[2]
    n = len(entities) * R
    return pd.DataFrame(
        {
            "date": np.repeat(dates, n),
            "year": np.repeat(years, n),
            "indicator": name,
            "entity": np.tile(np.repeat(np.asarray(entities, dtype=object), R), T),
            "partner": np.tile(np.asarray(partners if partners is not None else [None], dtype=object), T * len(entities)),
            "value": v.reshape(-1),
            "unit": INDICATORS[name][0],
        }
    )


def timeseries_frame(model) -> pd.DataFrame:
    """The tidy indicator frame of a finished run, built once from the recorders."""
    from alignment.mechanisms.alignment import multialignment_index

    w, r = model.world, model.rec
    dates = month_starts(model.start, model.n_months)
    years = (np.arange(model.start, model.start + model.n_months) // 12).astype(np.int16)
    states, powers, corridors = list(w.states), list(w.powers), list(w.corridors)
    trade = r["trade"].copy()
    P = len(powers)
    rows = [
        _block("alignment_weight", dates, years, r["weights"], states, powers),
        _block("multialignment_index", dates, years, multialignment_index(r["weights"]), states, None),
    ]
    # trade with every partner but itself
    partners = list(w.partners)
    keep = np.array([[p != s for p in partners] for s in states])
    t_rows = _block("trade_usd_bn", dates, years, trade, states, partners)
    rows.append(t_rows[np.tile(keep.reshape(-1), len(dates))])
    remit = np.zeros((len(dates), len(states), P))
    if w.remittance_source >= 0:
        remit[:, :, w.remittance_source] = r["remittances"]
    rows += [
        _block("remittances_usd_bn", dates, years, remit[:, :, [w.remittance_source]] if w.remittance_source >= 0 else remit[:, :, :0],
               states, [powers[w.remittance_source]] if w.remittance_source >= 0 else []),
        _block("investment_usd_bn", dates, years, r["investment"], states, powers),
        _block("corridor_volume_teu", dates, years, r["volume"], corridors, None),
        _block("corridor_volume_mt", dates, years, r["volume"] * model.p.tonnes_per_teu / 1e6, corridors, None),
        _block("corridor_capacity_teu", dates, years, np.where(np.isfinite(r["capacity"]), r["capacity"], np.nan), corridors, None),
        _block("corridor_share", dates, years, np.swapaxes(r["share"], 1, 2), corridors, list(w.markets)),
        _block("transit_revenue_usd_bn", dates, years, r["transit_revenue"], states, None),
        _block("cohesion", dates, years, r["cohesion"][:, None], ["C5"], None),
    ]
    df = pd.concat([x for x in rows if len(x)], ignore_index=True)
    # corridor_share rows only where the corridor serves the market
    serves = {(c, m) for mi, m in enumerate(w.markets) for ki, c in enumerate(corridors) if w.serves[mi, ki]}
    is_share = df["indicator"].to_numpy() == "corridor_share"
    ok = np.array([(e, p) in serves for e, p in zip(df["entity"].to_numpy()[is_share], df["partner"].to_numpy()[is_share])])
    mask = np.ones(len(df), dtype=bool)
    mask[np.flatnonzero(is_share)[~ok]] = False
    # unbounded capacity (the sea) has no capacity row
    mask &= ~((df["indicator"].to_numpy() == "corridor_capacity_teu") & np.isnan(df["value"].to_numpy()))
    return df[mask].reset_index(drop=True)


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


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_timeseries(df: pd.DataFrame, path: Path) -> None:
    validate_timeseries(df)
    _atomic_write_table(pa.Table.from_pandas(df, schema=TIMESERIES_SCHEMA, preserve_index=False), Path(path))


def write_interactions(df: pd.DataFrame, path: Path) -> None:
    validate_interactions(df)
    _atomic_write_table(pa.Table.from_pandas(df, schema=INTERACTIONS_SCHEMA, preserve_index=False), Path(path))


def atomic_write_text(text: str, path: Path) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text)
    os.replace(tmp, path)


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
