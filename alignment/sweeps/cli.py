"""alignment-sweep: a sweep of the model (configs/sweep/NAME.yaml) into one Parquet dataset.

The plan (every run, its seed and parameters) is built and checked before anything runs;
batches go to the executor and their results are written as they finish; a rerun of the
same command computes only what is missing (alignment/sweeps/store.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from alignment.checks import check_writable_dir
from alignment.cli import CONFIG_DIR, _explain, compose_config, console_entry
from alignment.errors import ConfigError, DatasetError, StorageError
from alignment.sweeps import design as design_m
from alignment.sweeps import identity
from alignment.sweeps.executors import check_executor, default_workers, executor
from alignment.sweeps.plan import RUN_ROOTS, Plan, make_plan
from alignment.sweeps.runner import make_task, run_and_write, run_task
from alignment.sweeps.store import (SWEEP_SCHEMA_VERSION, ShardCheck, SweepStore, check_against, check_as_recorded, read_design,
                                   read_manifest, sweep_dir)
from alignment.sweeps.summaries import UNITS, rows_per_run

PROG = "alignment-sweep"


def _compose_scenario(name: str):
    """The ``scenario`` node of a scenario option, composed as alignment-run composes it."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():  # inside the Hydra app: its search path, its own config dirs
        return compose("scenario_only", overrides=[f"scenario={name}"]).scenario
    return compose_config([f"scenario={name}"], config_name="scenario_only").scenario


def scenario_configs(cfg) -> dict:
    names = list(cfg.sweep.scenarios)
    if not names:
        raise ConfigError("sweep.scenarios", names, "name at least one scenario, e.g. [historical]")
    known = sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))
    out = {}
    for n, name in enumerate(names):
        if name in out:
            raise ConfigError(f"sweep.scenarios[{n}]", name, "listed twice")
        if name == cfg.scenario.name:
            out[name] = cfg.scenario
            continue
        try:
            out[name] = _compose_scenario(name)
        except Exception as exc:  # noqa: BLE001 - Hydra's MissingConfigException and friends
            why = _explain(exc, f"scenario={name}")
            if why.key == "scenario" and why.value == name and "layered over" in why.allowed:
                raise ConfigError(f"sweep.scenarios[{n}]", name, why.allowed) from None
            raise ConfigError(f"sweep.scenarios[{n}]", name, "unknown scenario; known: " + ", ".join(known)) from None
    return out


def base_overrides(overrides=None) -> list[str]:
    """The command line's overrides of the run config, which every run's reproduction needs
    (from ``overrides``, or else from Hydra's record of the command line)."""
    from alignment.cli import command_line_overrides

    out = []
    for text in command_line_overrides(overrides):
        key = text.lstrip("+~").split("=", 1)[0]
        if key.split(".", 1)[0] in RUN_ROOTS or key in ("world", "actors", "corridors", "model"):
            out.append(text)
    return out


def check_results_dir(results_dir: str) -> None:
    """The folder must be a directory this process can write (or creatable under one)."""
    check_writable_dir("results_dir", results_dir)


def check_sweep(cfg: DictConfig) -> None:
    """The checks that need no plan: seed, executor (a Ray address must answer), results folder."""
    from alignment.schema import RunConfig

    if cfg.seed != RunConfig.seed:  # a seed given on the command line: it would seed nothing
        raise ConfigError("seed", cfg.seed, "a sweep seeds each run from sweep.seed and its replicate; set sweep.seed instead")
    check_executor(cfg.executor)
    check_results_dir(cfg.results_dir)


def prepare_sweep(cfg: DictConfig, overrides=None) -> Plan:
    """Check everything a sweep needs and return its plan; nothing is written."""
    check_sweep(cfg)
    return _plan(cfg, overrides)


def _plan(cfg: DictConfig, overrides) -> Plan:
    return make_plan(cfg, scenario_configs(cfg), base_overrides(overrides))


def run_config(cfg, swept=()) -> dict:
    """The part of the config every run of a sweep shares (horizon, world, actors, corridors, model), without the
    swept keys: each run sets those itself, so their configured values change no run."""
    out = {k: OmegaConf.to_container(cfg[k], resolve=True) for k in RUN_ROOTS}
    out["world"] = world_content(out["world"])
    return without(out, swept)


def world_content(world: dict) -> dict:
    """A world config node with its data file's content in place of its path: the world is its data, wherever the
    file lies (what a sweep's identity and manifest record)."""
    from alignment.world.source import world_data

    out = {k: v for k, v in world.items() if k != "data"}
    out.update(world_data({"data": world.get("data")}))
    return out


