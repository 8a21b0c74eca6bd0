"""Unit and batch tests for alignment.mechanisms.engagement (hand-computed expectations)."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.mechanisms import engagement

from strategies import assert_batch_matches_singles




# ----------------------------------------------------------------------------- allocate_engagement


def _two_state_case():
    budget = np.array([[9.0]])  # (1, P=1)
    weights = np.array([[[0.5], [0.75]]])  # (1, N=2, P=1)
    openness = np.array([[1.0, 2.0]])
    gdp = np.array([[100.0, 25.0]])
    return budget, weights, openness, gdp


def test_allocate_engagement_focus_one_hand_numbers():
    budget, weights, openness, gdp = _two_state_case()
    out = engagement.allocate_engagement(budget, weights, openness, gdp, 0.5, 1.0)
    # value = openness * (1 - w) * gdp^0.5: state0 1*0.5*100^0.5 = 5; state1 2*0.25*25^0.5 = 2.5
    # shares 2/3, 1/3 of 9 -> [6, 3]
    assert out.shape == (1, 1, 2)
    np.testing.assert_allclose(out, [[[6.0, 3.0]]], rtol=1e-12)


def test_allocate_engagement_focus_two_concentrates():
    budget, weights, openness, gdp = _two_state_case()
    out = engagement.allocate_engagement(budget, weights, openness, gdp, 0.5, 2.0)
    # scores 5^2 = 25, 2.5^2 = 6.25 -> shares 0.8, 0.2 of 9 -> [7.2, 1.8]
    np.testing.assert_allclose(out, [[[7.2, 1.8]]], rtol=1e-12)


def test_allocate_engagement_focus_zero_is_even_split():
    rng = np.random.default_rng(20)
    B, N, P = 2, 5, 3
    budget = rng.uniform(1, 10, (B, P))
    weights = rng.dirichlet(np.ones(P), size=(B, N))
    out = engagement.allocate_engagement(budget, weights, rng.uniform(0.1, 3, (B, N)), rng.uniform(5, 500, (B, N)), 0.7, 0.0)
    np.testing.assert_allclose(out, np.broadcast_to(budget[:, :, None] / N, (B, P, N)), rtol=1e-12)


def test_allocate_engagement_two_powers_hand_numbers():
    # P=2, N=2, size_elasticity 0 (GDP drops out), openness 1, focus 1
    # weights: state0 (0.2, 0.8), state1 (0.6, 0.4) -> room state0 (0.8, 0.2), state1 (0.4, 0.6)
    # power0 splits 0.8 : 0.4 -> 2/3, 1/3 of 6 = [4, 2]; power1 0.2 : 0.6 -> 1/4, 3/4 of 8 = [2, 6]
    budget = np.array([[6.0, 8.0]])
    weights = np.array([[[0.2, 0.8], [0.6, 0.4]]])
    out = engagement.allocate_engagement(budget, weights, np.ones((1, 2)), np.array([[10.0, 300.0]]), 0.0, 1.0)
    np.testing.assert_allclose(out, [[[4.0, 2.0], [2.0, 6.0]]], rtol=1e-12)


def test_money_follows_the_size_of_the_economies():
    """At size elasticity 1 and equal room and openness, a state with 20 times the GDP gets 20 times the money: a
    power's budget does not pile into the smallest economies (USD 10bn against 200bn: 1/21 and 20/21 of 4)."""
    out = engagement.allocate_engagement(np.array([[4.0]]), np.full((1, 2, 1), 0.2), np.ones((1, 2)),
                                         np.array([[10.0, 200.0]]), 1.0, 1.0)
    np.testing.assert_allclose(out, [[[4.0 / 21, 80.0 / 21]]], rtol=1e-12)


def test_allocate_engagement_sums_to_budget_and_prefers_room():
    rng = np.random.default_rng(21)
    B, N, P = 3, 5, 4
    budget = rng.uniform(0, 20, (B, P))
    weights = rng.dirichlet(np.ones(P), size=(B, N))
    out = engagement.allocate_engagement(budget, weights, rng.uniform(0.5, 2, (B, N)), rng.uniform(5, 500, (B, N)), 0.6, 1.5)
    np.testing.assert_allclose(out.sum(axis=2), budget, rtol=1e-12, atol=1e-12)
    assert np.all(out >= 0)
    # identical states except weight: the one less aligned with the power gets more
    same = engagement.allocate_engagement(
        np.array([[1.0]]), np.array([[[0.9], [0.1]]]), np.ones((1, 2)), np.full((1, 2), 50.0), 0.5, 1.0
    )
    # room 0.1 vs 0.9 -> shares 0.1, 0.9
    np.testing.assert_allclose(same, [[[0.1, 0.9]]], rtol=1e-12)


def test_allocate_engagement_fully_aligned_state_still_finite():
    # weight 1 leaves no room; allocation must stay finite and sum to the budget
    out = engagement.allocate_engagement(
        np.array([[5.0]]), np.array([[[1.0], [0.5]]]), np.ones((1, 2)), np.full((1, 2), 10.0), 0.5, 1.0
    )
    assert np.all(np.isfinite(out))
    assert out.sum() == pytest.approx(5.0, rel=1e-12)
    assert out[0, 0, 0] < 1e-6 * out[0, 0, 1]


