"""Command line: ``alignment-run``, a Hydra app.

Before Hydra creates any run directory, every configuration the command line
asks for (each point of a ``-m`` sweep too) is composed and checked; a bad one
ends the command with a one-line error naming the key, the value and what is
allowed, exit status 2, and nothing written.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import inspect
import itertools
import logging
import signal
import sys
import time
from collections import OrderedDict
from pathlib import Path

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from alignment.checks import check_writable_dir
from alignment.errors import ConfigError, StorageError
from alignment.schema import COMMAND_SCHEMAS, RunConfig, register_configs

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
PROG = "alignment-run"
_NO_RUN_FLAGS = {"--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc", "--version"}
_VALUE_FLAGS = {"--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn", "--package", "-p", "--cfg", "-c", "--info", "-i",
                "--experimental-rerun"}

log = logging.getLogger("alignment")


def _split_args(argv):
    """(overrides, extra config dir or None, whether the command runs the model)."""
    overrides, config_dir, runs = [], None, True
    it = iter(range(len(argv)))
    for n in it:
        a = argv[n]
        name, eq, val = a.partition("=")
        if a in _NO_RUN_FLAGS or name in _NO_RUN_FLAGS:
            runs = False
        if name in ("--config-dir", "-cd"):
            config_dir = val if eq else (argv[n + 1] if n + 1 < len(argv) else None)
        if a in _VALUE_FLAGS and not eq:
            next(it, None)
            continue
        if a.startswith("-"):
            continue
        overrides.append(a)
    return overrides, config_dir, runs


def _known_keys(node_type) -> list[str]:
    """Field names of a schema dataclass (empty for a free-form mapping)."""
    return [f.name for f in dataclasses.fields(node_type)] if dataclasses.is_dataclass(node_type) else []


def _explain(exc, override_text, config_name: str = "run") -> ConfigError:
    """Turn a Hydra/OmegaConf composition error into a ConfigError."""
    from hydra.errors import MissingConfigException

    if isinstance(exc, ConfigError):  # already one line (e.g. an empty scenario file)
        return exc
    if isinstance(exc, MissingConfigException):
        group, _, name = (exc.missing_cfg_file or "").rpartition("/")
        options = exc.options or (_group_options(group, None) if group else [])
        key, _, value = (override_text or "").lstrip("+~").partition("=")
        if group == "scenario" and key == "scenario" and value and value != name:  # a layered scenario over a missing base
            return ConfigError("scenario", value, f"is layered over '{name}' (its defaults list), which is not a scenario; known: "
                                                  + ", ".join(sorted(options)))
        if group and options:
            return ConfigError(group, name, f"unknown {group.split('/')[-1]}; known: " + ", ".join(sorted(options)))
        return ConfigError(group or "config", name, "no such config")
    composing = str(exc).splitlines()
    if composing and "raised while composing config" in composing[0] and len(composing) > 1:
        where = composing[0].split("'")[1] if "'" in composing[0] else ""
        detail = composing[1]
        full = next((ln.split(":", 1)[1].strip() for ln in composing if ln.strip().startswith("full_key:")), "")
        if where.startswith("scenario/") and "is not a subclass of ScenarioConfig" in detail:
            return ConfigError("scenario", where.partition("/")[2],
                               "the scenario file must be a mapping (name, description, events, exclude, overrides), not a "
                               + detail.split(" is not")[0].split(": ")[-1])
        if full == "scenario.events" and "is not a ListConfig" in detail:
            return ConfigError("scenario.events", where.partition("/")[2],
                               "must be a list of events, each a mapping with date and kind ([] for none)")
        return ConfigError(full or where or "config", where, " ".join(detail.split())[:200])
    cause = exc
    while getattr(cause, "__cause__", None) is not None:
        cause = cause.__cause__
    full_key = getattr(cause, "full_key", None)
    text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    key, _, value = (override_text or "").lstrip("+~").partition("=")
    if isinstance(cause, UnicodeDecodeError):
        return ConfigError(key or "config file", value or override_text, "file unreadable: not UTF-8 text")
    if isinstance(cause, OSError):
        return ConfigError(key or "config file", value or override_text, f"file unreadable: {cause.strerror or cause}")
    mark = getattr(cause, "problem_mark", None)
    if mark is not None:
        problem = getattr(cause, "problem", "") or "syntax error"
        return ConfigError("config file", mark.name, f"malformed YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}")
    if "not in struct" in text or "not in '" in text or "Could not override" in str(exc) or "Could not append" in str(exc):
        full = full_key or key
        parent, _, leaf = full.rpartition(".")
        node = COMMAND_SCHEMAS.get(config_name, RunConfig)
        for part in filter(None, parent.split(".")):
            fields_ = {f.name: f.type for f in dataclasses.fields(node)} if dataclasses.is_dataclass(node) else {}
            t = fields_.get(part)
            node = getattr(sys.modules["alignment.schema"], t, None) if isinstance(t, str) else t
        if full.startswith("hydra.") or full == "hydra":
            return ConfigError(full, value, "unknown Hydra setting (see alignment-run --hydra-help)")
        if node is None or not dataclasses.is_dataclass(node):  # a free-form mapping such as scenario.overrides
            return ConfigError(full, value, f"unknown key; add a key to '{parent}' with +{parent}.{leaf}=VALUE")
        known = _known_keys(node)
        near = difflib.get_close_matches(leaf, known, n=3)
        if near:  # spelled as they would be typed: a working override, not just a name
            hint = "did you mean " + " or ".join(f"{parent}.{n}" if parent else n for n in near) + "?"
        elif known and len(known) <= 12:
            hint = "known keys: " + ", ".join(known)
        elif known:
            hint = f"not one of the {len(known)} keys of '{parent}' (see docs/ODD.md)"
        else:
            hint = "not a key of the config"
        return ConfigError(full, value, f"unknown key; {hint}")
    if "could not be converted" in text or "Value '" in text or "Invalid value" in text:
        kind = "an integer" if "Integer" in text else "a number" if "Float" in text else "a boolean" if "Bool" in text else "a value of the schema's type"
        return ConfigError(full_key or key, value, f"expected {kind}")
    return ConfigError(full_key or key or "override", value or override_text, " ".join(text.split())[:200])


def _group_options(group: str, config_dir) -> list[str]:
    """Option names of a config group (for expanding glob() sweeps)."""
    dirs = [CONFIG_DIR / group] + ([Path(config_dir) / group] if config_dir else [])
    return sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.yaml")})


def _sweep(overrides, config_dir):
    """(seed values, per-override lists of plain overrides) that a possibly sweeping command line stands for."""
    parser = OverridesParser.create()
    seeds, choices = [], []
    for text in overrides:
        try:
            (ov,) = parser.parse_overrides([text])
        except Exception as exc:  # noqa: BLE001 - Hydra's parser raises several types
            raise ConfigError("override", text, "not a valid override (expected key=value): " + " ".join(str(exc).split())[:120]) from None
        key = ov.get_key_element()
        if ov.is_sweep_override():
            try:
                values = [f"{key}={v}" for v in ov.sweep_string_iterator()]
            except Exception:  # noqa: BLE001 - glob() needs the group's options
                values = [f"{key}={v}" for v in ov.value().filter(_group_options(key, config_dir))]
        else:
            values = [text]
        if key == "seed" and text.startswith("seed="):
            seeds += [v.split("=", 1)[1] for v in values]
        else:
            choices.append(values)
    return seeds, choices


def _searchpath(config_dir) -> list[str]:
    """The extra config directory as a Hydra override, quoted so that any path (spaces, Cyrillic) parses."""
    if not config_dir:
        return []
    path = str(Path(config_dir).resolve()).replace("\\", "\\\\").replace("'", "\\'")
    return [f"hydra.searchpath=['file://{path}']"]


_COMPOSED: "OrderedDict" = OrderedDict()  # composed configs (without Hydra's node) by their inputs, newest last


def _config_files(config_dir) -> str:
    """A digest of every config file a composition may read (paths and contents, about 200 KB: a millisecond or two):
    a file written, changed or removed since is a new key, so a kept composition is never stale."""
    import hashlib

    h = hashlib.sha256()
    for root in (CONFIG_DIR, Path(config_dir) if config_dir else None):
        if root is not None and root.is_dir():
            for path in sorted(root.rglob("*.yaml")):
                h.update(str(path).encode() + b"\0")
                try:
                    h.update(path.read_bytes())
                except OSError:  # unreadable: composing reports it
                    h.update(b"\0unreadable")
    return h.hexdigest()


def compose_config(overrides, config_dir=None, with_hydra: bool = False, config_name: str = "run",
                   with_hydra_node=None) -> DictConfig:
    """Compose the run config as the command line would (used by the pre-check, tests and benchmarks).

    With ``with_hydra`` the hydra.* overrides are composed and checked too, and the hydra node is dropped
    (``with_hydra_node(cfg)`` is called before, to read what needs it: composing again costs about a second).

    Without it, a composition is kept (a copy is returned) and the same inputs (overrides, and the config files'
    contents, whose digest is part of the key) are not composed again: a notebook calling
    ``alignment.run`` in a loop, the app moving a slider back, a test suite, each compose once per configuration.
    """
    from omegaconf import open_dict

    key = None if with_hydra else (config_name, tuple(overrides), str(config_dir), _config_files(config_dir))
    if key is not None and key in _COMPOSED:
        _COMPOSED.move_to_end(key)
        cfg = copy.deepcopy(_COMPOSED[key])
        _check_scenario_file(cfg, overrides)
        return cfg
    register_configs(config_name)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name, overrides=list(overrides) + _searchpath(config_dir), return_hydra_config=with_hydra)
    finally:
        GlobalHydra.instance().clear()
    if key is not None:
        _COMPOSED[key] = copy.deepcopy(cfg)
        while len(_COMPOSED) > 64:
            _COMPOSED.popitem(last=False)
    if with_hydra:
        if with_hydra_node is not None:
            with_hydra_node(cfg)
        with open_dict(cfg):
            cfg.pop("hydra")
    _check_scenario_file(cfg, overrides)
    return cfg


def _check_scenario_file(cfg, overrides) -> None:
    """A scenario file must name itself and list its events ([] for none): an empty or headless file is an error,
    not a silent run without events."""
    if "scenario" not in cfg:
        return
    missing = [k for k in ("name", "events") if OmegaConf.is_missing(cfg.scenario, k)]
    if missing:
        chosen = next((o.partition("=")[2] for o in overrides if o.lstrip("+").startswith("scenario=")), "historical")
        raise ConfigError("scenario", chosen, "the scenario file is empty or incomplete: it needs " + " and ".join(missing)
                          + " (name: a word; events: a list of dated events, [] for none)")


def precheck(argv, full_product_limit: int = 200, config_name: str = "run", validate=None, prog: str = PROG,
             composed: list | None = None, folders: dict | None = None, hydra_nodes: list | None = None,
             checked: list | None = None) -> int:
    """Compose and check the configurations the command line asks for; returns how many were composed
    (and appends them to ``composed`` if given, their ``hydra`` nodes to ``hydra_nodes``, what ``validate`` returned
    for each to ``checked``). With ``folders``, the
    first configuration's output folders are resolved into it on the way, for :func:`prepare_run_dir`.

    Seeds are checked on their own (a sweep over seeds changes nothing else). Up to
    ``full_product_limit`` configurations are checked one by one; a larger sweep has each of its
    values checked with the first choice of every other override, and says so on stderr.
    """
    from alignment.runs import prepare

    validate = validate or prepare
    overrides, config_dir, runs = _split_args(argv)
    if not runs:
        return 0
    seeds, choices = _sweep(overrides, config_dir)
    for v in seeds:
        if not v.lstrip("-").isdigit():
            raise ConfigError("seed", v, "expected an integer")
        if int(v) < 0:
            raise ConfigError("seed", int(v), "must be a non-negative integer")
    total = 1
    for c in choices:
        total *= len(c)
    if total <= full_product_limit:
        combos = list(itertools.product(*choices))
    else:
        first = [c[0] for c in choices]
        combos = [tuple(first[:k] + [v] + first[k + 1:]) for k, c in enumerate(choices) for v in c]
        print(f"{prog}: note: {total} configurations; each value was checked, not every combination", file=sys.stderr)
    base = (f"seed={seeds[0]}",) if seeds else ()
    for n, combo in enumerate(combos):  # the first is the first configuration (_first_configuration)
        combo = base + tuple(combo)
        def read(cfg, first=n == 0):
            if first and folders is not None:
                folders.update(_output_folders(cfg, argv, config_name))
            if hydra_nodes is not None:
                hydra_nodes.append(cfg._get_node("hydra"))

        try:
            cfg = compose_config(combo, config_dir, with_hydra=True, config_name=config_name, with_hydra_node=read)
        except Exception as exc:  # noqa: BLE001 - Hydra and OmegaConf raise many types
            raise _explain(exc, _find_culprit(combo, config_dir, config_name), config_name) from None
        result = validate(cfg)
        if composed is not None:
            composed.append(cfg)
        if checked is not None:
            checked.append(result)
    return len(combos)


def _find_culprit(combo, config_dir, config_name="run"):
    """The first override whose addition makes composition fail (to name it in the error)."""
    for n in range(len(combo)):
        try:
            compose_config(combo[: n + 1], config_dir, with_hydra=True, config_name=config_name)
        except Exception:  # noqa: BLE001
            return combo[n]
    return None


def run_job(cfg: DictConfig, checked=None) -> Path:
    """Run one configured job into Hydra's output directory and report it. ``checked``: what the pre-check's
    :func:`~alignment.runs.prepare` made of this configuration (not made again)."""
    from alignment.runs import simulate, summary_table, write_run

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    (run_dir / "run.json").unlink(missing_ok=True)  # a rerun: the old run's mark goes before anything else (see prepare_run_dir)
    t0 = time.perf_counter()
    stop_if_signalled()
    model = simulate(cfg, prepared=checked)
    t_sim = time.perf_counter() - t0
    stop_if_signalled()
    result = write_run(model, cfg, run_dir, figures=cfg.outputs.figures)
    if cfg.outputs.summary:
        print(f"\n{cfg.scenario.name}, seed {cfg.seed}: {model.n_months} months in {t_sim:.2f} s "
              f"({model.n_months / t_sim:,.0f} months/s), outputs in {time.perf_counter() - t0:.1f} s")
        print(summary_table(result["timeseries"], result["interactions"]).to_string())
    print(f"run directory: {run_dir}")
    return run_dir


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that every ``finally`` runs: staging folders and
    half-written files go, and the command ends with one line instead of leaving them behind."""


