"""The model as an EMA Workbench model, so that EMA's experiments, evaluators and scenario discovery drive it.

    >>> from ema_workbench import perform_experiments
    >>> import alignment
    >>> m = alignment.ema.model(outcomes=["alignment_weight:*:RUS@2025", "multialignment_index:KAZ@2025"],
    ...                         replications=3)
    >>> experiments, outcomes = perform_experiments(m, scenarios=20)

An uncertainty is a numeric model parameter (``temperature``: ``model.temperature``) with a range; by default the
searched parameters of configs/search/default.yaml with their ranges (the calibration's prior). An outcome is
``INDICATOR[:ENTITY[:PARTNER]]@YEAR``: the yearly mean of a timeseries indicator (alignment.indicators), for one
entity and partner, ``*`` (or nothing) for the mean over all of them. Each experiment is one run of the batched
engine; with ``replications`` the model is EMA's ``ReplicatorModel`` and replication k runs seed k.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from alignment.errors import ConfigError

_OUTCOME = re.compile(r"^(?P<indicator>[a-z_]+)(?::(?P<entity>[A-Za-z0-9_*]+))?(?::(?P<partner>[A-Za-z0-9_*]+))?@(?P<year>\d{4})$")
DEFAULT_OUTCOMES = ("alignment_weight:*:RUS@2025", "alignment_weight:*:CHN@2025", "multialignment_index@2025",
                    "corridor_volume_mt:MIDDLE@2025")


@dataclass(frozen=True)
class Outcome:
    """One scalar a run gives: the yearly mean of ``indicator`` in ``year``, for ``entity`` and ``partner``
    (None: the mean over all)."""

    name: str
    indicator: str
    entity: str | None
    partner: str | None
    year: int

    @classmethod
    def parse(cls, text: str) -> "Outcome":
        from alignment.indicators import INDICATORS

        m = _OUTCOME.match(str(text))
        if not m:
            raise ConfigError("outcomes", text, "INDICATOR[:ENTITY[:PARTNER]]@YEAR, e.g. alignment_weight:KAZ:RUS@2025 "
                                                "(* or nothing: the mean over all)")
        ind = m["indicator"]
        if ind not in INDICATORS:
            import difflib

            near = difflib.get_close_matches(ind, list(INDICATORS), n=1)
            raise ConfigError("outcomes", text, f"unknown indicator '{ind}'; " + (f"did you mean {near[0]}?" if near
                              else "known: " + ", ".join(INDICATORS)))
        entity = None if m["entity"] in (None, "*") else m["entity"]
        partner = None if m["partner"] in (None, "*") else m["partner"]
        name = "_".join([ind, entity or "all"] + ([partner] if partner else ["all"] if m["partner"] else []) + [m["year"]])
        return cls(name, ind, entity, partner, int(m["year"]))


def default_uncertainties(search: str = "default") -> dict:
    """{parameter: (low, high)} of configs/search/SEARCH.yaml: the calibration's search space."""
    import yaml

    from alignment.cli import CONFIG_DIR

    path = CONFIG_DIR / "search" / f"{search}.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {k: (float(v["low"]), float(v["high"])) for k, v in spec.items()}


class Simulator:
    """The function EMA calls: one run with the given parameter values (and seed), the outcomes as a dict.

    The config is composed, checked and the world built once, at construction; a call changes only the model's
    parameters, checked against their schema ranges as every other entry point checks them."""

    def __init__(self, outcomes: list[Outcome], scenario: str, horizon_end: str | None, overrides: Iterable[str] = (),
                 config_dir: str | Path | None = None):
        from alignment.api import _choice, compose
        from alignment.runs import prepare

        horizon_end = horizon_end or f"{max(o.year for o in outcomes)}-12"
        cfg = compose("run", [_choice("scenario", scenario), f"horizon.end={horizon_end}", "horizon.drop_later_events=true",
                              *overrides], config_dir)
        self.prepared = prepare(cfg)
        first, end = self.prepared.start // 12, self.prepared.end // 12
        for o in outcomes:
            if not first <= o.year <= end:
                raise ConfigError("outcomes", o.name, f"year {o.year} outside the horizon {first}-{end}")
        self.outcomes = outcomes
        from alignment.engine import record_shapes
        from alignment.indicators import indicator_arrays
        from alignment.sweeps.summaries import records_needed

        names = sorted({o.indicator for o in outcomes})  # each outcome's entity and partner checked before any run
        rec = {src: np.zeros((1, 1) + shape) for src, shape in record_shapes(self.prepared.world).items()
               if src in records_needed(names)}
        for name, (_, entities, partners, _) in indicator_arrays(self.prepared.world, rec, 10.0, names=names).items():
            for o in (o for o in outcomes if o.indicator == name):
                self._pick(o, "entity", o.entity, entities)
                if partners is None and o.partner is not None:
                    raise ConfigError("outcomes", o.name, f"{name} has no partner: INDICATOR:ENTITY@YEAR")
                if partners is not None:
                    self._pick(o, "partner", o.partner, partners)

    def __call__(self, seed: int = 0, **values) -> dict:
        from alignment.engine import simulate
        from alignment.runs import check_params
        from alignment.sweeps.summaries import records_needed
        from alignment.indicators import indicator_arrays

        p = self.prepared
        params = dataclasses.replace(p.params, **values)
        check_params(params, only=list(values))
        indicators = sorted({o.indicator for o in self.outcomes})
        engine = simulate(p.world, [params], [p.events], p.start, p.end, [int(seed)], record=records_needed(indicators),
                          ledger=False, yearly=True)
        arrays = indicator_arrays(engine.world, engine.rec, engine.p.tonnes_per_teu, names=indicators)
        out = {}
        for o in self.outcomes:
            values_, entities, partners, keep = arrays[o.indicator]  # (Y, B, E, R) yearly means
            v = values_[o.year - engine.first_year, 0]
            rows = self._pick(o, "entity", o.entity, entities)
            cols = self._pick(o, "partner", o.partner, partners) if partners is not None else [0]
            cell = v[np.ix_(rows, cols)]
            mask = keep[np.ix_(rows, cols)]
            out[o.name] = float(cell[mask].mean()) if mask.any() else float("nan")
        return out

    @staticmethod
    def _pick(o: Outcome, what: str, code, codes) -> list[int]:
        codes = list(codes)
        if code is None:
            return list(range(len(codes)))
        if code not in codes:
            raise ConfigError("outcomes", o.name, f"unknown {what} '{code}' of {o.indicator}; known: " + ", ".join(map(str, codes)))
        return [codes.index(code)]


