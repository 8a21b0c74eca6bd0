"""A sweep dataset to trust: a folder never mixes designs, extensions are the dataset a whole run gives, damage is
found and computed again, storage faults end in one line and lose nothing, SIGKILL at any moment loses nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from alignment.errors import ConfigError, StorageError
from alignment.sweeps import identity
from alignment.sweeps.cli import main, run_sweep
from alignment.sweeps.store import SweepStore, durable_write, read_runs, read_summaries
from tests.test_sweep import EXE, SMALL, files, small

RUNS_SHARD_COLUMNS = ["shard", "summaries_bytes", "summaries_sha256"]  # depend on how runs were batched, not on the runs


def dataset(folder: Path) -> dict:
    """The dataset's files byte for byte: design and shards (the manifest also records when and where it was written)."""
    return {k: v for k, v in snapshot(folder).items() if k != "manifest.json"}


def snapshot(folder: Path) -> dict:
    """Every file under a sweep folder, byte for byte (the lock file included, should one be left)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def content(root: Path):
    """What a dataset says, whatever its batches: runs (without their shard columns) and summaries, in plan order."""
    return read_runs(root).drop(columns=RUNS_SHARD_COLUMNS), read_summaries(root)


def assert_same_content(a: Path, b: Path):
    for x, y in zip(content(a), content(b)):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def one_line_error(capsys, argv, code=2) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == code and len(err) == 1 and err[0].startswith("alignment-sweep: error: "), (exit_.value.code, err)
    return err[0]


def argv(tmp_path, *extra):
    return [*SMALL, f"results_dir={tmp_path / 'results'}", *extra]


# ----------------------------------------------------------------------------- identity, by hand
def record(points, replicates=2, seed=0, **settings):
    s = {"sweep.scenarios": ["historical"], "sweep.parameters": {"model.a": {"low": 0, "high": 1}},
         "sweep.design": {"sampler": "latin", "n": len(points)}, "sweep.replicates": replicates, "sweep.seed": seed,
         "sweep.summaries": {"indicators": ["cohesion"], "years": None}, "timelines": {"historical": "t0"}, "run_config": "c0"}
    s.update(settings)
    return identity.design_record(s, points, replicates)


P12, P123 = ["p1", "p2"], ["p1", "p2", "p3"]


@pytest.mark.parametrize("old, new, kind, kept, added", [
    ((P12, {}), (P12, {}), "same", 4, 0),
    ((P12, {}), (P12, {"replicates": 5}), "extends", 4, 6),  # 2 points x 3 more replicates
    ((P12, {}), (P123, {}), "extends", 4, 2),  # a grid value or Sobol base point more, 2 replicates each
    ((P123, {}), (["p1", "p3"], {"replicates": 1}), "within", 2, 0),  # a part of the folder's runs
    ((P12, {}), (["p3", "p4"], {}), "refused", 0, 0),  # another Latin hypercube
    ((P12, {}), (P123, {"replicates": 1}), "refused", 0, 0),  # one point more, one replicate less
    ((P12, {}), (P123, {"seed": 1}), "refused", 0, 0),  # the replicates' seeds differ
    ((P12, {}), (P12, {"run_config": "c1"}), "refused", 0, 0),  # every finished run would be another
    ((P12, {}), (P12 + ["q1"], {"timelines": {"historical": "t0", "no_war_2022": "t1"}}), "extends", 4, 2),  # a scenario more
    ((P12, {}), (P12, {"timelines": {"historical": "t9"}}), "refused", 0, 0),  # the scenario's events changed
])
def test_a_design_meets_the_folders_design_by_its_runs(old, new, kind, kept, added):
    (old_points, old_kw), (new_points, new_kw) = old, new
    d = identity.decide(record(old_points, **old_kw), old_points, record(new_points, **new_kw), new_points)
    assert (d.kind, d.kept, d.added) == (kind, kept, added), d


def test_changes_are_named_by_their_config_keys():
    a = record(["p1"], **{"sweep.parameters": {"model.temperature": {"low": 1, "high": 2}}})
    b = record(["p1"], replicates=3, **{"sweep.parameters": {"model.adjustment_rate": {"low": 0.01, "high": 0.1}},
                                       "sweep.design": {"sampler": "sobol", "n": 4, "second_order": False}})
    assert identity.changes(a["settings"], b["settings"]) == [
        "sweep.parameters.model.temperature: removed", "sweep.parameters.model.adjustment_rate: added {low: 0.01, high: 0.1}",
        "sweep.design.sampler: latin -> sobol", "sweep.design.n: 1 -> 4", "sweep.design.second_order: <unset> -> false",
        "sweep.replicates: 2 -> 3"]
    assert identity.config_changes({"model": {"noise_scale": 0.03, "a": 1}}, {"model": {"noise_scale": 0.05, "a": 1}}) == [
        "model.noise_scale: 0.03 -> 0.05"]


# ----------------------------------------------------------------------------- two designs never share a folder
@pytest.mark.parametrize("change, words", [
    (["sweep.design.n=3"], "sweep.design.n: 4 -> 3"),  # another Latin hypercube
    (["~sweep.parameters.model.threat_urgency", "+sweep.parameters.model.adjustment_rate={low:0.01,high:0.1}"],
     "sweep.parameters.model.threat_urgency: removed; sweep.parameters.model.adjustment_rate: added {low: 0.01, high: 0.1}"),
    (["sweep.parameters.model.threat_urgency.high=6"], "sweep.parameters.model.threat_urgency: {low: 0.0, high: 8.0} -> "
                                                       "{low: 0.0, high: 6}"),
    (["sweep.summaries.indicators=[cohesion]"], "sweep.summaries.indicators"),
    (["sweep.seed=3"], "sweep.seed: 0 -> 3"),
])
def test_a_rerun_with_another_design_is_refused_and_the_dataset_left_byte_for_byte(capsys, tmp_path, change, words):
    assert main(argv(tmp_path)) is None
    root = tmp_path / "results" / "sweeps" / "small"
    before = snapshot(root)
    assert ".lock" not in before  # a finished folder keeps no lock file
    capsys.readouterr()
    line = one_line_error(capsys, argv(tmp_path, *change, "sweep.extend=true"))  # extend cannot make a mix sound
    assert "sweep.name='small'" in line and words in line and "choose another sweep.name" in line, line
    assert ("made with another configuration" in line) == (change[0] in ("sweep.summaries.indicators=[cohesion]", "sweep.seed=3"))
    assert snapshot(root) == before


@pytest.mark.parametrize("same", [
    ["sweep.scenarios=[no_war_2022,historical]"],  # the same runs listed in another order: numbered anew
    ["model.threat_urgency=2.5"],  # the configured value of a swept parameter: every run sets its own
    ["sweep.summaries.years=[2016,2015]"],  # null spelled out, in any order
])
def test_a_rerun_with_the_same_runs_is_not_refused(tmp_path, same):
    base = ["sweep.scenarios=[historical,no_war_2022]"]
    first = run_sweep(small(tmp_path, *base))
    again = run_sweep(small(tmp_path, *base, *same))
    assert again["ran"] == 0 and first["ran"] == 16
    designs = json.loads((first["root"] / "manifest.json").read_text())["designs"]
    assert len(designs) == (2 if "scenarios" in same[0] else 1)  # the new order is recorded; the rest changed no setting
    assert sorted(read_runs(first["root"]).point) == sorted(r.point for r in again["plan"].runs)


def test_morris_points_that_trajectories_share_are_run_once_and_verify_clean(capsys, tmp_path):
    morris = ["sweep.design.sampler=morris", "sweep.design.n=4", "sweep.design.levels=4"]
    out = run_sweep(small(tmp_path, *morris))
    plan = out["plan"]
    assert plan.repeated > 0 and len(plan.design) == 16  # 4 trajectories x (3 + 1) rows, some of them the same point
    assert out["ran"] == len(plan.runs) == 2 * (16 - plan.repeated) == len({r.run_id for r in plan.runs})
    capsys.readouterr()
    main(argv(tmp_path, *morris, "sweep.verify=true"))
    assert "no damage found" in capsys.readouterr().out
    assert run_sweep(small(tmp_path, *morris))["ran"] == 0


def test_each_design_gets_a_folder_of_its_own_by_name(tmp_path):
    run_sweep(small(tmp_path))
    other = run_sweep(small(tmp_path, "sweep.design.n=3", "sweep.name=small_n3"))
    assert other["ran"] == 6 and len(read_runs(other["root"])) == 6 and len(read_runs(tmp_path / "results/sweeps/small")) == 8


# ----------------------------------------------------------------------------- extending on purpose
GRID = ["sweep=phase", "sweep.summaries.years=null", "sweep.parameters.model.coercion_weight.values=[0.0,1.0]",
        "sweep.parameters.actors.powers.EU.investment_usd_bn_per_year.values=[1.0,2.0]"]
LIST = ["sweep.design.sampler=list", "~sweep.parameters.model.max_capacity_growth_share",
        "~sweep.parameters.model.logit_scale_usd", "~sweep.parameters.model.threat_urgency",
        "+sweep.parameters.model.threat_urgency={values:[0,4]}", "+sweep.parameters.model.logit_scale_usd={values:[500,900]}"]
EXTENSIONS = {
    "replicates": ([], ["sweep.replicates=3"], "sweep.replicates: 2 -> 3"),
    "grid values": (GRID, ["sweep.parameters.model.coercion_weight.values=[0.0,1.0,2.0]"],
                    "sweep.parameters.model.coercion_weight: {values: [0.0, 1.0]} -> {values: [0.0, 1.0, 2.0]}"),
    "list values": (LIST, ["+sweep.parameters.model.threat_urgency.values=[0,4,8]", "+sweep.parameters.model.logit_scale_usd.values=[500,900,1300]"],
                    "{values: [0, 4]} -> {values: [0, 4, 8]}"),
    "sobol sample": (["sweep.design.sampler=sobol", "sweep.design.n=2"], ["sweep.design.sampler=sobol", "sweep.design.n=4"],
                     "sweep.design.n: 2 -> 4"),
    "a scenario": ([], ["sweep.scenarios=[historical,no_war_2022]"], "sweep.scenarios: +no_war_2022"),
}


@pytest.mark.parametrize("name", list(EXTENSIONS))
def test_a_legitimate_extension_gives_the_dataset_of_a_sweep_run_whole(tmp_path, name):
    base, grown, words = EXTENSIONS[name]
    if name == "list values":  # Hydra cannot replace a list inside the added node: give the grown lists whole
        grown = [o for o in base if "values:" not in o] + ["+sweep.parameters.model.threat_urgency={values:[0,4,8]}",
                                                          "+sweep.parameters.model.logit_scale_usd={values:[500,900,1300]}"]
    else:
        grown = base + grown
    first = run_sweep(small(tmp_path / "a", *base))
    root = first["root"]
    with pytest.raises(ConfigError, match="rerun with sweep.extend=true to extend that dataset") as refused:
        run_sweep(small(tmp_path / "a", *grown))  # growing is a choice, not an accident
    assert words in str(refused.value)
    extended = run_sweep(small(tmp_path / "a", *grown, "sweep.extend=true"))
    whole = run_sweep(small(tmp_path / "b", *grown))
    assert first["ran"] + extended["ran"] == whole["ran"] > first["ran"]
    assert_same_content(root, whole["root"])
    designs = json.loads((root / "manifest.json").read_text())["designs"]
    assert [d["runs"] for d in designs] == [first["ran"], whole["ran"]]  # every design the folder held, in order
    assert run_sweep(small(tmp_path / "a", *base))["ran"] == 0  # the first design is a part of the folder's: read, not refused
    assert len(json.loads((root / "manifest.json").read_text())["designs"]) == 2


def test_a_figure_reads_the_runs_its_config_stands_for_in_a_folder_extended_beyond_it(tmp_path):
    """A grid extended by one value numbers its points anew: the folder's reader gives the folder's numbers, a figure
    reads exactly its own config's runs with its config's numbers."""
    from alignment.experiment.data import ExperimentData, SweepInput
    from alignment.sweeps.cli import prepare_sweep

    base = small(tmp_path, *GRID)
    root = run_sweep(base)["root"]
    run_sweep(small(tmp_path, *GRID, "sweep.parameters.model.coercion_weight.values=[0.0,1.0,2.0]", "sweep.extend=true"))
    folder = read_runs(root)
    assert len(folder) == 12 and sorted(set(folder.point)) == list(range(6))
    plan = prepare_sweep(base)
    data = ExperimentData({"phase": SweepInput("phase", base, plan, root, ["alignment_weight"])})
    runs = data.runs("phase")
    mine = sorted((r.point, r.replicate, r.run_id) for r in plan.runs)
    assert list(zip(runs.point, runs.replicate, runs.run_id)) == mine  # EU 2.0 x coercion 0.0: point 2 here, 3 in the folder
    assert folder.set_index("run_id").loc[mine[4][2], "point"] == 3
    assert set(data.summaries("phase", "alignment_weight").run_id) == {r.run_id for r in plan.runs}
    run_sweep(small(tmp_path, *GRID, "sweep.parameters.model.coercion_weight.values=[0.0,1.0,2.0]", "sweep.replicates=3",
                    "sweep.extend=true"))
    assert len(read_runs(root)) == 18 and len(data.runs("phase")) == 8  # the folder's third replicates are not the figure's


# ----------------------------------------------------------------------------- damage is found and computed again
def _summaries_shard(root: Path) -> Path:
    return sorted((root / "summaries").glob("part-*.parquet"))[1]


def truncate(p: Path):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def alter(p: Path):
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, in the middle: the file still reads as Parquet, its numbers are wrong
    p.write_bytes(bytes(data))


DAMAGE = {"truncated": (truncate, "bytes where"), "deleted": (Path.unlink, "missing"),
          "altered": (alter, "altered (its SHA-256 is not the one written)")}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_summaries_shard_is_found_named_and_computed_again(capsys, tmp_path, kind):
    root = run_sweep(small(tmp_path))["root"]
    whole = snapshot(root)
    victim = _summaries_shard(root)
    lost = len(pd.read_parquet(next((root / "runs").glob(victim.name.replace(".parquet", "-*.parquet")))))
    damage, words = DAMAGE[kind]
    damage(victim)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:  # the check finds it and writes nothing
        main(argv(tmp_path, "sweep.verify=true"))
    out = capsys.readouterr()
    assert exit_.value.code == 1 and f"summaries/{victim.name} is damaged: " in out.out and words in out.out, out
    again = run_sweep(small(tmp_path))
    printed = capsys.readouterr().out
    assert again["ran"] == lost and f"summaries/{victim.name} is damaged: " in printed and f"its {lost} runs are computed again" in printed
    assert snapshot(root) == whole  # the same dataset, byte for byte
    main(argv(tmp_path, "sweep.verify=true"))
    assert "no damage found" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["truncated", "bit flipped", "footer overwritten", "rows of another batch"])
def test_a_damaged_runs_shard_makes_its_batch_unfinished(capsys, tmp_path, kind):
    root = run_sweep(small(tmp_path))["root"]
    whole = snapshot(root)
    victim = sorted((root / "runs").glob("part-*.parquet"))[0]
    if kind == "truncated":
        truncate(victim)
    elif kind == "bit flipped":
        alter(victim)  # its name's SHA-256 finds it
    elif kind == "footer overwritten":
        data = bytearray(victim.read_bytes())
        data[-60:-20] = b"\xff" * 40  # pyarrow raises OSError ("Couldn't deserialize thrift") for this, not an ArrowException
        victim.write_bytes(bytes(data))
    else:
        shutil.copy(sorted((root / "runs").glob("part-*.parquet"))[1], victim)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(argv(tmp_path, "sweep.verify=true"))
    assert f"runs/{victim.name} is damaged" in capsys.readouterr().out
    assert run_sweep(small(tmp_path))["ran"] == 3
    assert snapshot(root) == whole


def test_verify_of_a_sound_and_of_an_unfinished_dataset(capsys, tmp_path):
    root = run_sweep(small(tmp_path))["root"]
    for p in sorted((root / "runs").glob("part-*"))[0], sorted((root / "summaries").glob("part-*"))[0]:
        p.unlink()  # a batch not done yet: not damage (each of its two files alone would be)
    before = snapshot(root)
    capsys.readouterr()
    assert main(argv(tmp_path, "sweep.verify=true")) is None
    out = capsys.readouterr().out
    assert "5 of 8 runs finished in 2 sound batches" in out and "SHA-256" in out and "no damage found" not in out.split("\n")[0]
    assert snapshot(root) == before  # verify writes nothing


# ----------------------------------------------------------------------------- bad input: one line, nothing run
def test_verify_waits_for_no_writer(capsys, tmp_path):
    root = run_sweep(small(tmp_path))["root"]
    with SweepStore(root, "small"):
        line = one_line_error(capsys, argv(tmp_path, "sweep.verify=true"))
    assert "sweep.verify=True: an alignment-sweep is writing" in line and "verify it once that has finished" in line
    assert not (root / ".lock").exists()



def test_verify_of_a_folder_that_does_not_exist(capsys, tmp_path):
    line = one_line_error(capsys, argv(tmp_path, "sweep.verify=true", "sweep.name=nowhere"))
    assert "sweep.name='nowhere'" in line and "no sweep folder at" in line


@pytest.mark.parametrize("manifest, words", [("{not json", "manifest.json: not JSON"),
                                             ('{"schema": "2.0", "name": "small"}', "lacks its 'designs' key"),
                                             ('{"schema": "1.0", "compat": {}}', "written with sweep schema '1.0'"),
                                             ('{"schema": "2.0", "designs": [{"settings": {}, "points": 1, "runs": 1, '
                                              '"points_sha256": "x"}]}', "designs[0].settings lacks its 'sweep.scenarios' key"),
                                             ('{"schema": "2.0", "designs": [{"settings": [], "points": 1, "runs": 1, '
                                              '"points_sha256": "x"}]}', "designs[0].settings is not a dict")])
def test_a_manifest_that_cannot_be_trusted_stops_the_sweep_before_it_runs(capsys, tmp_path, manifest, words):
    root = run_sweep(small(tmp_path))["root"]
    (root / "manifest.json").write_text(manifest)
    before = snapshot(root)
    capsys.readouterr()
    for extra in ([], ["sweep.verify=true"]):
        line = one_line_error(capsys, argv(tmp_path, *extra))
        assert str(root / "manifest.json") in line and words in line, line
    assert snapshot(root) == before


def test_a_runs_shard_with_another_seed_belongs_to_no_run(capsys, tmp_path):
    grid = ["sweep.design.sampler=grid", "sweep.design.levels=2", "~sweep.parameters.model.max_capacity_growth_share",
            "~sweep.parameters.model.logit_scale_usd"]
    root = run_sweep(small(tmp_path, *grid))["root"]
    other = run_sweep(small(tmp_path / "other", *grid, "sweep.seed=5"))["root"]
    p = sorted((other / "runs").glob("part-*.parquet"))[0]  # the same runs by id, with replicate seeds of sweep.seed=5
    shutil.copy(p, root / "runs" / p.name)
    line = one_line_error(capsys, argv(tmp_path, *grid))
    assert f"runs/{p.name}: a shard that belongs to no run of this dataset" in line and "'s of sweep.seed=0" in line and "has seed" in line, line


def test_a_shard_that_belongs_to_no_run_is_named(capsys, tmp_path):
    root = run_sweep(small(tmp_path))["root"]
    stranger = run_sweep(small(tmp_path / "other", "sweep.seed=5"))["root"]
    for sub in ("runs", "summaries"):
        p = sorted((stranger / sub).glob("part-*.parquet"))[0]
        shutil.copy(p, root / sub / p.name)
        before = snapshot(root)
        capsys.readouterr()
        line = one_line_error(capsys, argv(tmp_path))
        assert f"{sub}/{p.name}: a shard that belongs to no run of this dataset" in line, line
        assert snapshot(root) == before
        (root / sub / p.name).unlink()


# ----------------------------------------------------------------------------- storage faults
def test_a_write_that_fails_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageError, match="f.bin: no space left on the device; free some space"):
        durable_write(b"new", target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def _fault_on_second_batch(monkeypatch, fault):
    original, calls = SweepStore.write, []

    def write(self, result):
        calls.append(result.shard)
        if len(calls) == 2:
            fault(self.root)
        original(self, result)

    monkeypatch.setattr(SweepStore, "write", write)


def _immutable(path: Path, on: bool):
    """A permission change that binds root too: chattr +i (root), else the folder's write bits."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)
    else:
        path.chmod(0o555 if on else 0o755)