_SIGNALLED: list = []  # set by the handler, in case the exception it raises lands where a library swallows it


def _raise_for(signum):
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum, frame):
    _SIGNALLED.append(signum)
    _raise_for(signum)


def stop_if_signalled() -> None:
    """Raise Terminated (SIGTERM) or KeyboardInterrupt (Ctrl-C) if one arrived: called between the steps of a
    command, in case the exception raised by the handler was swallowed where it landed."""
    if _SIGNALLED:
        _raise_for(_SIGNALLED[0])


def _stopped(prog: str, terminated: bool):
    """End a command stopped by SIGTERM (status 143) or Ctrl-C (130) with one line."""
    how = "terminated (SIGTERM)" if terminated else "interrupted"
    print(f"{prog}: {how}; what was finished is kept, nothing half-written is left (run the same command to go on)",
          file=sys.stderr)
    sys.exit(143 if terminated else 130)


def command_line_overrides(overrides=None) -> list[str]:
    """``overrides`` if given, else the command line's overrides as Hydra recorded them (none outside a Hydra job)."""
    if overrides is not None:
        return list(overrides)
    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def _first_configuration(argv) -> list[str]:
    """The overrides of the first configuration a (possibly sweeping) command line stands for."""
    overrides, config_dir, _ = _split_args(argv)
    seeds, choices = _sweep(overrides, config_dir)
    return ([f"seed={seeds[0]}"] if seeds else []) + [c[0] for c in choices]