def model(outcomes: Iterable[str] = DEFAULT_OUTCOMES, uncertainties: Mapping[str, tuple] | None = None,
          replications: int | None = None, scenario: str = "historical", horizon_end: str | None = None,
          name: str = "alignment", overrides: Iterable[str] = (), config_dir: str | Path | None = None):
    """An EMA Workbench model of the alignment model.

    Args:
        outcomes: ``INDICATOR[:ENTITY[:PARTNER]]@YEAR`` strings (see the module's docstring); each becomes a
            outcome named e.g. ``alignment_weight_KAZ_RUS_2025`` (a ``ScalarOutcome``; with replications an
            ``ArrayOutcome``, one value per replication). EMA keeps one class per outcome name in a process.
        uncertainties: ``{parameter: (low, high)}`` over numeric model parameters; default: the calibration's
            search space (configs/search/default.yaml), each as a ``RealParameter`` on its natural scale.
        replications: None, a ``Model`` (seed 0 for every experiment); n, a ``ReplicatorModel`` whose replication
            k runs seed k; its outcomes are ``ArrayOutcome``s of shape (experiments, n): the seed spread is kept.
        scenario: the timeline the runs follow (configs/scenario/).
        horizon_end: the last month run (default: December of the last outcome year).
        overrides: further run-config overrides as the command line writes them.

    Raises:
        ConfigError: an unknown outcome, indicator, entity or parameter, or a range outside a parameter's schema
            range, before any run.
    """
    from ema_workbench import ArrayOutcome, Model, RealParameter, ReplicatorModel, ScalarOutcome

    from alignment.checks import check_range
    from alignment.schema import model_field
    from alignment.sweeps.plan import _numeric_model_fields

    parsed = [Outcome.parse(o) for o in outcomes]
    if not parsed:
        raise ConfigError("outcomes", list(outcomes), "name at least one outcome")
    space = default_uncertainties() if uncertainties is None else dict(uncertainties)
    numeric = _numeric_model_fields()  # the model parameters a sweep may vary, the same here
    for key, bounds in space.items():
        leaf = key.removeprefix("model.")
        if leaf not in numeric:
            import difflib

            near = difflib.get_close_matches(leaf, sorted(numeric), n=1)
            raise ConfigError(f"uncertainties.{key}", bounds, "not a numeric model parameter" + (f"; did you mean {near[0]}?" if near else ""))
        if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2 and bounds[0] < bounds[1]):
            raise ConfigError(f"uncertainties.{key}", bounds, "a (low, high) pair with low < high")
        meta = model_field(leaf).metadata
        for end, v in zip(("low", "high"), bounds):
            check_range(f"uncertainties.{key}.{end}", v, meta["range"], meta["unit"])
    if replications is not None and (isinstance(replications, bool) or not isinstance(replications, int) or replications < 1):
        raise ConfigError("replications", replications, "None (one run per experiment) or a positive integer")
    sim = Simulator(parsed, scenario, horizon_end, overrides, config_dir)
    cls = Model if replications is None else ReplicatorModel
    m = cls(name, function=sim)
    m.uncertainties = [RealParameter(k.removeprefix("model."), float(lo), float(hi)) for k, (lo, hi) in space.items()]
    # a replicated model keeps one value per replication (ArrayOutcome). EMA keeps one class per outcome name in a
    # process: an outcome used with replications cannot be used without them in the same session, and the reverse
    m.outcomes = [(ScalarOutcome if replications is None else ArrayOutcome)(o.name) for o in parsed]
    if replications is not None:
        m.replications = [{"seed": k} for k in range(replications)]
    return m
