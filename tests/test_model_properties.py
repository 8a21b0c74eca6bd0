"""Invariants of whole runs over many drawn parameter sets (hypothesis drives the config)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functools import lru_cache

from omegaconf import OmegaConf

from alignment.cli import compose_config
from alignment.runs import build_model


@lru_cache(maxsize=2)
def base_config(scenario):
    """Composed once per scenario; every drawn key is assigned on every example, so reuse is safe."""
    return compose_config([f"scenario={scenario}"])

PARAMS = st.fixed_dictionaries(
    {
        "model.hedging_base": st.floats(0.0, 1.0),
        "model.dependence_aversion": st.floats(0.0, 20.0),
        "model.rivalry_weight": st.floats(0.0, 5.0),
        "model.neutrality_damping": st.floats(0.0, 1.0),
        "model.unga_region_position": st.floats(-2.0, 1.0),
        "model.unga_nonaligned_position": st.floats(-3.0, 0.0),
        "model.hysteresis": st.floats(0.0, 20.0),
        "model.habit_memory_years": st.floats(0.1, 30.0),
        "model.cohesion_autonomy": st.floats(0.0, 1.0),
        "model.neutrality_hedge": st.floats(0.0, 1.0),
        "model.regime_security_weight": st.floats(0.0, 20.0),
        "model.budget_response": st.floats(0.0, 20.0),
        "model.multilateral_resistance": st.floats(0.0, 1.0),
        "model.arms_weight_elasticity": st.floats(0.0, 5.0),
        "model.arms_alliance_gain": st.floats(0.0, 10.0),
        "model.reexport_access_outside_union": st.floats(0.0, 1.0),
        "model.temperature": st.floats(0.2, 5.0),
        "model.adjustment_rate": st.floats(0.0, 1.0),
        "model.noise_scale": st.floats(0.0, 0.3),
        "model.channel_trade": st.floats(0.0, 5.0),
        "model.channel_security": st.floats(0.0, 5.0),
        "model.channel_remittances": st.floats(0.0, 5.0),
        "model.coercion_weight": st.floats(0.0, 5.0),
        "model.logit_scale_usd": st.floats(100.0, 5000.0),
        "model.expansion_response_share": st.floats(0.0, 1.0),
        "model.max_capacity_growth_share": st.floats(0.0, 0.5),
        "model.construction_lag_months": st.integers(1, 36),
        "model.diversion_share": st.floats(0.0, 1.0),
        "model.cost_elasticity": st.floats(0.5, 10.0),
        "model.engagement_focus": st.floats(0.0, 4.0),
        "model.base_rate_per_pair_month": st.floats(0.0, 3.0),
        "corridors.nest_lambda.rail": st.floats(0.05, 1.0),
        "scenario": st.sampled_from(["historical", "no_war_2022"]),
        "seed": st.integers(0, 2**31 - 1),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PARAMS)
def test_simplex_shares_capacity_and_no_nan_for_any_parameters(params):
    cfg = base_config(params.pop("scenario"))
    for key, value in params.items():
        OmegaConf.update(cfg, key, value)  # the typed config checks each value
    m = build_model(cfg).run()
    w = m.rec["weights"]
    assert (w >= 0).all() and np.allclose(w.sum(axis=2), 1.0, atol=1e-9)
    assert np.allclose(m.rec["share"].sum(axis=2), 1.0, atol=1e-9)
    for key, arr in m.rec.items():
        assert not np.isnan(arr).any(), key
    cap = m.rec["capacity"]
    finite = np.isfinite(cap)
    assert (m.rec["volume"][finite] <= cap[finite] * (1 + 1e-9) + 1e-6).all()
    assert (m.rec["trade"] >= 0).all() and (m.rec["cohesion"] >= 0).all() and (m.rec["cohesion"] <= 1).all()
    # the observation model: agreement scores are scores, arms shares a split over the suppliers
    assert ((m.rec["unga"] >= 0) & (m.rec["unga"] <= 1)).all()
    assert np.allclose(m.rec["arms"].sum(axis=2), 1.0, atol=1e-9) and (m.rec["arms"][:, :, ~m.world.observations.supplier] == 0).all()
    # each state's hedging is a share; its UN position lies between the non-aligned pole and its aligned part,
    # which lies within the scale-weighted range of the powers' positions around the regional term
    h = m.rec["hedging"]
    assert ((h >= 0) & (h <= 1)).all()
    x = m.world.observations.power_position
    span = (np.nanmax(x) - np.nanmin(x)) * m.p.unga_position_scale
    lo = min(m.p.unga_nonaligned_position, m.p.unga_region_position - span)
    hi = max(m.p.unga_nonaligned_position, m.p.unga_region_position + span)
    assert ((m.rec["position"] >= lo - 1e-9) & (m.rec["position"] <= hi + 1e-9)).all()