def test_allocate_engagement_batch_matches_singles():
    rng = np.random.default_rng(22)
    B, N, P = 3, 5, 4
    arrays = [
        rng.uniform(0, 20, (B, P)),
        rng.dirichlet(np.ones(P), size=(B, N)),
        rng.uniform(0.5, 2, (B, N)),
        rng.uniform(5, 500, (B, N)),
    ]
    assert_batch_matches_singles(lambda a, b, c, d: engagement.allocate_engagement(a, b, c, d, 0.6, 1.5), arrays)


# ----------------------------------------------------------------------------- accumulate_stock


def test_accumulate_stock_one_month_hand_numbers():
    # keep = (1 - 0.2)^(1/12) = exp(ln 0.8 / 12) = exp(-0.0185952) = 0.9815765
    # 10 * 0.9815765 + 6 / 12 = 9.815765 + 0.5 = 10.315765
    out = engagement.accumulate_stock(np.array([[[10.0]]]), np.array([[[6.0]]]), 0.2)
    np.testing.assert_allclose(out, [[[10.315765]]], atol=1e-6)


def test_accumulate_stock_twelve_months_closed_form():
    s0, f, d = 10.0, 6.0, 0.2
    stock = np.full((1, 2, 3), s0)
    flow = np.full((1, 2, 3), f)
    for _ in range(12):
        stock = engagement.accumulate_stock(stock, flow, d)
    # s12 = s0 (1-d) + f/12 * sum_{k=0}^{11} keep^k = s0 (1-d) + f/12 * (1 - (1-d)) / (1 - keep)
    #     = 8 + 0.5 * 0.2 / (1 - 0.9815765) = 8 + 0.5 * 10.85572 = 13.42786
    keep = (1 - d) ** (1 / 12)
    expected = s0 * (1 - d) + f / 12 * d / (1 - keep)
    assert expected == pytest.approx(13.42786, abs=1e-5)
    np.testing.assert_allclose(stock, expected, rtol=1e-12)


def test_accumulate_stock_twelve_monthly_steps_decay_like_one_year():
    stock = np.array([[[10.0, 3.0]]])
    zero = np.zeros_like(stock)
    for _ in range(12):
        stock = engagement.accumulate_stock(stock, zero, 0.3)
    # without inflow a year of monthly steps loses exactly 30 %: [7, 2.1]
    np.testing.assert_allclose(stock, [[[7.0, 2.1]]], rtol=1e-12)
    # a single 12-month step: 10 * 0.7 + 5 = 12
    yearly = engagement.accumulate_stock(np.array([[[10.0]]]), np.array([[[5.0]]]), 0.3, months=12)
    np.testing.assert_allclose(yearly, [[[12.0]]], rtol=1e-12)


def test_accumulate_stock_batch_matches_singles():
    rng = np.random.default_rng(23)
    B, P, N = 3, 4, 5
    assert_batch_matches_singles(
        lambda s, f: engagement.accumulate_stock(s, f, 0.15, months=3), [rng.uniform(0, 50, (B, P, N)), rng.uniform(0, 10, (B, P, N))]
    )


def test_rival_presence_and_counter_spending_hand_numbers():
    """Two rival powers (distance 1). Stocks: power 0 holds 3 in state 0; power 1 holds 1 in state 0 and 2 in state 1.
    Rivals' shares: power 0 faces 1/4 in state 0 and all of state 1; power 1 faces 3/4 in state 0 and none in state 1.
    With equal values otherwise and a response of 1, power 0 splits 1.25 : 2 (0.3846, 0.6154), power 1 1.75 : 1."""
    from alignment.mechanisms.engagement import engagement_shares, rival_presence

    stock = np.array([[[3.0, 0.0], [1.0, 2.0]]])  # (B, P, N)
    rivalry = np.array([[0.0, 1.0], [1.0, 0.0]])
    presence = rival_presence(stock, rivalry)
    np.testing.assert_allclose(presence[0], [[0.25, 1.0], [0.75, 0.0]])
    weights = np.full((1, 2, 2), 0.5)
    flat = {"openness": np.ones((1, 2)), "gdp_usd_bn": np.ones((1, 2)), "size_elasticity": 1.0, "focus": 1.0}
    np.testing.assert_allclose(engagement_shares(weights, **flat)[0], [[0.5, 0.5], [0.5, 0.5]])
    s = engagement_shares(weights, **flat, rival_presence=presence, rivalry_response=1.0)[0]
    np.testing.assert_allclose(s, [[1.25 / 3.25, 2.0 / 3.25], [1.75 / 2.75, 1.0 / 2.75]])
    # a state nobody has invested in yet gives no rival presence (no division by zero)
    assert rival_presence(np.zeros((1, 2, 2)), rivalry).sum() == 0.0
