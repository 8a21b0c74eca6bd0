"""The Python API: a run and a sweep as function calls, for notebooks and scripts.

The commands are faces of the same code: a keyword argument is turned into the override the command line would
take (``model={"temperature": 2}`` is ``model.temperature=2``), composed and checked as ``alignment-run`` and
``alignment-sweep`` compose and check it, so a bad value gives the same one-line
:class:`~alignment.errors.ConfigError` (raised, not printed) and the same result comes out.

    >>> import alignment
    >>> r = alignment.run(scenario="no_war_2022", seed=3, horizon={"end": "2025-12", "drop_later_events": True})
    >>> r.timeseries.query("indicator == 'alignment_weight' and entity == 'KAZ'").head()
"""

from __future__ import annotations

import difflib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from alignment.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from omegaconf import DictConfig

    from alignment.model import AlignmentModel

_PLAIN = re.compile(r"^[A-Za-z0-9_./:+-]+$")


def override_value(value: Any) -> str:
    """A Python value as Hydra's override grammar writes it: 2.5, true, null, 'text', [a,b], {k:v}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{override_value(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "item"):  # a numpy scalar
        return override_value(value.item())
    raise ConfigError("override", value, f"a number, string, boolean, None, list or mapping, not {type(value).__name__}")


def overrides_of(prefix: str, value: Any) -> list[str]:
    """``model={"temperature": 2}`` -> ["model.temperature=2"]: nested mappings become dotted keys."""
    if isinstance(value, Mapping):
        if not value:
            return []
        return [o for k, v in value.items() for o in overrides_of(f"{prefix}.{k}", v)]
    return [f"{prefix}={override_value(value)}"]


def _refuse_unknown(unknown: dict, known: Iterable[str], where: str) -> None:
    for name, value in unknown.items():
        near = difflib.get_close_matches(name, list(known), n=1)
        hint = f"did you mean {near[0]}?" if near else "known: " + ", ".join(known)
        raise ConfigError(name, value, f"unknown keyword argument of {where}; {hint}")


def _choice(key: str, value) -> str:
    """A config group's choice (scenario=no_war_2022): a plain name."""
    if not isinstance(value, str) or not _PLAIN.match(value):
        raise ConfigError(key, value, "the name of a config file of that group (e.g. historical)")
    return f"{key}={value}"


def compose(config_name: str, overrides: list[str], config_dir: str | Path | None = None) -> "DictConfig":
    """Compose and check a config as the command of ``config_name`` does (alignment.cli.compose_config), with the
    commands' one-line errors."""
    from alignment.cli import _explain, _find_culprit, compose_config

    try:
        return compose_config(overrides, config_dir, config_name=config_name)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - Hydra and OmegaConf raise many types
        raise _explain(exc, _find_culprit(tuple(overrides), config_dir, config_name), config_name) from None


@dataclass
class RunResult:
    """A finished run: its tables (as ``alignment-run`` writes them), its config and the Mesa model."""

    config: "DictConfig"
    model: "AlignmentModel" = field(repr=False)
    timeseries: "pd.DataFrame" = field(repr=False)  # timeseries.parquet: one row per month (or year), indicator, entity, partner
    interactions: "pd.DataFrame" = field(repr=False)  # interactions.parquet: one row per interaction

    def __repr__(self) -> str:
        c = self.config
        return (f"RunResult(scenario={c.scenario.name!r}, seed={c.seed}, horizon={c.horizon.start}..{c.horizon.end}, "
                f"{len(self.timeseries):,} timeseries rows, {len(self.interactions):,} interactions)")

    def to_xarray(self) -> "xr.Dataset":
        """The timeseries as an xarray Dataset: one variable per indicator over (date, entity[, partner]), its unit
        in the variable's attributes (yearly indicators are NaN in the months between their yearly values)."""
        import xarray as xr

        ts = self.timeseries
        out = {}
        for name, sub in ts.groupby("indicator", observed=True, sort=False):
            dims = ["date", "entity"] + (["partner"] if sub["partner"].notna().any() else [])
            arr = sub.set_index(dims)["value"].to_xarray()
            arr.attrs["unit"] = str(sub["unit"].iloc[0])
            out[str(name)] = arr
        return xr.Dataset(out, attrs={"scenario": str(self.config.scenario.name), "seed": int(self.config.seed)})

    def save(self, folder: str | Path, figures: bool = False) -> Path:
        """Write the run directory alignment-run writes (timeseries.parquet, interactions.parquet, config.yaml,
        run.json; the figures with ``figures=True``) into ``folder``."""
        from alignment.runs import write_run

        write_run(self.model, self.config, Path(folder), figures=figures)
        return Path(folder)


