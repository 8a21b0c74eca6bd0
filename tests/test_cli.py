"""End to end: the command line as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alignment import outputs

pytestmark = pytest.mark.slow
EXE = shutil.which("alignment-run") or str(Path(sys.executable).parent / "alignment-run")


def cli(*args, cwd=None, timeout=600):
    r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def test_one_run_writes_the_contract_and_reports(tmp_path):
    out = tmp_path / "run"
    r = cli("scenario=no_war_2022", "seed=3", f"hydra.run.dir={out}")
    assert f"run directory: {out}" in r.stdout
    assert "multialignment" in r.stdout and "MIDDLE Mt/yr" in r.stdout  # the summary table
    names = {p.name for p in out.iterdir()}
    assert {"timeseries.parquet", "interactions.parquet", "config.yaml", "figures", "run.json"} <= names
    assert not [n for n in names if n.startswith(".partial")]
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == ["alignment_weights.png", "corridor_volumes.png", "interactions_per_year.png"]
    assert all((out / "figures" / f).stat().st_size > 10_000 for f in figs)
    ts = outputs.read_timeseries(out / "timeseries.parquet")
    outputs.validate_timeseries(ts)
    outputs.validate_interactions(outputs.read_interactions(out / "interactions.parquet"))
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["scenario"] == "no_war_2022" and manifest["seed"] == 3
    assert manifest["versions"]["mesa"].startswith("3.")
    assert "seed: 3" in (out / "config.yaml").read_text()


def test_same_config_and_seed_give_identical_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    cli("seed=7", f"hydra.run.dir={a}")
    cli("seed=7", f"hydra.run.dir={b}")
    for name in ("timeseries.parquet", "interactions.parquet", "config.yaml", "run.json",
                 "figures/alignment_weights.png", "figures/corridor_volumes.png", "figures/interactions_per_year.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_multirun_gives_four_run_directories(tmp_path):
    sweep = tmp_path / "sweep"
    cli("-m", "scenario=historical,no_war_2022", "seed=0,1", "outputs.figures=false", "outputs.summary=false",
        "horizon.end=2023-12", "horizon.drop_later_events=true", f"hydra.sweep.dir={sweep}")
    runs = sorted(p for p in sweep.iterdir() if p.is_dir() and (p / "run.json").exists())
    assert [p.name for p in runs] == ["0_historical_seed0", "1_historical_seed1", "2_no_war_2022_seed0", "3_no_war_2022_seed1"]
    seeds = {json.loads((p / "run.json").read_text())["seed"] for p in runs}
    assert seeds == {0, 1}
