"""The console commands, with a short ``--help`` that needs neither the model nor Hydra's composition.

``alignment-run --help`` says what the command does, its main keys with their defaults, examples, and
where the full configuration is; it answers in a fraction of a second. Everything else goes to the
command's own module (alignment.cli, alignment.fit.*, alignment.sweeps.cli). Hydra's own help stays
available as ``--hydra-help``, the composed configuration as ``--cfg job``.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"

COMMANDS = {
    "run": {
        "prog": "alignment-run", "module": "alignment.cli", "config": "run",
        "summary": "Run the model once (or a Hydra multirun with -m): monthly dynamics 2015-2035 for the five Central "
                   "Asian states and the external powers, written as timeseries.parquet, interactions.parquet, "
                   "figures and run.json into the run directory.",
        "keys": ["scenario", "seed", "horizon.start", "horizon.end", "model.threat_urgency", "model.logit_scale_usd",
                 "outputs.figures", "hydra.run.dir"],
        "examples": ["alignment-run", "alignment-run scenario=no_war_2022 seed=3 hydra.run.dir=outputs/nowar",
                     "alignment-run -m scenario=historical,no_war_2022 seed=0,1,2",
                     "alignment-run model.threat_urgency=0 horizon.end=2025-12"],
    },
    "calibrate": {
        "prog": "alignment-calibrate", "module": "alignment.fit.calibrate", "config": "calibrate",
        "summary": "Fit the searched parameters (configs/search/) to the 2015-2021 targets (configs/targets/) with an "
                   "Optuna study in SQLite storage; resumable. Writes model_calibrated.yaml and trials.csv.",
        "keys": ["study.n_trials", "study.replicates", "study.batch_trials", "study.storage", "study.output_dir",
                 "study.sampler_seed"],
        "examples": ["alignment-calibrate study.n_trials=50", "alignment-calibrate study.n_trials=1500 study.replicates=8"],
    },
    "infer": {
        "prog": "alignment-infer", "module": "alignment.fit.infer", "config": "infer",
        "summary": "A posterior over the searched parameters (configs/search/ is the prior) from the 2015-2021 targets, by "
                   "neural posterior estimation (sbi) on simulations of the batched engine; resumable, on the sweep "
                   "executors. Writes posterior.parquet, diagnostics.json (calibration check, coverage) and report.md.",
        "keys": ["infer.name", "infer.simulations", "infer.draws", "infer.sbc_simulations", "infer.density_estimator",
                 "infer.results_dir", "executor", "executor.workers"],
        "examples": ["alignment-infer", "alignment-infer infer.name=small infer.simulations=2000",
                     "alignment-infer infer.results_dir=outputs executor=ray"],
    },
    "forecast": {
        "prog": "alignment-forecast", "module": "alignment.fit.forecast", "config": "forecast",
        "summary": "Score rolling-origin forecasts inside the record (infer on 2015-2018 and 2015-2019, forecast to 2021) "
                   "with the CRPS against persistence and a constant per series; write the frozen 2026-2030 forecast of "
                   "the forward scenarios from the posterior. Writes forecasts/skill.csv and figures/forecast_skill.png.",
        "keys": ["forecast.origins", "forecast.draws", "forecast.frozen.enabled", "forecast.frozen.draws",
                 "forecast.frozen.posterior", "results_dir", "executor"],
        "examples": ["alignment-forecast", "alignment-forecast forecast.frozen.enabled=false forecast.origins=[2018]",
                     "alignment-forecast results_dir=outputs/mine \"forecast.infer=['infer.simulations=2000']\""],
    },
    "validate": {
        "prog": "alignment-validate", "module": "alignment.fit.validate", "config": "validate",
        "summary": "Compare the model with every 2015-2021 target over many seeds, test the war's effect and what the "
                   "targets pin down; writes the report into results/validation/.",
        "keys": ["validate.replicates", "validate.output_dir", "validate.identifiability.trials",
                 "validate.identifiability.points"],
        "examples": ["alignment-validate", "alignment-validate validate.replicates=5 validate.output_dir=outputs/validation",
                     "alignment-validate validate.identifiability.trials=outputs/calibration/trials.csv"],
    },
    "sweep": {
        "prog": "alignment-sweep", "module": "alignment.sweeps.cli", "config": "sweep",
        "summary": "Run a parameter sweep (configs/sweep/: scenarios x design points x replicates) on the batched "
                   "engine, locally, on Ray or on SLURM; resumable; writes a Parquet dataset.",
        "keys": ["sweep", "executor", "sweep.replicates", "sweep.dry_run", "sweep.extend", "sweep.verify", "executor.workers",
                 "results_dir"],
        "examples": ["alignment-sweep", "alignment-sweep sweep=demo sweep.dry_run=true",
                     "alignment-sweep sweep=demo sweep.replicates=10 sweep.extend=true", "alignment-sweep sweep=demo sweep.verify=true",
                     "alignment-sweep sweep=demo executor=ray"],
    },
    "experiment": {
        "prog": "alignment-experiment", "module": "alignment.experiment.app", "config": "experiment",
        "summary": "Regenerate one figure and the CSV behind it (configs/experiment/NAME.yaml, code in experiments/NAME/) "
                   "into results/figures/; the sweeps it reads are reused when finished and run when missing.",
        "keys": ["experiment", "results_dir", "figures_dir", "executor", "executor.workers"],
        "examples": ["alignment-experiment experiment=alignment_history", "alignment-experiment experiment=sobol executor.workers=8",
                     "alignment-experiment experiment=unga_fit results_dir=outputs/mine"],
    },
}


def _yaml(path: Path) -> dict:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}


def _groups(config: dict) -> dict:
    """Group choices of a primary config's defaults list: {'scenario': 'historical', ...}."""
    out = {}
    for item in config.get("defaults", []):
        if isinstance(item, dict):
            out.update({k: v for k, v in item.items() if isinstance(v, str)})
    return out