RUN_GROUPS = ("horizon", "model", "actors", "corridors", "world", "outputs")


def run(scenario: str = "historical", seed: int | None = None, *, horizon: Mapping | None = None, model: Mapping | None = None,
        actors: Mapping | None = None, corridors: Mapping | None = None, world: Mapping | None = None,
        overrides: Iterable[str] = (), config_dir: str | Path | None = None, **unknown) -> RunResult:
    """One run of the model, as ``alignment-run`` makes it (without writing anything).

    Args:
        scenario: a scenario of configs/scenario/ (or of ``config_dir``/scenario/).
        seed: the run's seed (all randomness flows from it); None: the configured default, 42, a typical run
            (``alignment.analysis.typical``).
        horizon: e.g. ``{"start": "2015-01", "end": "2025-12"}``; ``drop_later_events: True`` leaves out events
            after the end.
        model: values of the ``model`` group, nested as in the config (``{"temperature": 2.0}``); every parameter is
            listed with its unit and range on the alignment-run page.
        actors: values of the ``actors`` group (``{"states": {"KAZ": {"threat_response": 0.5}}}``).
        corridors: values of the ``corridors`` group (``{"routes": {"MIDDLE": {"capacity_teu": 90000}}}``).
        world: values of the ``world`` config (``{"powers": [...]}``, ``{"data": "path/to/data.yaml"}``).
        overrides: further overrides as the command line writes them (``["model.noise_scale=0"]``).
        config_dir: a folder of your own configs, searched before configs/ (as ``alignment-run -cd``).

    Returns:
        A :class:`RunResult`; ``.timeseries`` and ``.interactions`` equal what ``alignment-run`` writes.

    Raises:
        ConfigError: a bad value, with the key, the value and what is allowed (as the command's message).
    """
    from alignment import outputs
    from alignment.runs import simulate

    _refuse_unknown(unknown, ["scenario", "seed", *RUN_GROUPS[:-1], "overrides", "config_dir"], "alignment.run")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError("seed", seed, "must be a non-negative integer")
    ov = [_choice("scenario", scenario)]  # the seed is set after composing: runs that differ by seed compose once
    for name, value in (("horizon", horizon), ("model", model), ("actors", actors), ("corridors", corridors), ("world", world)):
        if value is not None and not isinstance(value, Mapping):
            raise ConfigError(name, value, f"a mapping of {name} keys to values, e.g. {{'end': '2025-12'}}" if name == "horizon"
                              else f"a mapping of {name} keys to values")
        ov += overrides_of(name, value or {})
    ov += list(overrides)
    cfg = compose("run", ov, config_dir)
    if seed is not None:
        cfg.seed = seed
    m = simulate(cfg)
    return RunResult(cfg, m, outputs.as_stored(outputs.timeseries_frame(m), outputs.TIMESERIES_SCHEMA),
                     outputs.as_stored(outputs.interactions_frame(m), outputs.INTERACTIONS_SCHEMA))


