"""alignment-sweep: a sweep of the model (configs/sweep/NAME.yaml) into one Parquet dataset.

The plan (every run, its seed and parameters) is built and checked before anything runs;
batches go to the executor and their results are written as they finish; a rerun of the
same command computes only what is missing (alignment/sweep/store.py).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from alignment.checks import check_writable_dir
from alignment.cli import CONFIG_DIR, _explain, compose_config, console_entry
from alignment.errors import ConfigError
from alignment.sweep import design as design_m
from alignment.sweep.executors import check_executor, default_workers, executor
from alignment.sweep.plan import RUN_ROOTS, Plan, make_plan
from alignment.sweep.runner import make_task, run_task
from alignment.sweep.store import SWEEP_SCHEMA_VERSION, SweepStore, finished_ids, sweep_dir
from alignment.sweep.summaries import UNITS, rows_per_run

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
    if cfg.seed != 0:
        raise ConfigError("seed", cfg.seed, "a sweep seeds each run from sweep.seed and its replicate; set sweep.seed instead")
    check_executor(cfg.executor)
    check_results_dir(cfg.results_dir)


def prepare_sweep(cfg: DictConfig, overrides=None) -> Plan:
    """Check everything a sweep needs and return its plan; nothing is written."""
    check_sweep(cfg)
    return _plan(cfg, overrides)


def _plan(cfg: DictConfig, overrides) -> Plan:
    return make_plan(cfg, scenario_configs(cfg), base_overrides(overrides))


def _sha(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def compat_key(cfg, plan: Plan) -> dict:
    """What every finished run depends on besides its own id: a sweep directory holds runs of one such key."""
    run_config = {k: OmegaConf.to_container(cfg[k], resolve=True) for k in RUN_ROOTS}
    scenarios = {g.scenario: _sha([repr(e) for e in g.prepared.events] + [g.scenario_overrides]) for g in plan.groups.values()}
    return {"run_config": _sha(run_config), "summaries": {"indicators": plan.indicators, "years": plan.years},
            "seed": int(cfg.sweep.seed), "scenarios": scenarios}


def _git() -> dict:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                                    text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": dirty if commit else None}


def manifest(cfg, plan: Plan, compat: dict) -> dict:
    from alignment.run import _versions

    container = OmegaConf.to_container(cfg, resolve=True)
    return {
        "schema": SWEEP_SCHEMA_VERSION, "name": plan.name, "description": cfg.sweep.description,
        "config": container, "compat": compat,
        "design": {"sampler": cfg.sweep.design.sampler, "n": cfg.sweep.design.n, "levels": cfg.sweep.design.levels,
                   "second_order": cfg.sweep.design.second_order, "points": len(plan.design), "replicates": cfg.sweep.replicates,
                   "scenarios": list(cfg.sweep.scenarios), "runs": len(plan.runs), "seed": cfg.sweep.seed},
        "parameters": design_m.flatten(OmegaConf.to_container(cfg.sweep.parameters)), "problem": plan.problem,
        "summaries": {"indicators": plan.indicators, "years": plan.years, "units": {k: UNITS[k] for k in plan.indicators}},
        "base_overrides": plan.base_overrides, "versions": _versions(), "git": _git(),
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
    import io

    import pyarrow.parquet as pq

    from alignment.sweep.runner import Task

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
    buf = io.BytesIO()
    pq.write_table(result.summaries, buf, compression="zstd")
    per_row = buf.tell() / max(result.summaries.num_rows, 1)
    n_years = (p.end // 12 - p.start // 12 + 1) if plan.years is None else len(plan.years)
    rows = rows_per_run(p.world, plan.indicators, n_years) * todo
    scen = len(cfg.sweep.scenarios)
    return (f"{PROG}: sweep '{plan.name}' (dry run, nothing written): {len(plan.runs)} runs = {scen} scenario(s) x "
            f"{len(plan.design)} points x {cfg.sweep.replicates} replicates; {len(plan.runs) - todo} done, {todo} to run "
            f"in {len(batches)} batches of up to {plan.batch_size}\n"
            f"estimated time: {seconds:,.0f} s on {workers} {cfg.executor.name} worker(s) (probes of a {len(runs)}-run batch "
            f"for {short_m} and {long_m} months: {len(runs) / per_month:,.0f} run-months/s per worker, {fixed:.2f} s a batch to set up)\n"
            f"estimated disk: {rows * per_row / 1e6:,.1f} MB ({rows:,} summary rows) in {sweep_dir(cfg.results_dir, plan.name)}")


def run_sweep(cfg: DictConfig, overrides=None, plan: Plan | None = None) -> dict:
    """Plan (unless given a plan made from ``cfg``), then run what is missing and write it; returns counts and
    the sweep's folder.

    Local worker processes start first and import the model while the plan is made; a Ray cluster or a
    SLURM array is only reached once the plan holds."""
    check_sweep(cfg)
    if cfg.sweep.dry_run:
        return _dry_run(cfg, plan or _plan(cfg, overrides))
    folder = Path(cfg.executor.folder) if cfg.executor.folder else sweep_dir(cfg.results_dir, cfg.sweep.name) / "slurm"
    plan = plan or (None if cfg.executor.name == "local" else _plan(cfg, overrides))
    with executor(cfg.executor, folder) as run:
        return _run(cfg, plan or _plan(cfg, overrides), run)


def _dry_run(cfg, plan: Plan) -> dict:
    root = sweep_dir(cfg.results_dir, plan.name)
    all_ids = {r.run_id for r in plan.runs}
    print(dry_run_report(cfg, plan, all_ids - finished_ids(root)))  # read, never written: the folder stays as it was
    return {"plan": plan, "root": root, "ran": 0, "failed": 0}


def _run(cfg, plan: Plan, run) -> dict:
    from tqdm.auto import tqdm

    root = sweep_dir(cfg.results_dir, plan.name)
    all_ids = {r.run_id for r in plan.runs}
    compat = compat_key(cfg, plan)
    with SweepStore(root, plan.name) as store:
        store.check_compatible(compat)
        store.write_manifest(manifest(cfg, plan, compat), design_table(plan))
        todo = all_ids - store.done()
        batches = plan.batches(todo)
        where = (f"{cfg.executor.workers or default_workers()} {cfg.executor.name} worker(s)" if cfg.executor.name != "slurm"
                 else f"a SLURM array ({cfg.executor.cluster})")
        print(f"{PROG}: sweep '{plan.name}': {len(plan.runs)} runs, {len(plan.runs) - len(todo)} done, {len(todo)} to run "
              f"in {len(batches)} batches on {where} -> {root}", flush=True)
        failed = ran = 0
        tasks = (make_task(plan, g, runs) for g, runs in batches)
        t0 = time.perf_counter()
        with tqdm(total=len(todo), unit="run", desc=plan.name, disable=not cfg.progress, file=sys.stderr) as bar:
            for result in run(run_task, tasks):
                store.write(result)
                n = result.runs.num_rows
                bad = result.runs.column("status").to_pylist().count("failed")
                ran, failed = ran + n, failed + bad
                bar.update(n)
                if bad:
                    bar.set_postfix(failed=failed)
        elapsed = time.perf_counter() - t0
    rate = f" in {elapsed:.1f} s ({ran / elapsed:,.1f} runs/s)" if ran and elapsed > 0 else ""
    print(f"{PROG}: {ran} runs computed{rate}, {failed} failed; dataset: {root}")
    return {"plan": plan, "root": root, "ran": ran, "failed": failed}


# Checked once, in the job, before anything is written (Hydra itself writes nothing for this app): the
# command-line pre-check only composes the config, so a bad key still fails in one line before the job.
main = console_entry(PROG, "sweep", run_sweep, validate=lambda cfg: None, direct=True)


if __name__ == "__main__":
    main()
