"""The output contract: tidy frames, schema, atomic and byte-identical files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from alignment import outputs


@pytest.fixture(scope="module")
def frames(runs):
    m = runs()
    return m, outputs.timeseries_frame(m), outputs.interactions_frame(m)


def test_timeseries_follows_the_contract(frames):
    m, ts, _ = frames
    outputs.validate_timeseries(ts)
    assert list(ts.columns) == ["date", "year", "indicator", "entity", "partner", "value", "unit"]
    need = {"alignment_weight", "multialignment_index", "trade_usd_bn", "corridor_volume_mt", "corridor_volume_teu", "corridor_share", "cohesion"}
    assert need <= set(ts["indicator"])
    dates = pd.to_datetime(ts["date"])
    assert (dates.dt.day == 1).all() and dates.min() == pd.Timestamp("2015-01-01") and dates.max() == pd.Timestamp("2035-12-01")
    assert (dates.dt.year == ts["year"]).all()
    w = ts[ts["indicator"] == "alignment_weight"]
    assert set(w["entity"]) == set(m.world.states) and set(w["partner"]) == set(m.world.powers)
    sums = w.groupby(["date", "entity"])["value"].sum()
    assert np.allclose(sums, 1.0)
    mai = ts[ts["indicator"] == "multialignment_index"]
    assert mai["partner"].isna().all() and mai["value"].between(0, 1).all()
    shares = ts[ts["indicator"] == "corridor_share"].groupby(["date", "partner"])["value"].sum()
    assert np.allclose(shares, 1.0)
    trade = ts[ts["indicator"] == "trade_usd_bn"]
    assert not (trade["entity"] == trade["partner"]).any()
    assert set(trade["partner"]) == set(m.world.partners)
    c5 = ts[ts["indicator"] == "cohesion"]
    assert set(c5["entity"]) == {"C5"} and len(c5) == m.n_months
    mt = ts[ts["indicator"] == "corridor_volume_mt"].set_index(["date", "entity"])["value"]
    teu = ts[ts["indicator"] == "corridor_volume_teu"].set_index(["date", "entity"])["value"]
    np.testing.assert_allclose(mt, teu * m.p.tonnes_per_teu / 1e6)


def test_observation_indicators_are_yearly_rows(frames):
    """unga_agreement and arms_import_share: one row per state, power and calendar year, dated 1 January,
    valued at the mean over the year's months of what the engine recorded."""
    m, ts, _ = frames
    years = range(2015, 2036)
    u = ts[ts["indicator"] == "unga_agreement"]
    assert len(u) == len(years) * len(m.world.states) * len(m.world.powers)  # every default power has a UN record
    assert set(pd.to_datetime(u["date"])) == {pd.Timestamp(f"{y}-01-01") for y in years}
    assert u["value"].between(0, 1).all() and (u["unit"] == "agreement score 0-1").all()
    i, j = m.state_index["KGZ"], m.power_index["RUS"]
    row = u[(u["entity"] == "KGZ") & (u["partner"] == "RUS") & (u["year"] == 2023)]["value"].item()
    assert row == pytest.approx(m.rec["unga"][(2023 - 2015) * 12:(2024 - 2015) * 12, i, j].mean(), rel=1e-12)
    a = ts[ts["indicator"] == "arms_import_share"]
    assert set(a["partner"]) == {"RUS", "CHN", "USA", "EU", "TUR"}  # the powers that sold major arms to the C5
    assert np.allclose(a.groupby(["year", "entity"])["value"].sum(), 1.0)


def test_ledger_follows_the_contract(frames):
    m, _, led = frames
    outputs.validate_interactions(led)
    assert list(led.columns) == ["date", "year", "kind", "level", "format", "participants", "multilateral", "intraregional"]
    intra = led[led["intraregional"]]
    parts = intra["participants"].str.split("|")
    # intraregional: among C5 states only (a guest such as AZE may attend a C5 meeting), never a power
    assert parts.map(lambda p: not set(p) & set(m.world.powers) and len(set(p) & set(m.world.states)) >= 2).all()
    assert (intra["multilateral"] == (parts.str.len() > 2)).all()
    assert not led.loc[~led["intraregional"], "participants"].str.split("|").map(lambda p: set(p) <= set(m.world.states)).any()
    assert pd.to_datetime(led["date"]).is_monotonic_increasing


def test_validators_reject_broken_frames(frames):
    _, ts, led = frames
    with pytest.raises(ValueError):
        outputs.validate_timeseries(ts.assign(value=np.nan))
    with pytest.raises(ValueError):
        outputs.validate_timeseries(ts.assign(unit="parsecs"))
    with pytest.raises(ValueError):
        outputs.validate_timeseries(ts.drop(columns="unit"))
    bad = ts.copy()
    bad.loc[bad.index[0], "partner"] = None  # alignment_weight needs a partner
    with pytest.raises(ValueError):
        outputs.validate_timeseries(bad)
    with pytest.raises(ValueError):
        outputs.validate_interactions(led.assign(kind="letter"))


def test_written_files_have_the_schema_and_no_partials(frames, tmp_path):
    _, ts, led = frames
    outputs.write_timeseries(ts, tmp_path / "timeseries.parquet")
    outputs.write_interactions(led, tmp_path / "interactions.parquet")
    assert pq.read_schema(tmp_path / "timeseries.parquet").equals(outputs.TIMESERIES_SCHEMA, check_metadata=False)
    assert pq.read_schema(tmp_path / "interactions.parquet").equals(outputs.INTERACTIONS_SCHEMA, check_metadata=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interactions.parquet", "timeseries.parquet"]
    back = outputs.read_timeseries(tmp_path / "timeseries.parquet")
    assert len(back) == len(ts) and back["partner"].isna().sum() == ts["partner"].isna().sum()


def test_a_failed_write_leaves_nothing_that_looks_finished(frames, tmp_path):
    m, ts, led = frames
    from alignment.runs import write_run
    from omegaconf import OmegaConf

    class Boom(RuntimeError):
        pass

    def explode(*a, **k):
        raise Boom

    import alignment.figures as figs

    original = figs.draw_run
    figs.draw_run = explode
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")  # a finished earlier run in the same directory
    try:
        with pytest.raises(Boom):
            write_run(m, OmegaConf.create({"scenario": {"name": "x"}, "seed": 0}), tmp_path / "run", figures=True)
    finally:
        figs.draw_run = original
    left = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert left == []  # no parquet, no stale run.json, no staging folder


def test_staged_folder_publishes_on_success_and_leaves_dest_alone_on_failure(tmp_path):
    """The one staging mechanism behind alignment-run and alignment-validate."""
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "report.md").write_text("old")
    with pytest.raises(RuntimeError):
        with outputs.staged(dest) as stage:
            (stage / "report.md").write_text("half")
            raise RuntimeError("figure failed")
    assert sorted(p.name for p in dest.iterdir()) == ["report.md"] and (dest / "report.md").read_text() == "old"
    with outputs.staged(dest) as stage:
        (stage / "report.md").write_text("new")
        (stage / "figures").mkdir()
    assert sorted(p.name for p in dest.iterdir()) == ["figures", "report.md"] and (dest / "report.md").read_text() == "new"
