"""alignment-calibrate: fit the free parameters to the 2015-2021 record, with Optuna called directly.

The loss is :func:`alignment.fit.targets.loss` averaged over ``study.replicates`` seeds (the same
seeds for every trial: common random numbers); ``study.batch_trials`` trials and their replicates
are stepped together as one batch of the engine. The study lives in ``study.storage`` (SQLite by
default): an interrupted study resumes where it stopped, and several processes given the same
storage share one study. The best parameters are written as a ``configs/model/`` option
(``model_calibrated.yaml``) and the trials as ``trials.csv`` in ``study.output_dir``.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from alignment.cli import console_entry
from alignment.checks import check_finite, check_range
from alignment.errors import ConfigError
from alignment.outputs import atomic_write_text
from alignment.runs import Prepared, check_params, prepare, run_param_sets
from alignment.schema import ModelParams, model_field
from alignment.fit.targets import evaluate, load_targets, loss

PROG = "alignment-calibrate"


@dataclass(frozen=True)
class Calibration:
    prepared: Prepared
    targets: list
    space: dict  # name -> (low, high, log, is_int)


def check_search(search) -> dict:
    """The search space as {parameter: (low, high, log, is_int)}; ConfigError on the first bad entry."""
    if not search:
        raise ConfigError("search", {}, "empty search space: name at least one model parameter with low and high")
    hints = typing.get_type_hints(ModelParams)
    space = {}
    for name, spec in search.items():
        if name not in hints or hints[name] not in (float, int):
            scalars = [n for n, t in hints.items() if t in (float, int)]
            raise ConfigError(f"search.{name}", spec, "not a numeric model parameter; known: " + ", ".join(scalars))
        if not isinstance(spec, dict) or not {"low", "high"} <= set(spec) or set(spec) - {"low", "high", "log"}:
            raise ConfigError(f"search.{name}", spec, "expected {low: number, high: number} and optionally log: true")
        try:
            low, high, log = float(spec["low"]), float(spec["high"]), bool(spec.get("log", False))
        except (TypeError, ValueError):
            raise ConfigError(f"search.{name}", spec, "low and high must be numbers") from None
        check_finite({"low": low, "high": high}, f"search.{name}")
        if not low < high:
            raise ConfigError(f"search.{name}.low", low, f"must be below search.{name}.high ({high})")
        if log and low <= 0:
            raise ConfigError(f"search.{name}.low", low, "must be > 0 for a log-scale search")
        meta = model_field(name).metadata
        for end, value in (("low", low), ("high", high)):
            check_range(f"search.{name}.{end}", value, meta["range"], meta["unit"])
        space[name] = (low, high, log, hints[name] is int)
    return space


def _open_storage(url: str):
    import optuna

    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError("study.storage", url, f"cannot be opened: {exc.strerror or exc}") from None
    try:
        return optuna.storages.RDBStorage(url)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy and Optuna raise many types
        raise ConfigError("study.storage", url, "cannot be opened: " + " ".join(str(exc).split())[:160]) from None


def prepare_calibration(cfg: DictConfig) -> Calibration:
    """Check a calibration config: the run part, the targets, the search space, the study and its storage."""
    prepared = prepare(cfg)
    targets = load_targets(cfg.targets, prepared.world, cfg.world, until=prepared.end // 12)
    space = check_search(OmegaConf.to_container(cfg.search))
    for key in ("n_trials", "replicates", "batch_trials"):
        if cfg.study[key] < 1:
            raise ConfigError(f"study.{key}", cfg.study[key], "must be >= 1")
    _open_storage(cfg.study.storage)
    return Calibration(prepared, targets, space)


def suggest(trial, cal: Calibration):
    """The model parameters of one trial: the search space's values on top of the configured ones."""
    values = {}
    for name, (low, high, log, is_int) in cal.space.items():
        values[name] = trial.suggest_int(name, int(low), int(high), log=log) if is_int else trial.suggest_float(name, low, high, log=log)
    params = dataclasses.replace(cal.prepared.params, **values)
    check_params(params)
    return params


