"""Command line: ``alignment-run``, a Hydra app.

Before Hydra creates any run directory, every configuration the command line
asks for (each point of a ``-m`` sweep too) is composed and checked; a bad one
ends the command with a one-line error naming the key, the value and what is
allowed, exit status 2, and nothing written.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import logging
import sys
import time
from pathlib import Path

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig

from alignment.errors import ConfigError
from alignment.schema import RunConfig, register_configs

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
PROG = "alignment-run"
_NO_RUN_FLAGS = {"--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc", "--version"}
_VALUE_FLAGS = {"--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn", "--package", "-p", "--cfg", "-c", "--info", "-i",
                "--experimental-rerun"}
MAX_PRECHECK = 512

register_configs()
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


def _explain(exc, override_text) -> ConfigError:
    """Turn a Hydra/OmegaConf composition error into a ConfigError."""
    from hydra.errors import MissingConfigException

    if isinstance(exc, MissingConfigException):
        group = (exc.missing_cfg_file or "").split("/")[0]
        options = exc.options or []
        name = (exc.missing_cfg_file or "").split("/")[-1]
        if group and options:
            return ConfigError(group, name, f"unknown {group}; known: " + ", ".join(sorted(options)))
        return ConfigError("config", exc.missing_cfg_file, str(exc).splitlines()[0])
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
        node = RunConfig
        for part in filter(None, parent.split(".")):
            fields_ = {f.name: f.type for f in dataclasses.fields(node)} if dataclasses.is_dataclass(node) else {}
            t = fields_.get(part)
            node = getattr(sys.modules["alignment.schema"], t, None) if isinstance(t, str) else t
        known = _known_keys(node) if node is not None else []
        near = difflib.get_close_matches(leaf, known, n=3)
        if near:
            hint = f"did you mean {', '.join(near)}?"
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
    return ConfigError(full_key or key or "override", value or override_text, " ".join(str(exc).split())[:200])


def _combinations(overrides):
    """Every plain override list a (possibly sweeping) command line stands for."""
    parser = OverridesParser.create()
    choices = []
    for text in overrides:
        try:
            (ov,) = parser.parse_overrides([text])
        except Exception as exc:  # noqa: BLE001 - Hydra's parser raises several types
            raise ConfigError("override", text, "not a valid override (expected key=value): " + " ".join(str(exc).split())[:120]) from None
        key = ov.get_key_element()
        if key.startswith("hydra.") or key.startswith("hydra/") or key == "hydra":
            continue
        if ov.is_sweep_override():
            try:
                values = list(ov.sweep_string_iterator())
            except Exception:  # noqa: BLE001 - e.g. glob() needs the config repository: let Hydra expand it
                continue
            choices.append([f"{key}={v}" for v in values])
        else:
            choices.append([text])
    return list(itertools.islice(itertools.product(*choices), MAX_PRECHECK))


def _searchpath(config_dir) -> list[str]:
    return [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir else []


def compose_config(overrides, config_dir=None) -> DictConfig:
    """Compose the run config as the command line would (used by the pre-check, tests and benchmarks)."""
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose("run", overrides=list(overrides) + _searchpath(config_dir))
    finally:
        GlobalHydra.instance().clear()


def precheck(argv) -> int:
    """Compose and check every configuration the command line asks for; returns how many."""
    from alignment.run import prepare

    overrides, config_dir, runs = _split_args(argv)
    if not runs:
        return 0
    combos = _combinations(overrides)
    for combo in combos:
        try:
            cfg = compose_config(combo, config_dir)
        except Exception as exc:  # noqa: BLE001 - Hydra and OmegaConf raise many types
            raise _explain(exc, _find_culprit(combo, config_dir)) from None
        prepare(cfg)
    return len(combos)


def _find_culprit(combo, config_dir):
    """The first override whose addition makes composition fail (to name it in the error)."""
    for n in range(len(combo)):
        try:
            compose_config(combo[: n + 1], config_dir)
        except Exception:  # noqa: BLE001
            return combo[n]
    return None


def run_job(cfg: DictConfig) -> Path:
    """Run one configured job into Hydra's output directory and report it."""
    from alignment.run import summary_table, simulate, write_run

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    t0 = time.perf_counter()
    model = simulate(cfg)
    t_sim = time.perf_counter() - t0
    result = write_run(model, cfg, run_dir, figures=cfg.outputs.figures)
    if cfg.outputs.summary:
        print(f"\n{cfg.scenario.name}, seed {cfg.seed}: {model.n_months} months in {t_sim:.2f} s "
              f"({model.n_months / t_sim:,.0f} months/s), outputs in {time.perf_counter() - t0:.1f} s")
        print(summary_table(result["timeseries"], result["interactions"]).to_string())
    print(f"run directory: {run_dir}")
    return run_dir


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="run")
def _hydra_app(cfg: DictConfig) -> None:
    try:
        run_job(cfg)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)


def main(argv=None) -> None:
    """Console entry point: check, then hand over to Hydra."""
    argv = sys.argv[1:] if argv is None else list(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        precheck(argv)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.argv = [PROG] + argv
    _hydra_app()


if __name__ == "__main__":
    main()