OUTPUT_KEYS = {"calibrate": ("study.output_dir",), "infer": ("infer.output_dir",), "forecast": ("results_dir",), "validate": ("validate.output_dir",)}  # the sweep checks results_dir itself


def _output_folders(cfg, argv, config_name: str) -> dict:
    """{"key": the Hydra directory's key, "target": that directory, "own": the command's own output folders},
    resolved in a composed config that still has its hydra node; {} when Hydra alone can resolve them."""
    from hydra.core.utils import JobRuntime  # noqa: F401 - registers Hydra's resolvers (now, hydra)

    key = "hydra.sweep.dir" if any(a in ("-m", "--multirun") for a in argv) else "hydra.run.dir"
    HydraConfig.instance().set_config(cfg)
    try:
        return {"key": key, "target": Path(str(OmegaConf.select(cfg, key))),
                "own": {k: Path(str(OmegaConf.select(cfg, k))) for k in OUTPUT_KEYS.get(config_name, ())}}
    except Exception:  # noqa: BLE001 - an interpolation only Hydra's launcher can resolve: leave it to Hydra
        return {}
    finally:
        HydraConfig.instance().cfg = None  # set only to resolve ${hydra:...} here: left set, a later sweep planned in
        # this process would take this command line's overrides for its own (base_overrides reads HydraConfig)


