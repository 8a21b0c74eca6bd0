"""Fuzzing the config layer (issue 10): values nobody tried by hand, over each field's whole type range.

Every drawn configuration either runs clean (finite outputs, the invariants hold) or stops with a
ConfigError that names one of the drawn keys, before the model is built; on the command line, with one
line on stderr, exit status 2 and nothing written. The draws are derandomized (the same examples on every run,
so CI is reproducible); FUZZ_EXAMPLES=300 explores further by hand.
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.schema import ModelParams
from alignment.world.scenario import KINDS

SHORT = ["horizon.end=2024-12", "horizon.drop_later_events=true"]  # the war and its aftermath, in half the time
SCALARS = {f.name: f for f in dataclasses.fields(ModelParams) if typing.get_type_hints(ModelParams)[f.name] in (float, int)}
SPECIAL = [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e-308, 0.0, -0.0, -1.0, 1.0, 1e6, -1e6]


@lru_cache(maxsize=1)
def base():
    return compose_config(SHORT)


def whole_range(rng, is_int: bool):
    """Any value of the type, weighted toward the edges: specials, the range's own bounds and just past them."""
    edges = [b + d for b in (rng.lo, rng.hi) if b is not None for d in (-1e-9, 0.0, 1e-9)]
    if is_int:
        return st.one_of(st.integers(-(2**62), 2**62), st.sampled_from([0, -1, 1, *[int(e) for e in edges]]))
    inside = st.floats(rng.lo if rng.lo is not None else -1e6, rng.hi if rng.hi is not None else 1e6)
    return st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL + edges), inside)


@st.composite
def model_overrides(draw):
    names = draw(st.lists(st.sampled_from(sorted(SCALARS)), min_size=1, max_size=3, unique=True))
    return {f"model.{n}": draw(whole_range(SCALARS[n].metadata["range"], typing.get_type_hints(ModelParams)[n] is int))
            for n in names}


def assert_runs_clean(model):
    for key, arr in model.rec.items():
        arr = np.asarray(arr)
        if key == "capacity":  # the sea route is unbounded by design (capacity null)
            arr = arr[..., np.isfinite(model.world.capacity_teu)]
        assert np.isfinite(arr).all(), key
    w = model.rec["weights"]
    assert (w >= 0).all() and np.allclose(w.sum(axis=-1), 1.0, atol=1e-9)
    assert np.allclose(model.rec["share"].sum(axis=-1), 1.0, atol=1e-9)
    assert (model.rec["volume"] >= 0).all() and (model.rec["trade"] >= 0).all()


def run_or_refuse(cfg, drawn_keys):
    """Build and run, or check that the refusal names a drawn key; returns the model or None."""
    from alignment.runs import build_model

    try:
        model = build_model(cfg)
    except ConfigError as exc:
        # the key named is a drawn one, or a rule across keys names the drawn one in its message
        assert any(exc.key.startswith(k) or k.startswith(exc.key) or k.rsplit(".", 1)[-1] in str(exc) for k in drawn_keys), \
            (exc.key, drawn_keys)
        assert "\n" not in str(exc)
        return None
    model.run()
    assert_runs_clean(model)
    return model


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(model_overrides())
def test_any_model_values_run_clean_or_are_refused_by_name(values):
    cfg = base().copy()
    for key, value in values.items():
        OmegaConf.update(cfg, key, value)
    run_or_refuse(cfg, list(values))


def _numeric_event_fields(cls):
    return {f.name: f for f in dataclasses.fields(cls) if "range" in f.metadata}


EVENT_KINDS = sorted(k for k, cls in KINDS.items() if _numeric_event_fields(cls))
REQUIRED = {  # the codes each kind needs to be an event at all (from the shipped world)
    "leadership_change": {"state": "KAZ"}, "trade_opening": {"state": "UZB"},
    "membership": {"state": "UZB", "institution": "EAEU"}, "sanctions": {"target": "RUS", "by": ["EU"]},
    "stance": {"power": "RUS"}, "corridor": {"corridor": "MIDDLE"}, "market": {"market": "EAST_WEST"},
    "investment": {"power": "EU", "states": ["KAZ"]}, "summit": {"format": "C5", "participants": ["KAZ", "UZB"]},
    "agreement": {"states": ["KAZ"], "power": "TUR"}, "economy": {"power": "RUS"},
}


@st.composite
def an_event(draw):
    kind = draw(st.sampled_from(EVENT_KINDS))
    fields = _numeric_event_fields(KINDS[kind])
    names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    event = {"id": "fuzzed", "date": "2019-06", "kind": kind, **REQUIRED.get(kind, {})}
    for n in names:
        hint = typing.get_type_hints(KINDS[kind])[n]
        value = draw(whole_range(fields[n].metadata["range"], hint is int))
        event[n] = [value, value] if typing.get_origin(hint) is list else value
    if kind == "investment" and "schedule_usd_bn" in event:
        event.pop("amount_usd_bn", None), event.pop("years", None)
    return event


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(an_event())
def test_any_event_values_run_clean_or_are_refused_by_name(event):
    cfg = base().copy()
    events = OmegaConf.to_container(cfg.scenario.events) + [event]
    cfg.scenario.events = events
    n = len(events) - 1
    run_or_refuse(cfg, [f"scenario.events[{n}]"])


TEXT_VALUES = ["nan", "inf", "-inf", "1e309", "-1e309", "1e308", "-1", "0", "''", "null", "[]", "abc", "2.5", "1e-320"]


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(SCALARS)), st.sampled_from(TEXT_VALUES))
def test_command_line_override_runs_or_stops_with_one_line_and_writes_nothing(capsys, tmp_path_factory, name, text):
    from alignment.cli import main

    out = tmp_path_factory.mktemp("fuzz") / "run"
    try:
        main([f"model.{name}={text}", *SHORT, "outputs.figures=false", "outputs.summary=false", f"hydra.run.dir={out}"])
        code = 0  # a finished Hydra run returns
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    if code in (0, None):
        assert (out / "run.json").exists() and not list(out.glob(".partial-*"))
    else:
        assert code == 2 and len(err) == 1 and err[0].startswith("alignment-run: error: "), err
        assert not out.exists()
