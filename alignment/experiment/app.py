"""alignment-experiment: one figure and its data, regenerated from configs/experiment/NAME.yaml.

Everything is checked before any run: the experiment's code exists, every sweep it names exists and
keeps the indicators it reads, every sweep plans (its scenarios compose, its ranges are allowed), a
sweep folder of another design is refused, and the figure's own options pass its ``check``.
Then sweeps with runs missing or damaged are run (finished ones are reused: a rerun computes nothing),
the table is made from the summaries of exactly the runs its sweep configs stand for (a folder extended
beyond them is read in part), the figure is drawn from the table, and both are written together.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from alignment.checks import check_writable_dir
from alignment.cli import CONFIG_DIR, _explain, _group_options, command_line_overrides, compose_config, console_entry
from alignment.errors import ConfigError
from alignment.experiment.data import ExperimentData, SweepInput
from alignment.experiment.plotting import PNG_METADATA, close
from alignment.outputs import staged
from alignment.sweeps.cli import meet, prepare_sweep, run_sweep, status
from alignment.sweeps.store import read_runs, sweep_dir
from alignment.sweeps.summaries import UNITS

PROG = "alignment-experiment"
EXPERIMENTS_DIR = CONFIG_DIR.parent / "experiments"


def _compose(config_name: str, overrides: list):
    """Another command's config, composed inside this app (its search path) or on its own."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():
        from alignment.schema import register_configs

        register_configs(config_name)
        return compose(config_name, overrides=overrides)
    return compose_config(overrides, config_name=config_name)


