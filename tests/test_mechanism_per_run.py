"""Every mechanism takes its parameters once or per run: a (B,) parameter equals B calls with its scalars."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.mechanisms import alignment as al
from alignment.mechanisms import corridors as co
from alignment.mechanisms import diplomacy as di
from alignment.mechanisms import engagement as en
from alignment.mechanisms import trade as tr

B, N, P, Q, K, M = 4, 5, 3, 8, 4, 2
rng = np.random.default_rng(7)
NEST = np.array([[1, 0], [1, 0], [1, 0], [0, 1]], dtype=float)
LAM = np.array([0.5, 1.0])


def simplex(shape):
    x = rng.random(shape) + 0.05
    return x / x.sum(axis=-1, keepdims=True)


CASES = {
    "gravity_core": (tr.gravity_core, [rng.uniform(5, 200, (B, N)), rng.uniform(5, 2e4, (B, Q)), rng.uniform(500, 9000, (B, N, Q))],
                     {"gdp_elasticity": rng.uniform(0.5, 1.2, B), "distance_elasticity": rng.uniform(0.5, 1.5, B)}),
    "gravity_flows": (tr.gravity_flows, [rng.normal(0, 1, (B, N, Q)), rng.normal(0, 1, (B, N, Q)), rng.uniform(-0.1, 0.1, (B, N, Q))],
                      {"cost_elasticity": rng.uniform(1, 8, B)}),
    "divert_trade": (tr.divert_trade, [rng.uniform(0, 100, (B, P, P)), rng.uniform(0, 1, (B, P, P)), rng.uniform(0, 1, (B, N, P))],
                     {"cost_elasticity": rng.uniform(1, 6, B), "diversion_share": rng.uniform(0, 1, B)}),
    "remittances": (tr.remittances, [rng.uniform(0, 3, (B, N)), rng.uniform(0.5, 1.5, B)],
                    {"gdp_elasticity": rng.uniform(0.5, 1.5, B), "cut": rng.uniform(0, 1, B)}),
    "generalised_cost": (co.generalised_cost, [rng.uniform(2e3, 8e3, (B, K)), rng.uniform(10, 40, (B, K)), rng.uniform(0, 0.05, (B, K)),
                                               rng.uniform(0, 500, (B, K))],
                         {"value_of_time_usd_per_feu_day": rng.uniform(20, 90, B), "cargo_value_usd_per_feu": rng.uniform(5e4, 2e5, B)}),
    "choice_probabilities": (lambda gc, av, logit_scale_usd: co.choice_probabilities(gc, av, NEST, LAM, logit_scale_usd),
                             [rng.uniform(3e3, 9e3, (B, K)), rng.random((B, M, K)) < 0.8], {"logit_scale_usd": rng.uniform(300, 3000, B)}),
    "capacity_prices": (lambda d, gc, av, cap, logit_scale_usd: co.capacity_prices(d, gc, av, cap, NEST, LAM, logit_scale_usd),
                        [rng.uniform(1e5, 1e6, (B, M)), rng.uniform(3e3, 9e3, (B, K)), np.ones((B, M, K), bool),
                         np.tile([1e5, 2e5, 5e4, np.inf], (B, 1))], {"logit_scale_usd": rng.uniform(300, 3000, B)}),
    "assign_routes": (lambda d, gc, av, cap, logit_scale_usd: co.assign_routes(d, gc, av, cap, NEST, LAM, logit_scale_usd),
                      [rng.uniform(1e5, 1e6, (B, M)), rng.uniform(3e3, 9e3, (B, K)), np.ones((B, M, K), bool),
                       np.tile([1e5, 2e5, 5e4, np.inf], (B, 1))], {"logit_scale_usd": rng.uniform(300, 3000, B)}),
    "expansion_orders": (co.expansion_orders, [rng.uniform(0, 3e5, (B, K)), rng.uniform(1e4, 2e5, (B, K))],
                         {"response_share": rng.uniform(0, 1, B), "max_growth_share": rng.uniform(0, 0.3, B)}),
    "allocate_engagement": (en.allocate_engagement, [rng.uniform(0, 4, (B, P)), simplex((B, N, P)), rng.uniform(0.3, 1, (B, N)),
                                                     rng.uniform(5, 200, (B, N))],
                            {"size_elasticity": rng.uniform(0.5, 2, B), "focus": rng.uniform(0, 3, B)}),
    "accumulate_stock": (en.accumulate_stock, [rng.uniform(0, 10, (B, P, N)), rng.uniform(0, 5, (B, P, N))],
                         {"depreciation_per_year": rng.uniform(0, 0.9, B)}),
    "pair_rates": (di.pair_rates, [rng.uniform(0.5, 1.5, (B, N)), rng.random(B), rng.random(B)],
                   {"base_rate_per_pair_month": rng.uniform(0, 2, B), "cohesion_gain": rng.uniform(0, 2, B), "threat_gain": rng.uniform(0, 2, B)}),
    "kind_probabilities": (di.kind_probabilities, [rng.random(B), rng.uniform(0.2, 1, B)],
                           {"base_logits": rng.normal(0, 1, (B, 4)), "cohesion_slopes": rng.normal(0, 1, (B, 4))}),
    "attraction_scores": (lambda c, co_, s, e, coefficients, coercion_weight, sanction_weight:
                          al.attraction_scores(c, coefficients, co_, s, e, coercion_weight, sanction_weight), [rng.random((B, 6, N, P)), rng.random((B, P)), rng.random((B, P)), rng.random((B, N))],
                          {"coefficients": rng.uniform(0, 5, (B, 6)), "coercion_weight": rng.uniform(0, 2, B), "sanction_weight": rng.uniform(0, 2, B)}),
    "target_weights": (lambda sc, h, temperature: al.target_weights(sc, temperature, h), [rng.normal(0, 2, (B, N, P)), rng.random((B, N))], {"temperature": rng.uniform(0.3, 4, B)}),
    "update_weights": (lambda w, t, z, adjustment_rate, noise_scale: al.update_weights(w, t, adjustment_rate, z, noise_scale), [simplex((B, N, P)), simplex((B, N, P)), rng.standard_normal((B, N, P))],
                       {"adjustment_rate": rng.random(B), "noise_scale": rng.uniform(0, 0.2, B)}),
    "regional_cohesion": (al.regional_cohesion, [simplex((B, N, P)), rng.uniform(0, 2, B), rng.random(B)],
                          {"similarity_weight": rng.uniform(0, 0.5, B), "intensity_weight": rng.uniform(0, 0.5, B)}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parameters_per_run_equal_the_runs_computed_one_by_one(name):
    fn, arrays, params = CASES[name]
    batched = fn(*arrays, **params)
    for b in range(B):
        single = fn(*[a[b:b + 1] for a in arrays], **{k: v[b] for k, v in params.items()})
        for got, want in zip(batched if isinstance(batched, tuple) else (batched,), single if isinstance(single, tuple) else (single,)):
            np.testing.assert_allclose(got[b:b + 1], want, rtol=1e-13, atol=0, err_msg=name)


def test_level_probabilities_per_run_pick_each_runs_table():
    """Two runs, one interaction each with the same uniforms: the level follows the run's own table."""
    counts = np.array([[1], [1]])
    kp = np.array([[0.0, 1.0, 0.0, 0.0]] * 2)  # a call
    tables = np.zeros((2, 4, 3))
    tables[0, 1] = [1.0, 0.0, 0.0]  # run 0: calls are presidential
    tables[1, 1] = [0.0, 0.0, 1.0]  # run 1: calls are by foreign ministers
    d = di.draw_interactions(counts.astype(float), kp, tables, np.array([0.5, 0.5]), np.array([0.5, 0.5]), counts)
    assert d["kind"].tolist() == [1, 1] and d["level"].tolist() == [0, 2]