@pytest.mark.parametrize("fault", ["folder removed", "permission changed"])
def test_a_storage_fault_mid_sweep_is_one_line_and_loses_nothing(capsys, tmp_path, monkeypatch, fault):
    main(argv(tmp_path / "whole"))
    whole = dataset(tmp_path / "whole" / "results" / "sweeps" / "small")
    root = tmp_path / "results" / "sweeps" / "small"
    if fault == "folder removed":
        _fault_on_second_batch(monkeypatch, lambda r: shutil.rmtree(r))
        words = "no such file or folder; was the folder removed while the sweep ran?"
    else:
        if os.geteuid() == 0 and shutil.which("chattr") is None:
            pytest.skip("root needs chattr to make a folder unwritable for itself")
        _fault_on_second_batch(monkeypatch, lambda r: _immutable(r / "summaries", True))
        words = "make it writable for this user"
    capsys.readouterr()
    try:
        line = one_line_error(capsys, argv(tmp_path), code=1)
    finally:
        if fault != "folder removed":
            _immutable(root / "summaries", False)
    assert f"{root}/summaries/part-" in line and words in line, line
    if root.exists():
        assert not [p for p in root.rglob("*") if p.name.endswith(".partial") or p.name == ".lock"]
    monkeypatch.undo()
    main(argv(tmp_path))
    assert dataset(root) == whole