def prepare_run_dir(argv, config_name: str = "run", folders: dict | None = None) -> Path | None:
    """Check where a command will write, before Hydra writes anything there: its Hydra directory and its own
    output folders (a path under a file, or one that cannot be written, is a one-line error). For
    alignment-run, also take the completion mark (``run.json``) of a finished run out of the run directory,
    so that a rerun that fails or is killed never leaves a directory that looks finished and describes
    another run.

    One run: ``hydra.run.dir``. A multirun: ``hydra.sweep.dir`` is checked here; each job removes its own
    old mark as its first step (:func:`run_job`), since the job directories are named by Hydra's launcher.
    Returns the Hydra directory checked, or None when it cannot be resolved here (Hydra then reports it).
    ``folders``: what :func:`precheck` resolved already (otherwise the first configuration is composed here).
    """
    _, config_dir, runs = _split_args(argv)
    if not runs:
        return None
    if folders is None:
        folders = {}
        try:
            compose_config(_first_configuration(argv), config_dir, with_hydra=True, config_name=config_name,
                           with_hydra_node=lambda cfg: folders.update(_output_folders(cfg, argv, config_name)))
        except Exception:  # noqa: BLE001 - a bad command line: the pre-check reports it
            return None
    if not folders:
        return None
    key, target, own = folders["key"], folders["target"], folders["own"]
    multirun = key == "hydra.sweep.dir"
    for k, path in own.items():
        check_writable_dir(k, path)
    check_writable_dir(key, target)
    if config_name == "run" and not multirun:
        (target / "run.json").unlink(missing_ok=True)
    return target