def _lookup(tree, dotted: str):
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _schema_default(schema, dotted: str):
    node = schema
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(node):
            return None
        f = {f.name: f for f in dataclasses.fields(node)}.get(part)
        if f is None:
            return None
        value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        node = value
    return node


def default_of(command: str, key: str):
    """The value a key takes by default: the command's YAML, then its group files, then the schema."""
    from alignment import schema

    spec = COMMANDS[command]
    primary = _yaml(CONFIG_DIR / f"{spec['config']}.yaml")
    groups = _groups(primary)
    if key in groups:
        return groups[key]
    if key.startswith("hydra."):
        return _lookup(primary, key) or "(Hydra's)"
    value = _lookup(primary, key)
    if value is None:
        root = key.split(".", 1)[0]
        if root in groups:  # a value from the chosen group option, e.g. sweep.replicates from configs/sweep/demo.yaml
            option = _yaml(CONFIG_DIR / root / f"{groups[root]}.yaml")
            value = _lookup(option, key) if root in option else _lookup({root: option}, key)
    if value is None:
        value = _schema_default(schema.COMMAND_SCHEMAS[spec["config"]], key)
    return value


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def short_help(command: str) -> str:
    spec = COMMANDS[command]
    prog = spec["prog"]
    import textwrap

    usage = f"usage: {prog} [KEY=VALUE ...]" + ("    (-m KEY=A,B ... for a Hydra multirun)" if command == "run" else "")
    lines = [usage, "", *textwrap.wrap(spec["summary"], 100), "", "main keys (default):"]
    groups = _groups(_yaml(CONFIG_DIR / f"{spec['config']}.yaml"))
    for key in spec["keys"]:
        value = default_of(command, key)
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        if key in groups:
            text += f"    (options: {', '.join(_options(key))})"
        lines.append(f"  {key:<36} {text}")
    lines += ["", "examples:"] + [f"  {e}" for e in spec["examples"]]
    lines += ["", f"every key, with units and allowed ranges: docs/ODD.md; the full configuration: {prog} --cfg job",
              f"Hydra's own options (-cd, --multirun, --info): {prog} --hydra-help"]
    return "\n".join(lines)


def version_line() -> str:
    """``alignment X.Y.Z (mesa ..., hydra-core ..., numpy ...)`` from the installed packages' metadata (imports
    nothing)."""
    from importlib.metadata import PackageNotFoundError, version

    from alignment import __version__

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return f"alignment {__version__} (" + ", ".join(f"{n} {v(n)}" for n in ("mesa", "hydra-core", "numpy")) + ")"


def main_for(command: str, argv=None) -> None:
    """Run a command with ``argv`` (default: the command line): ``--help`` and ``--version`` answer at once, without
    composing anything; everything else goes to the command's module."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(a in ("--help", "-h") for a in argv):
        print(short_help(command))
        return
    if "--version" in argv:
        print(version_line())
        sys.exit(0)
    importlib.import_module(COMMANDS[command]["module"]).main(argv)


def _dispatch(command: str) -> None:
    main_for(command)


def run() -> None:
    _dispatch("run")


def calibrate() -> None:
    _dispatch("calibrate")


def infer() -> None:
    _dispatch("infer")


def forecast() -> None:
    _dispatch("forecast")


def validate() -> None:
    _dispatch("validate")


def sweep() -> None:
    _dispatch("sweep")


def experiment() -> None:
    _dispatch("experiment")
