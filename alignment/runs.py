"""From a composed config to a finished run directory.

``prepare`` checks everything a run needs before it starts and raises
:class:`ConfigError` on the first problem; ``simulate`` runs the model;
``write_run`` writes the outputs of the contract into a staging folder and
moves them into the run directory only when all are complete, with
``run.json`` last as the mark of a finished run.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from alignment import outputs
from alignment import schema as _schema
from alignment.checks import check_finite, check_range
from alignment.engine import Prepared, RunView, simulate as simulate_batch
from alignment.errors import ConfigError
from alignment.schema import ModelParams, RunConfig
from alignment.world import World, build_world
from alignment.world.calendar import format_month, parse_month
from alignment.world.scenario import load_events

if TYPE_CHECKING:
    from alignment.model import AlignmentModel

_schema_types = {name: getattr(_schema, name) for name in dir(_schema) if isinstance(getattr(_schema, name), type)}

EARLIEST_START = "2015-01"  # the world data's base year
LATEST_END = "2100-12"

_LENGTHS = {"kind_base_logits": (4,), "kind_cohesion_slopes": (4,), "level_probabilities": (4, 3),
            "external_kind_probabilities": (4,), "external_level_probabilities": (3,)}
_SHAPE_WORDS = {(4,): "four values: telegram, call, visit, meeting", (3,): "three values: president, prime minister, foreign minister",
                (4, 3): "four rows (telegram, call, visit, meeting) of three levels"}


def check_params(params: ModelParams, prefix: str = "model", only=None) -> None:
    """Every behavioural parameter finite and within the range the schema states beside its unit; list
    parameters of the right shape, probability rows summing to 1. ``only``: check just these fields (and the
    rules across fields), for parameters whose other fields were checked already (a sweep's points)."""
    for f in _FIELDS if only is None else [_FIELD[name] for name in only]:
        v = getattr(params, f.name)
        key = f"{prefix}.{f.name}"
        check_finite(v, key)  # values set after composition (sweeps, trials, scenario overrides) pass here too
        if f.name in _LENGTHS and np.shape(v) != _LENGTHS[f.name]:
            raise ConfigError(key, v, _SHAPE_WORDS[_LENGTHS[f.name]])
        check_range(key, v, f.metadata["range"], f.metadata["unit"])
        if f.metadata["unit"] == "probability":
            for row in np.reshape(v, (-1, np.shape(v)[-1])):
                if not np.isclose(row.sum(), 1.0):
                    raise ConfigError(key, v, "each row must be probabilities that sum to 1")
    if params.cohesion_similarity_weight + params.cohesion_intensity_weight > 1:
        raise ConfigError(f"{prefix}.cohesion_intensity_weight", params.cohesion_intensity_weight,
                          "cohesion_similarity_weight + cohesion_intensity_weight must be <= 1")


_FIELDS = fields(ModelParams)
_FIELD = {f.name: f for f in _FIELDS}


def check_known_keys(cfg, node=None, prefix: str = "") -> None:
    """Reject keys the schema does not know (``+key=value`` can add them past Hydra's own check)."""
    import dataclasses

    if node is None:
        schema = OmegaConf.get_type(cfg)
        node = schema if dataclasses.is_dataclass(schema) else RunConfig
    names = {f.name: f.type for f in dataclasses.fields(node)}
    for key in cfg.keys():
        path = f"{prefix}{key}"
        if key not in names:
            import difflib

            near = difflib.get_close_matches(str(key), list(names), n=1)
            raise ConfigError(path, cfg[key], "unknown key" + (f"; did you mean {prefix}{near[0]}?" if near else ""))
        sub = _schema_types.get(names[key]) if isinstance(names[key], str) else names[key]
        if dataclasses.is_dataclass(sub) and OmegaConf.is_dict(cfg[key]):
            check_known_keys(cfg[key], sub, f"{path}.")


def _apply_overrides(params: ModelParams, overrides) -> ModelParams:
    base = OmegaConf.structured(params)
    for key, value in (overrides or {}).items():
        try:
            OmegaConf.update(base, key, value, merge=False)
        except OmegaConfBaseException as exc:
            allowed = "unknown parameter" if "Key" in type(exc).__name__ or "not in" in str(exc) else str(exc).splitlines()[0]
            raise ConfigError(f"scenario.overrides.{key}", value, allowed) from None
    return OmegaConf.to_object(base)


def event_codes(world: World) -> dict:
    """The codes scenario events may name: states, every catalogued power, corridors, markets, institutions."""
    return {
        "states": list(world.states),
        "powers": [c for c, v in world.catalogue.items() if v["kind"] == "power"],
        "corridors": list(world.corridors),
        "bounded_corridors": [c for c, cap in zip(world.corridors, world.capacity_teu) if np.isfinite(cap)],
        "markets": list(world.markets),
        "institutions": list(world.institutions),
    }


def prepare(cfg: DictConfig) -> Prepared:
    """Check a composed run config and build what the model needs."""
    check_known_keys(cfg)
    for group in ("actors", "corridors", "world", "scenario"):  # the model's parameters: check_params, below
        check_finite(cfg[group], group)
    start = parse_month(cfg.horizon.start, "horizon.start")
    end = parse_month(cfg.horizon.end, "horizon.end")
    if start < parse_month(EARLIEST_START, "-"):
        raise ConfigError("horizon.start", cfg.horizon.start, f"must be {EARLIEST_START} or later (the world data starts there)")
    if end > parse_month(LATEST_END, "-"):
        raise ConfigError("horizon.end", cfg.horizon.end, f"must be {LATEST_END} or earlier")
    if end < start:
        raise ConfigError("horizon.end", cfg.horizon.end, f"must not be before horizon.start ({cfg.horizon.start})")
    if cfg.seed < 0:
        raise ConfigError("seed", cfg.seed, "must be a non-negative integer")
    params = OmegaConf.to_object(cfg.model)
    check_params(params)
    params = _apply_overrides(params, cfg.scenario.overrides)
    check_params(params, prefix="scenario.overrides")
    world = build_world(cfg.world, cfg.actors, cfg.corridors, params.gdp_growth_pct_per_year)
    events = load_events(cfg.scenario, event_codes(world), (start, end),
                         drop_later=cfg.horizon.drop_later_events)
    return Prepared(world, params, events, start, end, int(cfg.seed))


def build_model(cfg: DictConfig, prepared: Prepared | None = None) -> "AlignmentModel":
    """A ready-to-step model from a composed config (``prepared``: :func:`prepare`'s result for it, if made already)."""
    from alignment.model import AlignmentModel  # Mesa is imported by the runs that use it, not by sweeps

    p = prepared if prepared is not None else prepare(cfg)
    return AlignmentModel(p.world, p.params, p.events, p.start, p.end, seed=p.seed)


def run_batch(p: Prepared, params: list[ModelParams], seeds: list[int]) -> list[RunView]:
    """Finished runs of ``p``'s world, events and horizon, one per (parameter set, seed), stepped as one batch."""
    engine = simulate_batch(p.world, params, [p.events] * len(params), p.start, p.end, seeds)
    return [engine.view(b) for b in range(engine.B)]


def run_param_sets(p: Prepared, params: list[ModelParams], replicates: int) -> list[list[RunView]]:
    """For each parameter set, its finished runs for seeds 0..replicates-1; all sets x replicates as one batch.

    The same seeds for every parameter set (common random numbers): calibration trials, loss slices
    and the validation report compare parameters, not luck.
    """
    runs = run_batch(p, [q for q in params for _ in range(replicates)], list(range(replicates)) * len(params))
    return [runs[n * replicates:(n + 1) * replicates] for n in range(len(params))]


def run_replicates(p: Prepared, replicates: int, params: ModelParams | None = None) -> list[RunView]:
    """Finished runs for seeds 0..replicates-1, with ``params`` in place of ``p.params`` if given, as one batch."""
    return run_param_sets(p, [p.params if params is None else params], replicates)[0]


def simulate(cfg: DictConfig, prepared: Prepared | None = None) -> "AlignmentModel":
    """Build and run the model to the end of the horizon."""
    return build_model(cfg, prepared).run()


def summary_table(ts, led):
    """A few headline numbers by year: what a reader checks first."""
    import pandas as pd

    years = [y for y in (2015, 2019, 2021, 2023, 2025, 2030, 2035) if y in set(ts["year"].unique())]
    ann = ts[ts["year"].isin(years)]

    def mean_of(indicator, **eq):
        d = ann[ann["indicator"] == indicator]
        for k, v in eq.items():
            d = d[d[k] == v]
        return d.groupby("year")["value"].mean()

    trade = ann[ann["indicator"] == "trade_usd_bn"]
    by_partner = trade.groupby(["year", "partner"])["value"].sum().unstack()
    china_share = by_partner.get("CHN", 0) / by_partner.sum(axis=1)
    w = ann[ann["indicator"] == "alignment_weight"]
    intra = led[led["intraregional"]].groupby("year").size()
    table = pd.DataFrame(
        {
            "multialignment (mean)": mean_of("multialignment_index"),
            "max weight": w.groupby("year")["value"].max(),
            "CHN share of C5 trade": china_share,
            "MIDDLE Mt/yr": mean_of("corridor_volume_mt", entity="MIDDLE"),
            "NORTHERN Mt/yr": mean_of("corridor_volume_mt", entity="NORTHERN"),
            "cohesion": mean_of("cohesion"),
            "C5 interactions": intra.reindex(years).fillna(0).astype(int),
        }
    )
    return table.round(3)


def _versions() -> dict:
    """Versions of the packages a run depends on, for the manifest."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("alignment", "mesa", "numpy", "pandas", "pyarrow", "hydra-core", "seaborn"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
            out[name] = "unknown"
    return out


def write_run(model, cfg: DictConfig, run_dir: Path, figures: bool = True) -> dict:
    """Write the run's outputs into ``run_dir`` atomically; returns the manifest."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").unlink(missing_ok=True)  # the run is not finished until a new one is written
    ts = outputs.timeseries_frame(model)
    led = outputs.interactions_frame(model)
    with outputs.staged(run_dir) as stage:
        outputs.write_timeseries(ts, stage / "timeseries.parquet")
        outputs.write_interactions(led, stage / "interactions.parquet")
        outputs.atomic_write_text(OmegaConf.to_yaml(cfg, resolve=True), stage / "config.yaml")
        if figures:
            from alignment import figures as figs  # matplotlib and seaborn: about a second, only when drawing

            figs.draw_run(ts, led, stage / "figures")
        written = sorted(item.name for item in stage.iterdir())
    manifest = {
        "schema": outputs.SCHEMA_VERSION,
        "scenario": cfg.scenario.name,
        "seed": int(cfg.seed),
        "horizon": [format_month(model.start), format_month(model.end)],
        "rows": {"timeseries": len(ts), "interactions": len(led)},
        "files": written + ["run.json"],
        "versions": _versions(),
    }
    outputs.atomic_write_text(json.dumps(manifest, indent=2) + "\n", run_dir / "run.json")
    return {"manifest": manifest, "timeseries": ts, "interactions": led}