def run_one_job(cfg: DictConfig, hydra_node, task, config_name: str) -> None:
    """Run ``task`` on a configuration the pre-check composed, as Hydra's own run would (the run directory,
    its .hydra/ record, logging, callbacks) but without composing it twice more (Hydra's mode check and its run
    each compose the whole tree again). A multirun, or any Hydra flag, goes through Hydra's main instead."""
    from hydra._internal.callbacks import Callbacks
    from hydra.core.utils import run_job as hydra_run_job, setup_globals
    from hydra.types import HydraContext, RunMode
    from omegaconf import open_dict, read_write

    setup_globals()  # the ${now:...} and ${hydra:...} resolvers
    with open_dict(cfg):
        cfg["hydra"] = hydra_node
    with read_write(cfg.hydra):
        cfg.hydra.mode = RunMode.RUN
    failed: list = []

    def guarded(job_cfg):  # what the job raised, raised again below (Hydra's return_value would first print a line)
        try:
            return task(job_cfg)
        except Exception as exc:
            failed.append(exc)
            raise

    callbacks = Callbacks(cfg)
    callbacks.on_run_start(config=cfg, config_name=config_name)
    ret = hydra_run_job(hydra_context=HydraContext(config_loader=None, callbacks=callbacks), task_function=guarded,
                        config=cfg, job_dir_key="hydra.run.dir", job_subdir_key=None)
    callbacks.on_run_end(config=cfg, config_name=config_name, job_return=ret)
    if failed:
        raise failed[0]