def _mount_tmpfs(path: Path, size_kb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="mounting a small tmpfs (a disk that fills up) "
                                                                         "needs root on Linux; CI runs as root")
def test_a_full_disk_is_one_line_then_with_space_the_identical_dataset(tmp_path):
    r = subprocess.run([EXE, *SMALL, f"results_dir={tmp_path / 'whole'}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    whole_root = tmp_path / "whole" / "sweeps" / "small"
    whole = dataset(whole_root)
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, 1024):
        pytest.skip("this machine refuses to mount a tmpfs (a container without CAP_SYS_ADMIN)")
    try:
        need = sum(len(v) for k, v in snapshot(whole_root).items() if "part-" in k) // 2 + len((whole_root / "manifest.json").read_bytes())
        (disk / "filler").write_bytes(b"\0" * (1024 * 1024 - need - 8192))  # room for the manifest and about half the shards
        cmd = [EXE, *SMALL, f"results_dir={disk / 'results'}"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        err = r.stderr.strip().splitlines()
        assert r.returncode == 1 and len(err) == 1, r.stderr[-2000:]
        assert "no space left on the device; free some space (or choose another results_dir), then rerun the same command: " \
               "finished batches are kept" in err[0] and str(disk / "results" / "sweeps" / "small") in err[0], err
        root = disk / "results" / "sweeps" / "small"
        left = snapshot(root)
        assert not [k for k in left if k.endswith(".partial") or k == ".lock"] and 0 < len(files(root)) < len(files(whole_root))
        (disk / "filler").unlink()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        assert dataset(root) == whole
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="remounting a tmpfs read-only needs root on Linux; "
                                                                         "CI runs as root")
def test_a_read_only_sweep_folder_is_one_line_then_writable_the_identical_dataset(tmp_path):
    r = subprocess.run([EXE, *SMALL, f"results_dir={tmp_path / 'whole'}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    whole = dataset(tmp_path / "whole" / "sweeps" / "small")
    root = tmp_path / "results" / "sweeps" / "small"
    if not _mount_tmpfs(root, 4096):
        pytest.skip("this machine refuses to mount a tmpfs (a container without CAP_SYS_ADMIN)")
    cmd = [EXE, *SMALL, f"results_dir={tmp_path / 'results'}"]
    try:
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        err = r.stderr.strip().splitlines()
        assert r.returncode == 1 and len(err) == 1 and str(root) in err[0], r.stderr[-2000:]
        assert "the file system is read-only; make it writable for this user (or choose another results_dir)" in err[0], err
        subprocess.run(["mount", "-o", "remount,rw", str(root)], check=True)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        assert dataset(root) == whole
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def test_a_batch_is_written_durably_under_its_writers_own_temporary_name(tmp_path, monkeypatch):
    """What a SLURM task does on a shared file system: each file under a temporary name of this host and process,
    fsynced before it is renamed; the summaries shard is in place before the runs shard that marks the batch done."""
    from alignment.sweeps import store
    from alignment.sweeps.cli import prepare_sweep
    from alignment.sweeps.runner import make_task, run_and_write

    plan = prepare_sweep(small(tmp_path))
    task = make_task(plan, *plan.batches({r.run_id for r in plan.runs})[0])
    events, real_replace, real_fsync = [], os.replace, os.fsync
    monkeypatch.setattr(store.os, "replace", lambda a, b: (events.append(("rename", Path(a).name, Path(b).parent.name)),
                                                           real_replace(a, b))[1])
    monkeypatch.setattr(store.os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))), real_fsync(fd))[1])
    root = tmp_path / "sweep"
    for d in ("runs", "summaries"):
        (root / d).mkdir(parents=True)
    out = run_and_write(task, str(root))
    assert (out.runs, out.failed, out.error) == (3, 0, None)
    renames = [e for e in events if e[0] == "rename"]
    assert [e[2] for e in renames] == ["summaries", "runs"]
    tag = store.writer_tag()
    assert all(e[1].startswith(".part-") and e[1].endswith(f".{tag}.partial") for e in renames), renames
    for n, e in enumerate(events):  # each file's data reach the disk before it is renamed, and its folder after
        if e[0] == "rename":
            assert events[n - 1][0] == "fsync" and events[n - 1][1].endswith(e[1]), events
            assert events[n + 1] == ("fsync", str(root / e[2]))
    assert not any(p.name.endswith(".partial") for p in root.rglob("*"))