def run_trials(study, cal: Calibration, n_trials: int, replicates: int, batch_trials: int, progress: bool) -> None:
    """Run trials until the study holds ``n_trials`` complete ones, ``batch_trials`` at a time.

    Each round asks several trials, runs trials x replicates as one batch of the engine (seeds
    0..replicates-1 for every trial: common random numbers) and tells each its loss. Workers sharing
    the storage count each other's complete trials, so together they run ``n_trials``. An interrupted
    round tells its trials as failed, so no trial is left RUNNING.
    """
    import optuna
    from tqdm.auto import tqdm

    def complete():
        return sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.get_trials(deepcopy=False))

    budget = n_trials - complete()  # this worker asks at most this many (failed trials count: no endless retries)
    bar = tqdm(total=n_trials, initial=n_trials - budget, desc="trials", unit="trial", disable=not progress)
    try:
        while (k := min(batch_trials, n_trials - complete(), budget)) > 0:
            budget -= k
            trials, told = [study.ask() for _ in range(k)], set()
            try:
                params = [suggest(t, cal) for t in trials]
                for trial, runs in zip(trials, run_param_sets(cal.prepared, params, replicates)):
                    table = evaluate(cal.targets, runs)
                    trial.set_user_attr("targets_met", int(table["met"].sum()))
                    trial.set_user_attr("targets", len(table))
                    value = loss(table)
                    study.tell(trial, value if np.isfinite(value) else None,
                               state=None if np.isfinite(value) else optuna.trial.TrialState.FAIL)
                    told.add(trial.number)
            except BaseException:
                for trial in trials:
                    if trial.number not in told:
                        study.tell(trial, state=optuna.trial.TrialState.FAIL)
                raise
            bar.n = complete()
            bar.refresh()
    finally:
        bar.close()


def model_option_yaml(best: dict, study_name: str, n_trials: int, best_loss: float, met: str) -> str:
    """A configs/model/ option holding the best parameters on top of the defaults."""
    lines = ["# @package model",
             f"# Calibrated by alignment-calibrate: study '{study_name}', {n_trials} trials, best loss {best_loss:.4f},",
             f"# {met} targets met. Use with model=calibrated after copying this file to configs/model/calibrated.yaml.",
             "defaults:", "  - default", "  - _self_"]
    lines += [f"{k}: {v!r}" for k, v in sorted(best.items())]
    return "\n".join(lines) + "\n"


def run_calibration(cfg: DictConfig) -> dict:
    """Run (or resume) the study to ``study.n_trials`` complete trials and write its outputs."""
    import optuna

    cal = prepare_calibration(cfg)
    st = cfg.study
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # constant_liar: trials asked together (one batch) are told apart by the sampler
    study = optuna.create_study(study_name=st.name, storage=_open_storage(st.storage), load_if_exists=True,
                                direction="minimize", sampler=optuna.samplers.TPESampler(seed=st.sampler_seed, constant_liar=True))
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    remaining = max(0, st.n_trials - done)
    if remaining:
        print(f"{PROG}: study '{st.name}': {done} trials done, running {remaining} more "
              f"({st.replicates} replicates each, {st.batch_trials} trials per batch, {len(cal.targets)} targets)", flush=True)
        run_trials(study, cal, st.n_trials, st.replicates, st.batch_trials, st.progress)
    best = study.best_trial
    out = Path(st.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    met = f"{best.user_attrs.get('targets_met')}/{best.user_attrs.get('targets')}"
    atomic_write_text(model_option_yaml(best.params, st.name, len(study.trials), best.value, met), out / "model_calibrated.yaml")
    trials = study.trials_dataframe(attrs=("number", "value", "params", "user_attrs", "state"))
    running = trials["state"] == "RUNNING"  # a worker killed outright (SIGKILL), or one still at work on this storage
    if running.any():
        print(f"{PROG}: note: {int(running.sum())} trial(s) still RUNNING in the storage (a killed worker, or one still "
              "at work) are left out of trials.csv", file=sys.stderr)
    atomic_write_text(trials[~running].to_csv(index=False), out / "trials.csv")
    print(f"best loss {best.value:.4f} (trial {best.number}, {met} targets met); wrote {out / 'model_calibrated.yaml'} "
          f"and {out / 'trials.csv'}")
    return {"study": study, "best": best, "output_dir": out}


main = console_entry(PROG, "calibrate", run_calibration, prepare_calibration)


if __name__ == "__main__":
    main()
