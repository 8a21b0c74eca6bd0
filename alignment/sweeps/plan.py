"""A sweep's plan: every run it stands for, checked before anything runs.

A run is a scenario x a design point x a replicate. Its id is a stable key of the
scenario, the point's parameter values and the replicate, so adding points or
replicates never changes a finished run; its seed comes from ``sweep.seed`` and the
replicate alone, so replicate r meets the same random numbers at every design point
(common random numbers). Each run carries the ``alignment-run`` overrides that
reproduce it. Runs that share a world (the scenario and any world-level parameter,
e.g. ``actors.powers.EU.investment_usd_bn_per_year``) form a group; a batch is a slice
of one group, so its runs share world, horizon and timeline and differ in ``model.*``
parameters and seeds.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import typing
from dataclasses import dataclass

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from alignment.checks import check_range
from alignment.rng import replicate_seed
from alignment.errors import ConfigError
from alignment.runs import Prepared, _apply_overrides, check_params, event_codes, prepare
from alignment.world import build_world
from alignment.world.scenario import load_events
from alignment.schema import ModelParams, model_field
from alignment.sweeps import design as design_m
from alignment.sweeps.summaries import UNITS

# parts of the run config a command line may change for every run of a sweep (kept for reproduction)
RUN_ROOTS = ("horizon", "world", "actors", "corridors", "model")
WORLD_ROOTS = ("world", "actors", "corridors")  # a parameter here changes the world: its values make groups


@dataclass(frozen=True)
class Run:
    run_id: str
    point_id: str
    point: int  # row of the design
    scenario: str
    replicate: int
    seed: int
    values: tuple  # ((key, value), ...) in the order of the plan's keys
    overrides: str  # alignment-run overrides that reproduce the run


@dataclass
class Group:
    """Runs that share a world, a horizon and a timeline."""

    scenario: str
    prepared: Prepared  # world, events, horizon of the group
    model_params: ModelParams  # the configured model parameters, before sweep values and the scenario's overrides
    scenario_overrides: dict  # the scenario's own parameter overrides, applied last (as alignment-run does)

    def params(self, values: dict) -> ModelParams:
        """A run's parameters: the sweep's model values, then the scenario's overrides, checked as alignment-run checks them."""
        q = dataclasses.replace(self.model_params, **values) if values else self.model_params
        check_params(q, only=values)  # the rest was checked once, with the run config
        if self.scenario_overrides:
            q = dataclasses.replace(q, **self.scenario_overrides)
            check_params(q, prefix="scenario.overrides", only=self.scenario_overrides)
        return q


@dataclass
class Plan:
    name: str
    keys: list  # swept parameters, in config order
    design: pd.DataFrame  # one row per design point in sampler order: point and one column per key
    problem: dict  # SALib problem of the ranged parameters
    runs: list  # of Run, scenario-major, then point, then replicate
    groups: dict  # group key -> Group
    run_group: list  # group key of each run
    indicators: list
    years: list | None
    batch_size: int
    base_overrides: list  # the command line's changes to the run config, in every run's overrides
    repeated: int = 0  # design rows that repeat an earlier point of their scenario (Morris trajectories meet): run once

    def batches(self, todo: set) -> list[tuple[str, list]]:
        """The runs still to do as (group key, runs) batches of at most ``batch_size``, in plan order."""
        out, current, key = [], [], None
        for run, g in zip(self.runs, self.run_group):
            if run.run_id not in todo:
                continue
            if current and (g != key or len(current) == self.batch_size):
                out.append((key, current))
                current = []
            current.append(run)
            key = g
        if current:
            out.append((key, current))
        return out


def _stable_id(text: str, n: int = 12) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:n]


def _format(value) -> str:
    return repr(int(value)) if isinstance(value, (int, np.integer)) else repr(float(value))


def _numeric_model_fields() -> dict:
    hints = typing.get_type_hints(ModelParams)
    return {n: t for n, t in hints.items() if t in (float, int)}


def check_key(cfg, key: str, spec) -> type:
    """The type (int or float) of a sweepable config key; ConfigError if the model does not have it."""
    where = f"sweep.parameters.{key}"
    root, _, leaf = key.partition(".")
    if root == "model":
        fields = _numeric_model_fields()
        if leaf not in fields:
            near = difflib.get_close_matches(leaf, list(fields), n=1)
            hint = f"did you mean model.{near[0]}?" if near else "see docs/ODD.md for the model's parameters"
            raise ConfigError(where, spec, f"not a numeric model parameter; {hint}")
        meta = model_field(leaf).metadata
        for end in ("low", "high", "values"):
            if isinstance(spec, dict) and end in spec:
                check_range(f"{where}.{end}", spec[end], meta["range"], meta["unit"])
        return fields[leaf]
    if root not in WORLD_ROOTS:
        raise ConfigError(where, spec, "only model.*, actors.*, corridors.* and world.* values can be swept; scenarios go in "
                                       "sweep.scenarios and seeds come from sweep.seed and sweep.replicates")
    value = OmegaConf.select(cfg, key, default=None, throw_on_missing=False)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(where, spec, "not a numeric value of the config" + (" (no such key)" if value is None else ""))
    return type(value)


def _world_with(cfg, values: dict, gdp_growth_pct_per_year: float):
    """The world built with some world-level values changed (only the config groups they are in are copied)."""
    nodes = {root: cfg[root] for root in WORLD_ROOTS}
    for root in {key.split(".", 1)[0] for key in values}:
        nodes[root] = copy.deepcopy(cfg[root])
    for key, value in values.items():
        root, _, rest = key.partition(".")
        OmegaConf.update(nodes[root], rest, value)
    return build_world(nodes["world"], nodes["actors"], nodes["corridors"], gdp_growth_pct_per_year)