def console_entry(prog: str, config_name: str, job, validate=None, direct: bool = False):
    """A console entry point: pre-check the command line, then run ``job(cfg)`` as a Hydra app.

    Bad input, found before or during the job, ends with one line on stderr and status 2; a file system that
    refuses a write (no space, read-only, permission) with one line naming the path and status 1. With
    ``direct`` (for an app that writes nothing into Hydra's run directory), a plain command line
    (one configuration; no -m, --help, --cfg or other Hydra flag) runs ``job(cfg, overrides)`` on the
    configuration the pre-check composed, instead of composing it a second time.
    """

    takes_checked = "checked" in inspect.signature(job).parameters

    def task(cfg: DictConfig, checked=None) -> None:
        try:
            job(cfg, checked=checked) if takes_checked and checked is not None else job(cfg)
        except (ConfigError, StorageError) as exc:
            stop_if_signalled()  # a signal that landed in a library and came out as a config error is the signal
            print(f"{prog}: error: {exc}", file=sys.stderr)
            sys.exit(2 if isinstance(exc, ConfigError) else 1)

    @hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=config_name)
    def app(cfg: DictConfig) -> None:
        task(cfg)

    def main(argv=None) -> None:
        argv = sys.argv[1:] if argv is None else list(argv)
        register_configs(config_name)
        logging.getLogger("MESA").setLevel(logging.WARNING)
        composed: list = []
        _SIGNALLED.clear()
        try:
            previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        except ValueError:  # not the main thread (an app calling in): leave signals to the caller
            previous = {}
        try:
            folders: dict = {}
            hydra_nodes: list = []
            checked: list = []
            precheck(argv, config_name=config_name, validate=validate, prog=prog, composed=composed, folders=folders,
                     hydra_nodes=hydra_nodes, checked=checked)
            prepare_run_dir(argv, config_name, folders)
            stop_if_signalled()
            if len(composed) == 1 and not any(a.startswith("-") for a in argv):  # one configuration, no Hydra flag
                if direct:
                    job(composed[0], overrides=_split_args(argv)[0])
                else:
                    run_one_job(composed[0], hydra_nodes[0], functools.partial(task, checked=checked[0]), config_name)
                return
            sys.argv = [prog] + argv
            app()
        except KeyboardInterrupt as exc:
            _stopped(prog, isinstance(exc, Terminated))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a signal that landed inside a library (OmegaConf,
            # Hydra) can come out as any error, or as Hydra's own report and exit: it is still the signal
            if _SIGNALLED:
                _stopped(prog, _SIGNALLED[0] == signal.SIGTERM)
            if isinstance(exc, (ConfigError, StorageError)):  # bad input: status 2; the file system refused: status 1
                print(f"{prog}: error: {exc}", file=sys.stderr)
                sys.exit(2 if isinstance(exc, ConfigError) else 1)
            raise
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return main


main = console_entry(PROG, "run", run_job)


if __name__ == "__main__":
    main()