# ----------------------------------------------------------------------------- SIGKILL at any moment
KILLER = textwrap.dedent("""
    import os, signal, sys
    from alignment.sweeps import store
    n, when = int(sys.argv[1]), sys.argv[2]
    calls = []
    real_replace, real_fsync = os.replace, os.fsync
    def replace(a, b):
        calls.append(b)
        if len(calls) == n and when == "before rename":
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(a, b)
        if len(calls) == n and when == "after rename":
            os.kill(os.getpid(), signal.SIGKILL)
    def fsync(fd):
        if len(calls) == n - 1 and when == "before fsync" and not os.path.isdir(f"/proc/self/fd/{fd}"):
            os.kill(os.getpid(), signal.SIGKILL)
        real_fsync(fd)
    store.os.replace, store.os.fsync = replace, fsync
    from alignment.sweeps.cli import main
    main(sys.argv[3:])
""")


@pytest.mark.slow
@pytest.mark.parametrize("n, when", [(1, "before fsync"), (1, "after rename"), (2, "before rename"), (3, "after rename"),
                                     (4, "before rename"), (4, "after rename"), (5, "before fsync"), (8, "after rename")])
def test_sigkill_at_any_moment_then_a_rerun_gives_the_uninterrupted_dataset(tmp_path, n, when):
    """Writes, in order: manifest, design, then per batch summaries and runs (3 batches). The n-th rename is killed
    before its data reach the disk, between the data and the rename, or right after it."""
    args = [*SMALL, f"results_dir={tmp_path / 'results'}"]
    r = subprocess.run([EXE, *SMALL, f"results_dir={tmp_path / 'whole'}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    whole = snapshot(tmp_path / "whole" / "sweeps" / "small")
    r = subprocess.run([sys.executable, "-c", KILLER, str(n), when, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr[-2000:])
    r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    root = tmp_path / "results" / "sweeps" / "small"
    now = snapshot(root)
    assert {k: v for k, v in now.items() if k != "manifest.json"} == {k: v for k, v in whole.items() if k != "manifest.json"}
    assert json.loads(now["manifest.json"])["designs"][0]["points_sha256"] == json.loads(whole["manifest.json"])["designs"][0]["points_sha256"]


@pytest.mark.slow
def test_sigkill_of_a_running_sweep_and_its_workers(tmp_path):
    """The real command with two worker processes, killed (SIGKILL, the whole process group) once its first batch is on disk."""
    args = [*[a for a in SMALL if not a.startswith(("executor.", "horizon.end", "sweep.replicates", "sweep.batch_size"))],
            "horizon.end=2019-12", "sweep.batch_size=2", "sweep.replicates=4", "executor.workers=2"]  # 8 batches of 5 years
    r = subprocess.run([EXE, *args, f"results_dir={tmp_path / 'whole'}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    whole = files(tmp_path / "whole" / "sweeps" / "small")
    root = tmp_path / "results" / "sweeps" / "small"
    proc = subprocess.Popen([EXE, *args, f"results_dir={tmp_path / 'results'}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list((root / "runs").glob("part-*.parquet")) and proc.poll() is None:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(files(root)) < len(whole)  # killed midway
    r = subprocess.run([EXE, *args, f"results_dir={tmp_path / 'results'}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert files(root) == whole and not (root / ".lock").exists()