def make_plan(cfg, scenario_cfgs: dict, base_overrides: list) -> Plan:
    """Check the sweep config and expand it into runs.

    Args:
        cfg: the composed sweep config (a run config plus ``sweep``).
        scenario_cfgs: scenario name -> its composed ``scenario`` node.
        base_overrides: the command line's overrides of the run config (kept in every run's overrides).
    """
    sw = cfg.sweep
    if sw.replicates < 1:
        raise ConfigError("sweep.replicates", sw.replicates, "must be >= 1")
    if sw.batch_size < 1:
        raise ConfigError("sweep.batch_size", sw.batch_size, "must be >= 1")
    if sw.seed < 0:
        raise ConfigError("sweep.seed", sw.seed, "must be a non-negative integer")
    if not sw.name or "/" in sw.name or sw.name.startswith("."):
        raise ConfigError("sweep.name", sw.name, "a folder name: not empty, no '/', not starting with '.'")
    indicators = list(sw.summaries.indicators)
    if not indicators:
        raise ConfigError("sweep.summaries.indicators", indicators, "name at least one; known: " + ", ".join(UNITS))
    for n, name in enumerate(indicators):
        if name not in UNITS:
            raise ConfigError(f"sweep.summaries.indicators[{n}]", name, "unknown indicator; known: " + ", ".join(UNITS))
    parameters = design_m.flatten(OmegaConf.to_container(sw.parameters))
    if sw.design.sampler == "posterior":
        if parameters:
            raise ConfigError("sweep.parameters", parameters, "the posterior sampler varies the parameters of its posterior "
                                                              "file (its columns); leave sweep.parameters empty")
        drawn = design_m.posterior_points(sw.design.posterior, sw.design.n, sw.seed)
        drawn = drawn[design_m.varied_columns(drawn)]
        space = {key: ("range", float(drawn[key].min()), float(drawn[key].max()), False) for key in drawn.columns}
        for key in space:
            try:
                check_key(cfg, key, {"low": space[key][1], "high": space[key][2]})
            except ConfigError as exc:
                raise ConfigError("sweep.design.posterior", str(sw.design.posterior),
                                  f"column {key}: {exc.allowed}") from None
        types = {key: float for key in space}
        table = drawn
    else:
        space = design_m.check_parameters(parameters, sw.design.sampler)
        types = {key: check_key(cfg, key, parameters[key]) for key in space}
        table = design_m.points(space, sw.design.sampler, sw.design.n, sw.design.levels, sw.design.second_order, sw.seed)
    for key, t in types.items():
        if t is int:
            table[key] = np.round(table[key]).astype(np.int64)
    table.insert(0, "point", np.arange(len(table)))

    keys = list(space)
    model_keys = [k for k in keys if k.startswith("model.")]
    world_keys = [k for k in keys if not k.startswith("model.")]
    base = prepare(cfg)  # the run config (horizon, world, model) checked once, the world built once
    model_params = OmegaConf.to_object(cfg.model)
    codes = event_codes(base.world)
    worlds = {(): base.world}
    groups, runs, run_group, seen, repeated = {}, [], [], set(), 0
    for scenario, scen in scenario_cfgs.items():
        events = load_events(scen, codes, (base.start, base.end), drop_later=cfg.horizon.drop_later_events)
        changed = _apply_overrides(model_params, scen.overrides)
        check_params(changed, prefix="scenario.overrides")
        scenario_overrides = {k: getattr(changed, k) for k in (scen.overrides or {})}
        for world_values, rows in (table.groupby(world_keys, sort=False) if world_keys else [((), table)]):
            world_values = tuple(v.item() if hasattr(v, "item") else v for v in (world_values if isinstance(world_values, tuple) else (world_values,)))
            if world_values not in worlds:
                worlds[world_values] = _world_with(cfg, dict(zip(world_keys, world_values)), changed.gdp_growth_pct_per_year)
            prepared = Prepared(worlds[world_values], changed, events, base.start, base.end, 0)
            group = Group(scenario, prepared, model_params, scenario_overrides)
            gkey = _stable_id(f"{scenario}|" + "|".join(f"{k}={_format(v)}" for k, v in zip(world_keys, world_values)))
            groups[gkey] = group
            for record in rows.to_dict("records"):
                point = int(record["point"])
                values = tuple((k, record[k]) for k in keys)
                group.params({k[len("model."):]: v for k, v in values if k in model_keys})  # checked now, before any run
                point_key = f"{scenario}|" + "|".join(f"{k}={_format(v)}" for k, v in values)
                point_id = _stable_id(point_key)
                if point_id in seen:  # the same runs again: a dataset holds each run once (its point: the first row)
                    repeated += 1
                    continue
                seen.add(point_id)
                for r in range(sw.replicates):
                    seed = replicate_seed(sw.seed, r)
                    overrides = " ".join(list(base_overrides) + [f"scenario={scenario}"]
                                         + [f"{k}={_format(v)}" for k, v in values] + [f"seed={seed}"])
                    runs.append(Run(f"{point_id}-{r}", point_id, point, scenario, r, seed, values, overrides))
                    run_group.append(gkey)
    years = None if sw.summaries.years is None else [int(y) for y in sw.summaries.years]
    if years is not None:
        first, last = base.start // 12, base.end // 12
        for n, y in enumerate(years):
            if not first <= y <= last:
                raise ConfigError(f"sweep.summaries.years[{n}]", y, f"outside the horizon's years {first}..{last}")
    return Plan(sw.name, keys, table, design_m.salib_problem(space) if sw.design.sampler in ("latin", "sobol", "morris") else {},
                runs, groups, run_group, indicators, years, int(sw.batch_size), list(base_overrides), repeated)