def without(config: dict, keys) -> dict:
    """A copy of a config container with the dotted ``keys`` left out."""
    import copy

    out = copy.deepcopy(config)
    for key in keys:
        *path, leaf = key.split(".")
        node = out
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return out


def design_settings(cfg, plan: Plan, shared: dict) -> dict:
    """The settings that make the sweep's design and what its runs share (``shared``: :func:`run_config` without the
    swept keys); alignment/sweeps/identity.py."""
    timelines = {g.scenario: [repr(e) for e in g.prepared.events] + [g.scenario_overrides] for g in plan.groups.values()}
    p = next(iter(plan.groups.values())).prepared
    years = sorted(set(plan.years)) if plan.years is not None else list(range(p.start // 12, p.end // 12 + 1))
    return identity.settings(cfg.sweep, design_m.flatten(OmegaConf.to_container(cfg.sweep.parameters)), timelines, shared, years)


@dataclass
class Meeting:
    """A sweep configuration met with its folder: the decision, and the design the folder holds after the command."""

    decision: identity.Decision
    manifest: dict | None  # the folder's, as found (None: no dataset yet)
    record: dict  # the configuration's design record
    design: object  # the configuration's design table (pandas)
    folder_design: object  # the folder's design table once the command is through
    folder_record: dict  # and its record
    rewrite_design: bool  # design.parquet is missing or not the manifest's last design: written anew


def meet(cfg, plan: Plan, root: Path, extend: bool = False, hint: str = "rerun with sweep.extend=true to extend that dataset") -> Meeting:
    """Compare the configuration's design with the folder's last one (reads, never writes); a one-line ConfigError
    if its runs would be mixed with the folder's, or if it extends the folder's design without ``extend``."""
    manifest = read_manifest(root)
    table = design_table(plan)
    ids = table["point_id"].tolist()
    shared = run_config(cfg, plan.keys)
    record = identity.design_record(design_settings(cfg, plan, shared), ids, int(cfg.sweep.replicates))
    if manifest is None:
        return Meeting(identity.Decision("new", added=record["runs"]), None, record, table, table, record, False)
    last = manifest["designs"][-1]
    old_design, why = read_design(root, last)
    old_config = without({k: manifest["config"][k] for k in RUN_ROOTS if k in manifest.get("config", {})}, plan.keys) or None
    decision = identity.decide(last, None if old_design is None else old_design["point_id"].tolist(), record, ids,
                               old_config, shared)
    if decision.kind == "unknown":
        raise DatasetError(root / "design.parquet", why, "rerun the command that recorded the folder's last design, or "
                                                         "choose another sweep.name")
    if decision.kind == "refused" or (decision.kind == "extends" and not extend):
        raise identity.refusal(decision, root, plan.name, hint)
    if decision.kind == "within":
        return Meeting(decision, manifest, record, table, old_design, last, False)
    return Meeting(decision, manifest, record, table, table, record, old_design is None)


def check_folder(meeting: Meeting, root: Path) -> ShardCheck:
    """Check every shard against the design the folder holds; a shard of another dataset is a one-line error."""
    check = check_against(root, meeting.folder_record, meeting.folder_design)
    if check.foreign:
        path, why = check.foreign[0]
        raise DatasetError(path, f"a shard that belongs to no run of this dataset ({why})",
                           "move it out of the folder (it may belong to another sweep), then rerun")
    return check


def _git() -> dict:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                                    text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": dirty if commit else None}


def _recorded_config(cfg) -> dict:
    """The resolved config a manifest records, the world's data included (as before it was read by path)."""
    out = OmegaConf.to_container(cfg, resolve=True)
    out["world"] = world_content(out["world"])
    return out


def manifest(cfg, plan: Plan, meeting: Meeting) -> dict:
    """The folder's manifest once the configuration's design is recorded: every design it has held, in order (each
    with the package version and git commit that recorded it), and this writer's resolved config and SALib problem."""
    from alignment.runs import _versions

    versions, git = _versions(), _git()
    record = {**meeting.record, "by": {"alignment": versions.get("alignment"), **git}}
    designs = (meeting.manifest or {}).get("designs", []) + [record]
    return {
        "schema": SWEEP_SCHEMA_VERSION, "name": plan.name, "description": cfg.sweep.description,
        "designs": designs, "config": _recorded_config(cfg), "problem": plan.problem,
        "summaries": {"indicators": plan.indicators, "years": plan.years, "units": {k: UNITS[k] for k in plan.indicators}},
        "base_overrides": plan.base_overrides, "versions": versions, "git": git,
    }


def design_table(plan: Plan):
    import pandas as pd

    seen = {}
    for r in plan.runs:
        seen.setdefault(r.point_id, (r.scenario, r.point, r.point_id, *[v for _, v in r.values]))
    return pd.DataFrame(list(seen.values()), columns=["scenario", "point", "point_id", *plan.keys])


def dry_run_report(cfg, plan: Plan, todo_ids: set) -> str:
    """Runs, batches, estimated time (from probes of a whole batch on this machine) and disk.

    The engine steps a batch's runs together, so a run-month costs less in a big batch than in a small one: the
    probes run the first batch at its full size, for two short horizons, and the estimate is each batch's fixed
    cost plus its months at the probed cost per month, batch by batch, shared among the workers."""
    from alignment.sweeps.runner import Task
    from alignment.sweeps.store import parquet_bytes

    workers = cfg.executor.workers or default_workers()
    todo = len(todo_ids)
    gkey, runs = plan.batches({r.run_id for r in plan.runs})[0]
    group = plan.groups[gkey]
    p = group.prepared
    months = p.end - p.start + 1
    task = make_task(plan, gkey, runs)

    def probe(n_months: int, n_runs: int = len(runs)):
        short = type(p)(p.world, p.params, [e for e in p.events if e.date < p.start + n_months], p.start,
                        p.start + n_months - 1, p.seed)
        years = sorted({(p.start + m) // 12 for m in range(n_months)})
        t = time.perf_counter()
        result = run_task(Task(task.shard, short, task.params[:n_runs], task.runs[:n_runs], task.keys, task.indicators, years))
        return time.perf_counter() - t, result

    probe(1, min(2, len(runs)))  # warm-up: first calls into NumPy and the engine cost more than later ones
    long_m = min(48, months)  # the first year is cheaper than the rest (measured): the slope is taken beyond it
    short_m = max(1, long_m // 4)
    t_short, _ = probe(short_m)
    t_long, result = probe(long_m)
    per_month = max((t_long - t_short) / max(long_m - short_m, 1), 1e-9)  # one month of a whole batch
    fixed = max(t_short - short_m * per_month, 0.0)  # set-up and summaries of a batch
    batches = plan.batches(todo_ids)
    seconds = sum(fixed + months * per_month * len(b) / len(runs) for _, b in batches) / workers
    per_row = len(parquet_bytes(result.summaries)) / max(result.summaries.num_rows, 1)
    n_years = (p.end // 12 - p.start // 12 + 1) if plan.years is None else len(plan.years)
    rows = rows_per_run(p.world, plan.indicators, n_years) * todo
    scen = len(cfg.sweep.scenarios)
    repeats = f" ({plan.repeated} repeated design points run once)" if plan.repeated else ""
    return (f"{PROG}: sweep '{plan.name}' (dry run, nothing written): {len(plan.runs)} runs = {scen} scenario(s) x "
            f"{len(plan.design)} points x {cfg.sweep.replicates} replicates{repeats}; {len(plan.runs) - todo} done, {todo} to run "
            f"in {len(batches)} batches of up to {plan.batch_size}\n"
            f"estimated time: {seconds:,.0f} s on {workers} {cfg.executor.name} worker(s) (probes of a {len(runs)}-run batch "
            f"for {short_m} and {long_m} months: {len(runs) / per_month:,.0f} run-months/s per worker, {fixed:.2f} s a batch to set up)\n"
            f"estimated disk: {rows * per_row / 1e6:,.1f} MB ({rows:,} summary rows) in {sweep_dir(cfg.results_dir, plan.name)}")


def run_sweep(cfg: DictConfig, overrides=None, plan: Plan | None = None) -> dict:
    """Plan (unless given a plan made from ``cfg``), then run what is missing and write it; returns counts and
    the sweep's folder. ``sweep.verify=true`` checks the folder instead and runs nothing.

    Workers (local processes, a Ray cluster, a SLURM array) are only started once the plan holds, the folder
    can take it and something is left to run: a finished sweep's rerun starts none."""
    if cfg.sweep.verify:
        return verify(cfg)
    check_sweep(cfg)
    if cfg.sweep.dry_run:
        return _dry_run(cfg, plan or _plan(cfg, overrides))
    root = sweep_dir(cfg.results_dir, cfg.sweep.name)
    folder = Path(cfg.executor.folder) if cfg.executor.folder else root / "slurm"
    plan = plan or _plan(cfg, overrides)
    if cfg.executor.name != "local":
        meet(cfg, plan, root, bool(cfg.sweep.extend))  # a design the folder cannot take stops before a cluster is reached
    return _run(cfg, plan, lambda: executor(cfg.executor, folder))


def status(cfg, plan: Plan, extend: bool | None = None) -> tuple[Meeting, ShardCheck, set]:
    """The folder met and checked, read only: (meeting, shard check, ids of the plan's runs still to compute)."""
    root = sweep_dir(cfg.results_dir, plan.name)
    meeting = meet(cfg, plan, root, bool(cfg.sweep.extend) if extend is None else extend)
    check = check_folder(meeting, root)
    return meeting, check, {r.run_id for r in plan.runs} - check.finished


def _dry_run(cfg, plan: Plan) -> dict:
    meeting, check, todo = status(cfg, plan, extend=True)  # read, never written: the folder stays as it was
    print(dry_run_report(cfg, plan, todo))
    d = meeting.decision
    if d.kind == "extends":
        print(f"{PROG}: extends the folder's design ({'; '.join(d.changes)}): keeps its {d.kept:,} runs, adds {d.added:,}"
              + ("" if cfg.sweep.extend else "; run with sweep.extend=true to add them"))
    elif d.kind == "within":
        print(f"{PROG}: a part of the folder's design ({'; '.join(d.changes)}), which has {meeting.folder_record['runs']:,} runs")
    for damage in check.damaged:
        print(f"{PROG}: {_damage_line(damage, verb='to be computed again')}")
    return {"plan": plan, "root": sweep_dir(cfg.results_dir, plan.name), "ran": 0, "failed": 0}


def _damage_line(damage, verb: str = "computed again") -> str:
    path = damage.path
    where = f"{path.parent.name}/{path.name}" if path.parent.name in ("runs", "summaries") else path.name
    runs = f"its {damage.runs:,} runs are {verb}" if damage.runs else f"its runs are {verb}"
    return f"{where} is damaged: {damage.why}; {runs}"


def _run(cfg, plan: Plan, open_executor) -> dict:
    """Run what the folder lacks; ``open_executor()`` gives the executor (a context manager), entered only when
    there is something to run."""
    from contextlib import ExitStack
    from functools import partial

    from tqdm.auto import tqdm

    root = sweep_dir(cfg.results_dir, plan.name)
    with SweepStore(root, plan.name) as store:
        meeting = meet(cfg, plan, root, bool(cfg.sweep.extend))
        check = check_folder(meeting, root)
        for damage in check.damaged:
            print(f"{PROG}: {_damage_line(damage)}", flush=True)
        store.repair(check)
        if meeting.decision.records or meeting.rewrite_design:
            with_record = meeting.decision.records
            store.write_manifest(manifest(cfg, plan, meeting) if with_record else meeting.manifest, meeting.design)
        d = meeting.decision
        if d.kind == "extends":
            print(f"{PROG}: extending {root} ({'; '.join(d.changes)}): {d.kept:,} runs kept, {d.added:,} added; design "
                  f"#{len((meeting.manifest or {}).get('designs', [])) + 1} recorded in manifest.json", flush=True)
        todo = {r.run_id for r in plan.runs} - check.finished
        if todo and check.finished:
            note = _other_code(meeting)
            if note:
                print(f"{PROG}: note: {note}; the {len(todo):,} runs computed now come from this code (another "
                      "sweep.name keeps them apart)", flush=True)
        batches = plan.batches(todo)
        where = (f"{cfg.executor.workers or default_workers()} {cfg.executor.name} worker(s)" if cfg.executor.name != "slurm"
                 else f"a SLURM array ({cfg.executor.cluster})")
        print(f"{PROG}: sweep '{plan.name}': {len(plan.runs)} runs, {len(plan.runs) - len(todo)} done, {len(todo)} to run "
              f"in {len(batches)} batches on {where} -> {root}", flush=True)
        failed = ran = 0
        tasks = (make_task(plan, g, runs) for g, runs in batches)
        in_task = cfg.executor.name == "slurm"  # each task writes its own shards on the shared file system
        fn = partial(run_and_write, root=str(root.resolve())) if in_task else run_task
        t0 = time.perf_counter()
        with ExitStack() as stack:
            run = stack.enter_context(open_executor()) if batches else (lambda fn, tasks: iter(()))
            bar = stack.enter_context(tqdm(total=len(todo), unit="run", desc=plan.name, disable=not cfg.progress or not batches,
                                           file=sys.stderr))
            for out in run(fn, tasks):
                if in_task:
                    if out.error:
                        raise StorageError(*out.error)
                    n, bad = out.runs, out.failed
                else:
                    store.write(out)
                    n, bad = out.runs.num_rows, out.runs.column("status").to_pylist().count("failed")
                ran, failed = ran + n, failed + bad
                bar.update(n)
                if bad:
                    bar.set_postfix(failed=failed)
        elapsed = time.perf_counter() - t0
    rate = f" in {elapsed:.1f} s ({ran / elapsed:,.1f} runs/s)" if ran and elapsed > 0 else ""
    print(f"{PROG}: {ran} runs computed{rate}, {failed} failed; dataset: {root}")
    return {"plan": plan, "root": root, "ran": ran, "failed": failed}


def _other_code(meeting: Meeting) -> str | None:
    """Which code recorded the folder's last design, if not this one (package version or git commit differ)."""
    from alignment.runs import _versions

    by = ((meeting.manifest or {}).get("designs") or [{}])[-1].get("by") or {}
    now = {"alignment": _versions().get("alignment"), **_git()}
    if not by or (by.get("alignment"), by.get("commit")) == (now["alignment"], now["commit"]):
        return None
    return (f"the folder's design was recorded by alignment {by.get('alignment')} at commit {str(by.get('commit'))[:10]}, "
            f"this is {now['alignment']} at {str(now['commit'])[:10]}")


def verify(cfg) -> dict:
    """``sweep.verify=true``: check the folder of ``sweep.name`` (its manifest, its design and every shard's size
    and SHA-256) against itself, write nothing, and exit with status 1 if anything is damaged."""
    import fcntl

    root = sweep_dir(cfg.results_dir, cfg.sweep.name)
    if not root.is_dir():
        raise ConfigError("sweep.name", cfg.sweep.name, f"no sweep folder at {root} to verify (sweeps there: "
                          + (", ".join(sorted(p.name for p in root.parent.iterdir() if p.is_dir())) or "none") + ")"
                          if root.parent.is_dir() else f"no sweep folder at {root} to verify")
    try:
        lock = open(root / ".lock")  # held (shared) while checking: no writer starts meanwhile
    except FileNotFoundError:
        lock = None  # no writer (a writer holds the file); a read-only archive has none either
    try:
        if lock is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConfigError("sweep.verify", True, f"an alignment-sweep is writing {root} now; verify it once that "
                                                        "has finished") from None
        return _verify(root)
    finally:
        if lock is not None:
            lock.close()


def _verify(root: Path) -> dict:
    manifest_, why, check = check_as_recorded(root)
    if manifest_ is None:
        raise ConfigError("sweep.name", root.name, f"{root} holds no sweep dataset (no manifest.json, no shards)")
    record = manifest_["designs"][-1]
    problems = ([f"design.parquet is damaged: {why}"] if why else []) + [_damage_line(d, verb="unfinished") for d in check.damaged]
    problems += [f"{p.parent.name}/{p.name} belongs to no run of this dataset: {w}" for p, w in check.foreign]
    for line in problems:
        print(f"{PROG}: {line}")
    n_designs = len(manifest_["designs"])
    print(f"{PROG}: {root}: {len(check.finished):,} of {record['runs']:,} runs finished in {check.batches} sound batches, "
          f"{check.bytes / 1e6:,.2f} MB of summaries checked (size and SHA-256); {n_designs} design"
          f"{'s' if n_designs > 1 else ''} recorded"
          + (f"; {len(check.leftovers)} temporary files of interrupted writes (harmless; a rerun removes them)" if check.leftovers else ""))
    if problems:
        print(f"{PROG}: {len(problems)} problem{'s' if len(problems) > 1 else ''} found: rerun the sweep (without sweep.verify) to "
              "compute the damaged batches again", file=sys.stderr)
        sys.exit(1)
    print(f"{PROG}: no damage found")
    return {"root": root, "check": check, "problems": problems}


# Checked once, in the job, before anything is written (Hydra itself writes nothing for this app): the
# command-line pre-check only composes the config, so a bad key still fails in one line before the job.
main = console_entry(PROG, "sweep", run_sweep, validate=lambda cfg: None, direct=True)


if __name__ == "__main__":
    main()