def _sweep_overrides(sweep, config_dir) -> tuple[list[str], str | None]:
    """(overrides choosing the sweep, a temporary config dir holding it when given as a mapping)."""
    if isinstance(sweep, str):
        return [_choice("sweep", sweep)], None
    if not isinstance(sweep, Mapping):
        raise ConfigError("sweep", sweep, "the name of a sweep of configs/sweep/ (e.g. demo), or a mapping as such a file's "
                                          "`sweep:` block (name, scenarios, parameters, design, replicates, summaries)")
    if config_dir is not None:
        raise ConfigError("config_dir", str(config_dir), "give a sweep as a mapping or a config_dir of your own, not both")
    import yaml

    name = sweep.get("name")
    if not isinstance(name, str) or not _PLAIN.match(name) or "/" in name:
        raise ConfigError("sweep.name", name, "a sweep given as a mapping needs a name (a word: its folder under results_dir/sweeps/)")
    tmp = tempfile.mkdtemp(prefix="alignment-sweep-")
    (Path(tmp) / "sweep").mkdir()
    text = "# @package _global_\n" + yaml.safe_dump({"sweep": _plain(sweep)}, sort_keys=False)
    (Path(tmp) / "sweep" / f"_api_{name}.yaml").write_text(text, encoding="utf-8")
    return [f"sweep=_api_{name}"], tmp


def _plain(value):
    """Mappings and lists as plain dicts and lists (an OmegaConf node or a tuple given in)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def sweep(sweep: str | Mapping = "demo", *, results_dir: str | Path = "results", executor: str = "local",
          workers: int | None = None, replicates: int | None = None, extend: bool = False, progress: bool = True,
          lazy: bool = False, overrides: Iterable[str] = (), **unknown):
    """Run a sweep as ``alignment-sweep`` does (resumable: what is in the folder already is kept) and return its
    dataset: one row per run, year, indicator, entity and partner, with the run's scenario, point, replicate,
    seed and swept parameter values.

    Args:
        sweep: a sweep of configs/sweep/ by name, or a mapping as such a file's ``sweep:`` block.
        results_dir: where ``sweeps/<name>/`` is written (and read, if finished).
        executor: ``local``, ``ray`` or ``slurm`` (configs/executor/).
        workers: how many workers the executor runs (default: every core, locally).
        replicates: as ``sweep.replicates`` (default: the sweep's own).
        extend: as ``sweep.extend``: let a larger design or more replicates grow a finished folder.
        progress: a progress bar on stderr.
        lazy: a DuckDB relation over the dataset's Parquet files instead of a pandas frame (needs duckdb).
        overrides: further overrides as the command line writes them (``["sweep.design.n=8"]``).

    Raises:
        ConfigError: a bad value (the command's one-line message); StorageError: a folder that cannot be written.
    """
    import shutil

    from alignment.sweeps.cli import run_sweep

    _refuse_unknown(unknown, ["sweep", "results_dir", "executor", "workers", "replicates", "extend", "progress", "lazy",
                              "overrides"], "alignment.sweep")
    ov, tmp = _sweep_overrides(sweep, None)
    try:
        ov += [_choice("executor", executor), f"results_dir={override_value(str(results_dir))}",
               f"progress={override_value(bool(progress))}", f"sweep.extend={override_value(bool(extend))}"]
        if workers is not None:
            ov.append(f"executor.workers={override_value(workers)}")
        if replicates is not None:
            ov.append(f"sweep.replicates={override_value(replicates)}")
        ov += list(overrides)
        cfg = compose("sweep", ov, tmp)
        if tmp is not None:  # the sweep from the mapping, composed: the scenarios it names come from configs/
            out = run_sweep(cfg, overrides=[o for o in ov if not o.startswith("sweep=_api_")])
        else:
            out = run_sweep(cfg, overrides=ov)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return dataset(out["root"], lazy=lazy)


def dataset(root: str | Path, lazy: bool = False):
    """The dataset of a sweep folder (``results/sweeps/NAME``): its summary rows (run, scenario, seed, replicate, swept
    values, indicator, entity, partner, year, value, unit), with each run's design point and status."""
    from alignment.sweeps.store import read_runs, read_summaries

    root = Path(root)
    runs = read_runs(root)[["run_id", "point_id", "point", "status"]]  # the summaries carry scenario, seed, values
    if lazy:
        try:
            import duckdb
        except ImportError:
            raise ConfigError("lazy", True, "needs duckdb (pip install duckdb); lazy=False gives a pandas frame") from None
        con = duckdb.connect()
        summaries = con.read_parquet(str(root / "summaries" / "*.parquet"))
        return summaries.join(con.from_df(runs), "run_id")
    return read_summaries(root).merge(runs, on="run_id", how="inner", sort=False)
