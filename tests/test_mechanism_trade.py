"""Unit and batch tests for alignment.mechanisms.trade (hand-computed expectations)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignment.mechanisms import trade

from strategies import assert_batch_matches_singles




# ----------------------------------------------------------------------------- gravity_core


def test_gravity_core_hand_numbers():
    gdp_r = np.array([[100.0, 25.0]])  # (1, N=2)
    gdp_p = np.array([[400.0, 4.0]])  # (1, Q=2)
    dist = np.array([[[10.0, 1.0], [5.0, 20.0]]])  # (1, 2, 2)
    out = trade.gravity_core(gdp_r, gdp_p, dist, 0.5, 2.0)
    # [0,0]: 0.5 ln100 + 0.5 ln400 - 2 ln10 = ln(10*20/100) = ln 2 = 0.693147
    # [0,1]: 0.5 ln100 + 0.5 ln4 - 2 ln1 = ln(10*2) = ln 20 = 2.995732
    # [1,0]: 0.5 ln25 + 0.5 ln400 - 2 ln5 = ln(5*20/25) = ln 4 = 1.386294
    # [1,1]: 0.5 ln25 + 0.5 ln4 - 2 ln20 = ln(5*2/400) = ln 0.025 = -3.688879
    expected = np.log(np.array([[[2.0, 20.0], [4.0, 0.025]]]))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out.shape == (1, 2, 2)


def test_gravity_core_exponentiates_to_power_law():
    gdp_r = np.array([[8.0, 27.0, 1.0]])
    gdp_p = np.array([[64.0, 1.0]])
    dist = np.array([[[2.0, 4.0], [3.0, 9.0], [1.0, 8.0]]])
    # exp(core) = gdp_r^a * gdp_p^a / dist^b with a = 1/3, b = 1:
    # [0,0] = 2*4/2 = 4, [0,1] = 2*1/4 = 0.5, [1,0] = 3*4/3 = 4, [1,1] = 3*1/9 = 1/3,
    # [2,0] = 1*4/1 = 4, [2,1] = 1*1/8 = 0.125
    expected = np.array([[[4.0, 0.5], [4.0, 1 / 3], [4.0, 0.125]]])
    np.testing.assert_allclose(np.exp(trade.gravity_core(gdp_r, gdp_p, dist, 1 / 3, 1.0)), expected, rtol=1e-12)


# ----------------------------------------------------------------------------- calibrate_affinity


def test_calibrate_affinity_reproduces_observed_and_fills_reporter_median():
    # reporter 0: log_core 0, observed [1, e, e^2, NaN] -> raw affinities [0, 1, 2], median 1
    # reporter 1: log_core [1, 1, 1, 1], observed [e, e^4, NaN, e^2] -> raw [0, 3, 1], median 1
    e = math.e
    observed = np.array([[[1.0, e, e**2, np.nan], [e, e**4, np.nan, e**2]]])
    log_core = np.array([[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]])
    aff = trade.calibrate_affinity(observed, log_core)
    expected = np.array([[[0.0, 1.0, 2.0, 1.0], [0.0, 3.0, 1.0, 1.0]]])
    np.testing.assert_allclose(aff, expected, rtol=0, atol=1e-12)
    # reproduces the observation exactly where there is one (no cost change)
    flows = trade.gravity_flows(log_core, aff, np.zeros_like(log_core), 7.0)
    known = ~np.isnan(observed)
    np.testing.assert_allclose(flows[known], observed[known], rtol=1e-12)
    # unknown pair trades at the reporter's median affinity: exp(1 + 0) = e, exp(1 + 1) = e^2
    np.testing.assert_allclose(flows[0, 0, 3], e, rtol=1e-12)
    np.testing.assert_allclose(flows[0, 1, 2], e**2, rtol=1e-12)


def test_calibrate_affinity_median_is_per_reporter_not_global():
    # reporter 0 raw [10, 12, ., 14] median 12; reporter 1 raw [-1, ., -3, -5] median -3
    observed = np.exp(np.array([[[10.0, 12.0, np.nan, 14.0], [-1.0, np.nan, -3.0, -5.0]]]))
    log_core = np.zeros((1, 2, 4))
    aff = trade.calibrate_affinity(observed, log_core)
    assert aff[0, 0, 2] == pytest.approx(12.0, abs=1e-12)
    assert aff[0, 1, 1] == pytest.approx(-3.0, abs=1e-12)


def test_calibrate_affinity_with_nonzero_core_subtracts_core():
    # observed 20, core ln 2 -> affinity ln 10 = 2.302585
    observed = np.array([[[20.0, 6.0]]])
    log_core = np.log(np.array([[[2.0, 3.0]]]))
    aff = trade.calibrate_affinity(observed, log_core)
    np.testing.assert_allclose(aff, np.log(np.array([[[10.0, 2.0]]])), rtol=1e-12)


# ----------------------------------------------------------------------------- gravity_flows


def test_gravity_flows_zero_affinity_zero_cost_is_exp_core():
    log_core = np.array([[[0.0, 1.0], [np.log(5.0), -2.0]]])
    out = trade.gravity_flows(log_core, np.zeros_like(log_core), np.zeros_like(log_core), 4.0)
    np.testing.assert_allclose(out, np.exp(log_core), rtol=1e-14)


def test_gravity_flows_cost_hand_numbers():
    log_core = np.log(np.array([[[10.0, 10.0, 4.0]]]))
    affinity = np.array([[[0.0, np.log(2.0), 0.0]]])
    cost = np.array([[[0.1, 0.0, -0.2]]])
    out = trade.gravity_flows(log_core, affinity, cost, 5.0)
    # 10 * exp(-5*0.1) = 6.065307 ; 2 * 10 * exp(0) = 20 ; 4 * exp(5*0.2) = 4e = 10.873127
    np.testing.assert_allclose(out, [[[6.065306597, 20.0, 10.873127314]]], rtol=1e-9)
    assert np.all(out > 0)


# ----------------------------------------------------------------------------- divert_trade


def _one_sanction_case():
    # powers 0, 1, 2; sanction 0.5 on (0, 1) only, direct turnover 10 between 0 and 1
    direct = np.array([[[0.0, 10.0, 3.0], [10.0, 0.0, 4.0], [3.0, 4.0, 0.0]]])
    sanction = np.zeros((1, 3, 3))
    sanction[0, 0, 1] = sanction[0, 1, 0] = 0.5
    # intermediaries: access to (power0, power1) = (1, 1), (1, 0), (2, 0.5); power 2 access arbitrary
    access = np.array([[[1.0, 1.0, 0.3], [1.0, 0.0, 5.0], [2.0, 0.5, 0.0]]])
    return direct, sanction, access


def test_divert_trade_one_sanctioned_pair_hand_numbers():
    direct, sanction, access = _one_sanction_case()
    lost, extra = trade.divert_trade(direct, sanction, access, 2.0, 0.5)
    # lost = 10 * (1 - exp(-2*0.5)) = 10 * (1 - 0.367879) = 6.321206, both triangles
    lost_expected = np.zeros((1, 3, 3))
    lost_expected[0, 0, 1] = lost_expected[0, 1, 0] = 6.321205588
    np.testing.assert_allclose(lost, lost_expected, rtol=1e-9, atol=1e-12)
    # diverted = 0.5 * 6.321206 = 3.160603; pair access products 1*1 = 1, 1*0 = 0, 2*0.5 = 1
    # -> intermediary 0 and 2 get 1.580301 each, intermediary 1 nothing;
    # each diverted dollar counted with both sides: extra[i, 0] = extra[i, 1] = 1.580301
    d = 1.580301397
    extra_expected = np.array([[[d, d, 0.0], [0.0, 0.0, 0.0], [d, d, 0.0]]])
    np.testing.assert_allclose(extra, extra_expected, rtol=1e-9, atol=1e-12)
    # total extra = 4 * 1.580301 = 6.321206 = 2 * 0.5 * triu(lost).sum()
    assert extra.sum() == pytest.approx(2 * 0.5 * 6.321205588, rel=1e-9)


def test_divert_trade_no_sanction_no_loss_no_extra():
    direct, _, access = _one_sanction_case()
    lost, extra = trade.divert_trade(direct, np.zeros((1, 3, 3)), access, 2.0, 0.5)
    np.testing.assert_array_equal(lost, 0.0)
    np.testing.assert_array_equal(extra, 0.0)


def test_divert_trade_zero_diversion_share_loses_but_diverts_nothing():
    direct, sanction, access = _one_sanction_case()
    lost, extra = trade.divert_trade(direct, sanction, access, 2.0, 0.0)
    assert lost[0, 0, 1] == pytest.approx(6.321205588, rel=1e-9)
    np.testing.assert_array_equal(extra, 0.0)


def test_divert_trade_two_sanctioned_pairs_full_sanction():
    # powers 0,1,2; sanction 1 on (0,1) and (0,2); direct 0-1 = 4, 0-2 = 8; elasticity ln 2 -> cut 1 - 1/2 = 0.5
    direct = np.array([[[0.0, 4.0, 8.0], [4.0, 0.0, 1.0], [8.0, 1.0, 0.0]]])
    s = np.array([[[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    # one intermediary with access 1 to every power
    access = np.ones((1, 1, 3))
    lost, extra = trade.divert_trade(direct, s, access, np.log(2.0), 1.0)
    # lost (0,1) = 4 * 0.5 = 2, lost (0,2) = 8 * 0.5 = 4, (1,2) untouched
    np.testing.assert_allclose(lost, [[[0, 2, 4], [2, 0, 0], [4, 0, 0]]], atol=1e-12)
    # all diverted via the single intermediary: with power 0: 2 + 4 = 6; with 1: 2; with 2: 4
    np.testing.assert_allclose(extra, [[[6.0, 2.0, 4.0]]], rtol=1e-12)


def test_divert_trade_batch_matches_singles():
    rng = np.random.default_rng(1)
    B, P, N = 3, 4, 5
    d = rng.uniform(0, 50, (B, P, P))
    direct = d + np.swapaxes(d, 1, 2)
    s = rng.uniform(0, 1, (B, P, P))
    sanction = 0.5 * (s + np.swapaxes(s, 1, 2))
    access = rng.uniform(0, 2, (B, N, P))
    assert_batch_matches_singles(lambda a, b, c: trade.divert_trade(a, b, c, 3.0, 0.6), [direct, sanction, access])


# ----------------------------------------------------------------------------- remittances


def test_remittances_hand_numbers():
    base = np.array([[2.0, 4.0], [1.0, 0.0]])
    ratio = np.array([0.81, 1.0])
    cut = np.array([0.25, 1.0])
    out = trade.remittances(base, ratio, 0.5, cut)
    # batch 0: 0.81^0.5 * 0.75 = 0.9 * 0.75 = 0.675 -> [1.35, 2.7]
    # batch 1: fully cut -> [0, 0]
    np.testing.assert_allclose(out, [[1.35, 2.7], [0.0, 0.0]], rtol=1e-12, atol=1e-15)


def test_remittances_elasticity_scaling():
    base = np.array([[3.0]])
    # 1.2^2 * (1 - 0.1) * 3 = 1.44 * 0.9 * 3 = 3.888
    out = trade.remittances(base, np.array([1.2]), 2.0, np.array([0.1]))
    np.testing.assert_allclose(out, [[3.888]], rtol=1e-12)


# ----------------------------------------------------------------------------- batch consistency


def test_gravity_core_batch_matches_singles():
    rng = np.random.default_rng(2)
    B, N, Q = 3, 4, 6
    arrays = [rng.uniform(1, 1000, (B, N)), rng.uniform(1, 1000, (B, Q)), rng.uniform(100, 8000, (B, N, Q))]
    assert_batch_matches_singles(lambda a, b, c: trade.gravity_core(a, b, c, 0.9, 1.1), arrays)


def test_calibrate_affinity_batch_matches_singles():
    rng = np.random.default_rng(3)
    B, N, Q = 3, 4, 6
    observed = rng.uniform(0.01, 30, (B, N, Q))
    observed[rng.uniform(size=(B, N, Q)) < 0.3] = np.nan
    observed[:, :, 0] = 1.0  # at least one observation per reporter
    log_core = rng.normal(0, 2, (B, N, Q))
    assert_batch_matches_singles(trade.calibrate_affinity, [observed, log_core])


def test_gravity_flows_batch_matches_singles():
    rng = np.random.default_rng(4)
    B, N, Q = 3, 4, 6
    arrays = [rng.normal(0, 2, (B, N, Q)), rng.normal(0, 1, (B, N, Q)), rng.uniform(-0.2, 0.5, (B, N, Q))]
    assert_batch_matches_singles(lambda a, b, c: trade.gravity_flows(a, b, c, 4.0), arrays)


def test_remittances_batch_matches_singles():
    rng = np.random.default_rng(5)
    B, N = 3, 5
    arrays = [rng.uniform(0, 5, (B, N)), rng.uniform(0.5, 1.5, B), rng.uniform(0, 1, B)]
    assert_batch_matches_singles(lambda a, b, c: trade.remittances(a, b, 1.3, c), arrays)


def test_divert_trade_with_vanishing_access_still_shares_what_is_diverted():
    """Found by the property test on a fresh machine: access of 1.6e-162 underflowed in the pair products and made
    the diverted trade infinite. Shares do not depend on the scale of a power's access, so the result is the
    one of access 1: each intermediary takes half of 0.632, both sides."""
    direct = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    sanction = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    _, extra = trade.divert_trade(direct, sanction, np.full((1, 2, 2), 1.58606415e-162), 1.0, 1.0)
    np.testing.assert_allclose(extra, np.full((1, 2, 2), 0.5 * (1 - np.exp(-1.0))), rtol=1e-12)


def test_diversion_through_access_near_the_smallest_float_stays_finite_and_conserves_trade():
    """Hypothesis found it: access of 2.2e-308 to both sides of a pair made the pair's total so small that the
    trade divided by it overflowed to inf. Both intermediaries reach the pair equally, so each takes half."""
    from alignment.mechanisms.trade import divert_trade

    tiny = np.finfo(float).tiny
    direct = np.array([[[0.0, 0.0, 13.0], [0.0, 0.0, 0.0], [13.0, 0.0, 0.0]]])
    sanction = np.array([[[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]])
    access = np.array([[[1.0, tiny, tiny], [tiny, tiny, 1.0]]])
    lost, extra = divert_trade(direct, sanction, access, 1.0, 1.0)
    diverted = 13.0 * (1 - np.exp(-1.0))
    assert np.isfinite(extra).all()
    assert np.allclose(extra[0, :, [0, 2]], diverted / 2)  # with powers 0 and 2, each intermediary half the pair
    assert np.isclose(extra.sum(), 2 * np.triu(lost, 1).sum())