def load_code(name: str):
    """The module experiments/NAME/figure.py, which must define ``table(data, options)`` and ``draw(table, options, data)``."""
    path = EXPERIMENTS_DIR / name / "figure.py"
    if not path.is_file():
        raise ConfigError("experiment.name", name, f"no code for this experiment: {path} not found "
                                                   f"(experiments: {', '.join(_group_options('experiment', None))})")
    spec = importlib.util.spec_from_file_location(f"experiments.{name}.figure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fn in ("table", "draw"):
        if not callable(getattr(module, fn, None)):
            raise ConfigError("experiment.name", name, f"{path} defines no {fn}() function")
    return module


def sweep_input(cfg: DictConfig, name: str, indicators) -> SweepInput:
    """The sweep ``name`` composed with this command's results folder and executor, checked and planned."""
    where = f"experiment.sweeps.{name}"
    try:
        scfg = _compose("sweep", [f"sweep={name}"])
    except Exception as exc:  # noqa: BLE001 - Hydra's MissingConfigException and friends
        why = _explain(exc, f"sweep={name}", "sweep")
        if why.key == "sweep" and why.value == name:
            raise ConfigError(where, list(indicators or []), "unknown sweep; known: " + ", ".join(_group_options("sweep", None))) from None
        raise why from None
    indicators = list(indicators or [])
    if not indicators:
        raise ConfigError(where, indicators, "name the indicators the figure reads from this sweep, e.g. [alignment_weight]")
    with open_dict(scfg):
        scfg.results_dir, scfg.progress, scfg.executor = cfg.results_dir, cfg.progress, cfg.executor
    kept = list(scfg.sweep.summaries.indicators)
    for n, indicator in enumerate(indicators):
        if indicator not in UNITS:
            raise ConfigError(f"{where}[{n}]", indicator, "unknown indicator; known: " + ", ".join(UNITS))
        if indicator not in kept:
            raise ConfigError(f"{where}[{n}]", indicator, f"sweep '{name}' does not keep it (it keeps: {', '.join(kept)}); "
                                                          f"add it to sweep.summaries.indicators in configs/sweep/{name}.yaml")
    plan = prepare_sweep(scfg, overrides=[])
    root = sweep_dir(cfg.results_dir, plan.name)
    meet(scfg, plan, root, hint=f"extend it first with `alignment-sweep sweep={name} sweep.extend=true`")  # reads only
    return SweepInput(name, scfg, plan, root, indicators)


def _ensure(s: SweepInput) -> None:
    """Run what the sweep is missing (nothing if it is finished), then refuse a sweep with failed runs."""
    _, check, todo = status(s.cfg, s.plan)  # every shard checked: a damaged batch is computed again
    if todo or check.damaged:
        print(f"{PROG}: sweep '{s.name}': {len(todo)} of {len(s.plan.runs)} runs to compute", flush=True)
        run_sweep(s.cfg, overrides=[], plan=s.plan)
    else:
        print(f"{PROG}: sweep '{s.name}': all {len(s.plan.runs)} runs found in {s.root}; reused", flush=True)
    runs = read_runs(s.root)
    failed = runs[(runs["status"] == "failed") & runs["run_id"].isin({r.run_id for r in s.plan.runs})]
    if len(failed):
        raise ConfigError(f"experiment.sweeps.{s.name}", list(s.indicators), f"{len(failed)} runs failed (first: {failed.iloc[0]['error']}); "
                                                                            f"see {s.root / 'runs'}")


def check_options(name: str, options: dict, overrides=None) -> None:
    """The figure's options as the command line may change them: no new option (Hydra accepts ``+key=value``
    for any key, and the figure would ignore it), and a value of the kind its config gives (a number for a
    number, a list for a list, ...); the figure's ``check`` then checks what the values mean."""
    import difflib

    added = {o.lstrip("+").split("=", 1)[0].split(".", 2)[2] for o in command_line_overrides(overrides)
             if o.startswith("+") and o.lstrip("+").startswith("experiment.options.") and "=" in o}
    for key in (k for k in added if "." not in k):  # a new entry inside an option (a mark, a case) is the option's own
        known = [k for k in options if k not in added]
        near = difflib.get_close_matches(key, known, n=1)
        raise ConfigError(f"experiment.options.{key}", options[key], f"not an option of experiment '{name}'"
                          + (f"; did you mean {near[0]}?" if near else "") + f" (options: {', '.join(known)})")
    declared = _declared_options(name)
    kinds = {bool: "true or false", int: "a number", float: "a number", str: "a name or text", list: "a list [..]",
             dict: "a mapping {..}"}
    for key, value in options.items():
        if key not in declared or declared[key] is None or value is None:
            continue
        want = type(declared[key])
        number = want in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (number or type(value) is want or (want is float and type(value) is int)):
            raise ConfigError(f"experiment.options.{key}", value, f"expected {kinds.get(want, want.__name__)}, like the "
                                                                  f"experiment's default {declared[key]!r}")
    if "band" in options and not 0 < float(options["band"]) < 1:  # every figure's band: the central share of the runs
        raise ConfigError("experiment.options.band", options["band"], "a fraction in (0, 1), e.g. 0.9")


def _declared_options(name: str) -> dict:
    """The options as configs/experiment/NAME.yaml declares them ({} for an experiment from another config folder)."""
    import yaml

    path = CONFIG_DIR / "experiment" / f"{name}.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("options") or {} if path.exists() else {}


def run_experiment(cfg: DictConfig, overrides=None) -> dict:
    """Check everything, run the missing sweeps, write NAME.csv and NAME.png; returns their paths."""
    name = cfg.experiment.name
    code = load_code(name)
    figures_dir = Path(cfg.figures_dir or Path(cfg.results_dir) / "figures")
    check_writable_dir("figures_dir", str(figures_dir))
    check_writable_dir("results_dir", cfg.results_dir)
    if not cfg.experiment.sweeps:
        raise ConfigError("experiment.sweeps", {}, "name at least one sweep (configs/sweep/) and the indicators read from it")
    inputs = {n: sweep_input(cfg, n, ind) for n, ind in cfg.experiment.sweeps.items()}
    data = ExperimentData(inputs, targets=lambda: _compose("validate", []).targets)
    options = OmegaConf.to_container(cfg.experiment.options, resolve=True)
    check_options(name, options, overrides)
    if callable(getattr(code, "check", None)):
        code.check(data, options)  # the figure's own options: ConfigError before any run
    for s in inputs.values():
        _ensure(s)
    table = code.table(data, options)
    fig = code.draw(table, options, data)
    csv, png = figures_dir / f"{name}.csv", figures_dir / f"{name}.png"
    try:
        with staged(figures_dir) as stage:  # both files, or neither
            table.to_csv(stage / csv.name, index=False, float_format="%.6g")
            fig.savefig(stage / png.name, dpi=120, bbox_inches="tight", metadata=PNG_METADATA)
    finally:
        close(fig)
    print(f"{PROG}: wrote {png} and {csv} ({len(table)} rows)")
    return {"png": png, "csv": csv, "table": table}


main = console_entry(PROG, "experiment", run_experiment, validate=lambda cfg: None, direct=True)


if __name__ == "__main__":
    main()
