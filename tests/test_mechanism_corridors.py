"""Unit and batch tests for alignment.mechanisms.corridors (hand-computed expectations)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignment.mechanisms import corridors

from strategies import assert_batch_matches_singles

SQRT2 = math.sqrt(2.0)

# corridors 0 and 1 are rail (nest 0), corridor 2 is sea (nest 1)
NEST_OF = np.array([[1, 0], [1, 0], [0, 1]])




# ----------------------------------------------------------------------------- generalised_cost


def test_generalised_cost_hand_numbers():
    price = np.array([[2000.0, 1500.0]])
    days = np.array([[20.0, 40.0]])
    risk = np.array([[0.01, 0.0]])
    penalty = np.array([[300.0, 0.0]])
    out = corridors.generalised_cost(price, days, risk, penalty, 50.0, 60000.0)
    # 2000 + 300 + 50*20 + 0.01*60000 = 2000 + 300 + 1000 + 600 = 3900
    # 1500 + 0 + 50*40 + 0 = 3500
    np.testing.assert_allclose(out, [[3900.0, 3500.0]], rtol=1e-14)


def test_generalised_cost_batch_matches_singles():
    rng = np.random.default_rng(10)
    B, K = 3, 5
    arrays = [
        rng.uniform(500, 5000, (B, K)),
        rng.uniform(5, 45, (B, K)),
        rng.uniform(0, 0.1, (B, K)),
        rng.uniform(0, 1000, (B, K)),
    ]
    assert_batch_matches_singles(lambda a, b, c, d: corridors.generalised_cost(a, b, c, d, 40.0, 50000.0), arrays)


# ----------------------------------------------------------------------------- choice_probabilities


def test_choice_probabilities_lambda_one_is_multinomial_logit():
    gc = np.array([[1000.0, 1500.0, 2000.0]])
    available = np.array([[[True, True, True], [True, False, True], [False, False, False]]])
    p = corridors.choice_probabilities(gc, available, NEST_OF, np.array([1.0, 1.0]), 500.0)
    # market 0: exp(-2), exp(-3), exp(-4) over their sum = [0.665241, 0.244728, 0.090031]
    w = np.exp(-gc[0] / 500.0)
    np.testing.assert_allclose(p[0, 0], w / w.sum(), rtol=1e-12)
    np.testing.assert_allclose(p[0, 0], [0.665240956, 0.244728471, 0.090030573], rtol=1e-8)
    # market 1: corridors 0 and 2 only: exp(-2)/(exp(-2)+exp(-4)) = 1/(1+e^-2) = 0.880797
    np.testing.assert_allclose(p[0, 1], [0.880797078, 0.0, 0.119202922], rtol=1e-8, atol=1e-15)
    # market 2: nothing available -> all zero
    np.testing.assert_array_equal(p[0, 2], 0.0)


def test_choice_probabilities_nested_hand_numbers():
    # all costs 1000, scale 1000 -> V = -1 everywhere; rail lambda 0.5, sea lambda 1
    # rail inclusive value: ln(2 exp(-1/0.5)) = ln 2 - 2; utility 0.5*(ln 2 - 2) = ln sqrt2 - 1
    # sea: -1. P(rail) = sqrt2 e^-1 / (sqrt2 e^-1 + e^-1) = sqrt2/(1+sqrt2) = 0.585786
    # each rail corridor 0.292893, sea 1/(1+sqrt2) = 0.414214
    gc = np.full((1, 3), 1000.0)
    available = np.ones((1, 1, 3), dtype=bool)
    p = corridors.choice_probabilities(gc, available, NEST_OF, np.array([0.5, 1.0]), 1000.0)
    rail = SQRT2 / (1 + SQRT2) / 2
    np.testing.assert_allclose(p[0, 0], [rail, rail, 1 / (1 + SQRT2)], rtol=1e-12)


def test_choice_probabilities_within_nest_substitution():
    # raise rail corridor 0 from 1000 to 1500 (scale 1000); others stay at 1000
    avail = np.ones((1, 1, 3), dtype=bool)
    base = np.full((1, 3), 1000.0)
    dear = np.array([[1500.0, 1000.0, 1000.0]])
    lam_nested = np.array([0.5, 1.0])
    lam_mnl = np.array([1.0, 1.0])

    p0 = corridors.choice_probabilities(base, avail, NEST_OF, lam_nested, 1000.0)[0, 0]
    p1 = corridors.choice_probabilities(dear, avail, NEST_OF, lam_nested, 1000.0)[0, 0]
    # nested, lambda 0.5: rail utility 0.5*ln(e^-3 + e^-2) = 0.5*ln(0.185122) = -0.843369;
    #   P(rail) = e^-0.843369/(e^-0.843369 + e^-1) = 0.430258/(0.430258 + 0.367879) = 0.539078;
    #   within rail: corridor1 = 1/(1+e^-1) = 0.731059, corridor0 = 0.268941
    #   -> [0.144980, 0.394097, 0.460922]; gains: rail1 0.394097 - 0.292893 = 0.101204, sea 0.460922 - 0.414214 = 0.046709
    np.testing.assert_allclose(p1, [0.144980, 0.394097, 0.460922], atol=2e-6)
    gain_rail, gain_sea = p1[1] - p0[1], p1[2] - p0[2]
    assert gain_rail > 2.0 * gain_sea
    # ratio of gains exceeds the ratio of base shares (IIA would make them equal): 2.167 > 0.707
    assert gain_rail / gain_sea > p0[1] / p0[2] * 1.5

    # plain logit: IIA, both gains equal: e^-1.5 = 0.223130, e^-1 = 0.367879, sum 0.958889
    #   -> [0.232697, 0.383652, 0.383652], each other corridor gains 0.383652 - 1/3 = 0.050318
    q0 = corridors.choice_probabilities(base, avail, NEST_OF, lam_mnl, 1000.0)[0, 0]
    q1 = corridors.choice_probabilities(dear, avail, NEST_OF, lam_mnl, 1000.0)[0, 0]
    np.testing.assert_allclose(q1, [0.232697, 0.383652, 0.383652], atol=2e-6)
    assert q1[1] - q0[1] == pytest.approx(q1[2] - q0[2], rel=1e-9)


def test_choice_probabilities_small_lambda_and_large_costs_stay_finite():
    # lambda 0.05 with costs in the tens of thousands: z = -gc/scale/lambda ~ -1000
    gc = np.array([[20000.0, 21000.0, 50000.0]])
    avail = np.ones((1, 1, 3), dtype=bool)
    p = corridors.choice_probabilities(gc, avail, NEST_OF, np.array([0.05, 1.0]), 1000.0)
    assert np.all(np.isfinite(p))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # rail0 is much cheaper than rail1 within a tight nest: rail1/rail0 = exp(-1000/1000/0.05) = e^-20
    assert p[0, 0, 1] / p[0, 0, 0] == pytest.approx(math.exp(-20.0), rel=1e-9)


def test_choice_probabilities_batch_matches_singles():
    rng = np.random.default_rng(11)
    B, M, K = 3, 4, 3
    gc = rng.uniform(500, 4000, (B, K))
    avail = rng.uniform(size=(B, M, K)) < 0.7
    lam = np.array([0.4, 1.0])
    assert_batch_matches_singles(lambda g, a: corridors.choice_probabilities(g, a, NEST_OF, lam, 800.0), [gc, avail])


# ----------------------------------------------------------------------------- assign_routes


def _equal_cost_problem():
    gc = np.full((1, 3), 1000.0)
    lam = np.array([1.0, 1.0])
    return gc, lam


def test_assign_routes_binding_capacity_single_market():
    gc, lam = _equal_cost_problem()
    demand = np.array([[900.0]])
    serves = np.ones((1, 1, 3), dtype=bool)
    capacity = np.array([[100.0, 1000.0, np.inf]])
    volume, wanted, unmet = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, lam, 500.0)
    # unconstrained: 900/3 = 300 each. corridor 0 full at 100; the 200 it turns away
    # spills evenly over corridor 1 and sea: 300 + 100 = 400 each
    np.testing.assert_allclose(volume, [[[100.0, 400.0, 400.0]]], rtol=1e-12)
    np.testing.assert_allclose(wanted, [[300.0, 300.0, 300.0]], rtol=1e-12)
    np.testing.assert_allclose(unmet, [[0.0]], atol=1e-9)
    assert volume.sum() + unmet.sum() == pytest.approx(900.0, rel=1e-12)


def test_assign_routes_cascading_spill_fills_second_corridor():
    gc, lam = _equal_cost_problem()
    demand = np.array([[900.0]])
    serves = np.ones((1, 1, 3), dtype=bool)
    capacity = np.array([[100.0, 350.0, np.inf]])
    volume, wanted, unmet = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, lam, 500.0)
    # round 1: 300 each; corridor 0 full at 100, corridor 1 takes 300 (50 room left), sea 300
    # round 2: the 200 turned away splits 100/100 over corridor 1 and sea; corridor 1 takes only 50
    # round 3: the last 50 goes to sea -> [100, 350, 300 + 100 + 50 = 450]
    np.testing.assert_allclose(volume, [[[100.0, 350.0, 450.0]]], rtol=1e-12)
    np.testing.assert_allclose(wanted, [[300.0, 300.0, 300.0]], rtol=1e-12)
    assert unmet[0, 0] == pytest.approx(0.0, abs=1e-9)


def test_assign_routes_shared_capacity_two_markets():
    gc, lam = _equal_cost_problem()
    demand = np.array([[600.0, 300.0]])
    serves = np.array([[[True, True, True], [True, False, True]]])
    capacity = np.array([[100.0, 1000.0, np.inf]])
    volume, wanted, unmet = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, lam, 500.0)
    # unconstrained: market A 200/200/200, market B 150/-/150 -> corridor 0 wanted 350 > 100
    # scaled down proportionally: A 100*200/350 = 57.142857, B 100*150/350 = 42.857143
    # A's shortfall 142.857143 split over corridor 1 and sea: +71.428571 each -> 271.428571
    # B's shortfall 107.142857 goes to sea -> 257.142857
    expected = np.array([[[57.142857143, 271.428571429, 271.428571429], [42.857142857, 0.0, 257.142857143]]])
    np.testing.assert_allclose(volume, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(wanted, [[350.0, 200.0, 350.0]], rtol=1e-12)
    np.testing.assert_allclose(unmet, [[0.0, 0.0]], atol=1e-9)
    assert volume[0, :, 0].sum() == pytest.approx(100.0, rel=1e-12)


def test_assign_routes_unmet_when_every_serving_corridor_full():
    gc, lam = _equal_cost_problem()
    demand = np.array([[300.0, 90.0]])
    # market 0 served by rail 0 (cap 100) and rail 1 (cap 50); market 1 only by sea
    serves = np.array([[[True, True, False], [False, False, True]]])
    capacity = np.array([[100.0, 50.0, np.inf]])
    volume, wanted, unmet = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, lam, 500.0)
    # market 0: 150 each wanted; both full -> 100 + 50 carried, 150 unmet; market 1: all 90 by sea
    np.testing.assert_allclose(volume, [[[100.0, 50.0, 0.0], [0.0, 0.0, 90.0]]], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(unmet, [[150.0, 0.0]], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(wanted, [[150.0, 150.0, 90.0]], rtol=1e-12)


def test_assign_routes_unserved_market_is_all_unmet():
    gc, lam = _equal_cost_problem()
    demand = np.array([[50.0, 70.0]])
    serves = np.array([[[False, False, False], [True, True, True]]])
    capacity = np.array([[1e6, 1e6, np.inf]])
    volume, _, unmet = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, lam, 500.0)
    np.testing.assert_array_equal(volume[0, 0], 0.0)
    np.testing.assert_allclose(unmet, [[50.0, 0.0]], atol=1e-9)
    # market 1 unconstrained: 70/3 each
    np.testing.assert_allclose(volume[0, 1], [70 / 3] * 3, rtol=1e-12)


def test_assign_routes_wanted_is_unconstrained_demand():
    rng = np.random.default_rng(12)
    B, M, K = 2, 3, 3
    demand = rng.uniform(100, 1000, (B, M))
    gc = rng.uniform(500, 3000, (B, K))
    serves = np.ones((B, M, K), dtype=bool)
    serves[:, 1, 1] = False
    capacity = np.array([[10.0, 20.0, np.inf], [5.0, 1e9, np.inf]])
    lam = np.array([0.6, 1.0])
    _, wanted, _ = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, lam, 700.0)
    p = corridors.choice_probabilities(gc, serves, NEST_OF, lam, 700.0)
    np.testing.assert_allclose(wanted, (p * demand[:, :, None]).sum(axis=1), rtol=1e-12)
    # capacities bind, so wanted on corridor 0 exceeds what it can carry
    assert np.all(wanted[:, 0] > capacity[:, 0])


def test_assign_routes_no_binding_capacity_is_logit_split():
    # nested, lambda 0.5, equal costs: shares [0.292893, 0.292893, 0.414214] of 1000
    gc = np.full((1, 3), 1000.0)
    demand = np.array([[1000.0]])
    serves = np.ones((1, 1, 3), dtype=bool)
    capacity = np.array([[1e6, 1e6, np.inf]])
    volume, wanted, unmet = corridors.assign_routes(demand, gc, serves, capacity, NEST_OF, np.array([0.5, 1.0]), 1000.0)
    rail = 1000 * SQRT2 / (1 + SQRT2) / 2
    np.testing.assert_allclose(volume, [[[rail, rail, 1000 / (1 + SQRT2)]]], rtol=1e-12)
    np.testing.assert_allclose(wanted, volume.sum(axis=1), rtol=1e-12)
    assert unmet[0, 0] == pytest.approx(0.0, abs=1e-9)


def test_assign_routes_batch_matches_singles():
    rng = np.random.default_rng(13)
    B, M, K = 3, 3, 3
    demand = rng.uniform(100, 1000, (B, M))
    gc = rng.uniform(500, 3000, (B, K))
    serves = rng.uniform(size=(B, M, K)) < 0.8
    capacity = rng.uniform(50, 600, (B, K))
    capacity[:, 2] = np.inf
    capacity[1, 2] = 400.0  # one batch element without an unbounded outlet
    lam = np.array([0.5, 1.0])
    assert_batch_matches_singles(
        lambda d, g, s, c: corridors.assign_routes(d, g, s, c, NEST_OF, lam, 600.0), [demand, gc, serves, capacity]
    )


# ----------------------------------------------------------------------------- expansion_orders


def test_expansion_orders_min_and_cap_logic():
    wanted = np.array([[500.0, 150.0, 110.0, 1e9]])
    capacity = np.array([[100.0, 200.0, 100.0, np.inf]])
    out = corridors.expansion_orders(wanted, capacity, 0.5, 0.1)
    # c0: shortfall 400 -> 0.5*400 = 200, capped at 0.1*100 = 10
    # c1: no shortfall (150 < 200) -> 0
    # c2: shortfall 10 -> 0.5*10 = 5 < 0.1*100 = 10 -> 5
    # c3: unbounded -> 0
    np.testing.assert_allclose(out, [[10.0, 0.0, 5.0, 0.0]], rtol=1e-12, atol=0)
    assert np.all(np.isfinite(out))


def test_expansion_orders_zero_for_infinite_capacity_even_with_huge_demand():
    out = corridors.expansion_orders(np.array([[np.inf, 1e12]]), np.array([[np.inf, np.inf]]), 1.0, 1.0)
    np.testing.assert_array_equal(out, [[0.0, 0.0]])


def test_expansion_orders_batch_matches_singles():
    rng = np.random.default_rng(14)
    B, K = 3, 5
    wanted = rng.uniform(0, 1000, (B, K))
    capacity = rng.uniform(100, 800, (B, K))
    capacity[:, -1] = np.inf
    assert_batch_matches_singles(lambda w, c: corridors.expansion_orders(w, c, 0.3, 0.05), [wanted, capacity])


# ----------------------------------------------------------------------------- advance_pipeline


def test_advance_pipeline_shift():
    pipeline = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])  # (1, L=3, K=2)
    orders = np.array([[7.0, 8.0]])
    arrived, new = corridors.advance_pipeline(pipeline, orders)
    np.testing.assert_array_equal(arrived, [[1.0, 2.0]])
    np.testing.assert_array_equal(new, [[[3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]])
    # the input pipeline is not modified
    np.testing.assert_array_equal(pipeline, [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])


def test_advance_pipeline_order_arrives_after_L_months():
    L, K = 4, 2
    pipeline = np.zeros((1, L, K))
    arrivals = []
    for month in range(L + 2):
        orders = np.array([[10.0, 20.0]]) if month == 0 else np.zeros((1, K))
        arrived, pipeline = corridors.advance_pipeline(pipeline, orders)
        arrivals.append(arrived[0].copy())
    # ordered at month 0, sits in slot L-1, reaches slot 0 after L-1 further shifts,
    # and is delivered by the call at month L
    for month, a in enumerate(arrivals):
        np.testing.assert_array_equal(a, [10.0, 20.0] if month == L else [0.0, 0.0])


def test_advance_pipeline_batch_matches_singles():
    rng = np.random.default_rng(15)
    B, L, K = 3, 5, 4
    assert_batch_matches_singles(corridors.advance_pipeline, [rng.uniform(0, 100, (B, L, K)), rng.uniform(0, 50, (B, K))])


# ----------------------------------------------------------------------------- capacity_prices


def test_capacity_prices_are_zero_when_nothing_binds():
    gc = np.array([[4000.0, 5000.0, 3000.0]])
    av = np.ones((1, 1, 3), dtype=bool)
    s, wanted = corridors.capacity_prices(np.array([[1000.0]]), gc, av, np.array([[1e9, 1e9, np.inf]]), NEST_OF,
                                          np.array([0.5, 1.0]), 1000.0)
    np.testing.assert_array_equal(s, 0.0)
    np.testing.assert_allclose(wanted.sum(), 1000.0)


def test_capacity_price_of_a_lone_binding_corridor_in_a_plain_logit():
    """Plain logit (lambda = 1), two equal corridors, demand 100, capacity 20 on the first.

    Without a surcharge each wants 50. Rationed, the first carries 20, so its weight e^(-s/1000)
    must satisfy x / (x + 1) = 0.2, i.e. x = 0.25 and s = 1000 * ln 4 = 1386.3 USD per FEU.
    """
    nest = np.array([[1, 0], [0, 1]])
    s, wanted = corridors.capacity_prices(np.array([[100.0]]), np.array([[3000.0, 3000.0]]), np.ones((1, 1, 2), bool),
                                          np.array([[20.0, np.inf]]), nest, np.array([1.0, 1.0]), 1000.0, tolerance=1e-9,
                                          iterations=200)
    np.testing.assert_allclose(wanted, [[50.0, 50.0]])
    assert s[0, 0] == pytest.approx(1000 * math.log(4), rel=1e-4) and s[0, 1] == 0.0


def test_rationed_rail_freight_stays_on_rail():
    """Nested logit: freight a full rail corridor turns away goes mostly to the other rail corridor.

    Plain water-filling would re-split it over the whole market, where the sea dominates.
    """
    gc = np.array([[6000.0, 6200.0, 3550.0]])  # rail, rail, sea
    av = np.ones((1, 1, 3), dtype=bool)
    cap = np.array([[50_000.0, 1e9, np.inf]])
    lam = np.array([0.5, 1.0])
    demand = np.array([[2.0e7]])
    s, wanted = corridors.capacity_prices(demand, gc, av, cap, NEST_OF, lam, 1000.0)
    priced, _, _ = corridors.assign_routes(demand, gc + s, av, cap, NEST_OF, lam, 1000.0)
    filled, _, _ = corridors.assign_routes(demand, gc, av, cap, NEST_OF, lam, 1000.0)
    assert wanted[0, 0] > cap[0, 0]  # corridor 0 binds
    assert priced[0, 0, 0] == pytest.approx(50_000.0, rel=1e-6) and filled[0, 0, 0] == pytest.approx(50_000.0, rel=1e-6)
    turned_away = wanted[0, 0] - 50_000.0
    kept_priced = (priced[0, 0, 1] - wanted[0, 1]) / turned_away
    kept_filled = (filled[0, 0, 1] - wanted[0, 1]) / turned_away
    # water-filling re-splits the overflow over the whole market, where rail holds about 10 %; rationing by price
    # moves it along the rail nest first (lambda = 0.5), so several times as much stays on rail
    assert kept_filled < 0.1
    assert kept_priced > 0.3 and kept_priced > 4 * kept_filled
    np.testing.assert_allclose(priced.sum(), demand.sum())


def test_capacity_prices_batch_matches_singles():
    rng = np.random.default_rng(3)
    B = 3
    demand = rng.uniform(1e5, 1e6, (B, 2))
    gc = rng.uniform(3000, 8000, (B, 3))
    av = np.ones((B, 2, 3), dtype=bool)
    cap = np.concatenate([rng.uniform(1e4, 1e5, (B, 2)), np.full((B, 1), np.inf)], axis=1)
    assert_batch_matches_singles(
        lambda d, g, a, c: corridors.capacity_prices(d, g, a, c, NEST_OF, np.array([0.5, 1.0]), 1000.0), [demand, gc, av, cap],
        rtol=1e-9, atol=1e-6)


def test_faster_routes_hand_numbers():
    """Money buys speed down to a floor: 34 days, USD 2bn this month at 0.85 days per bn -> 32.3; a route at 17.5
    days gets USD 2bn -> 15.8, held at its floor 17; a route already faster than its floor (16, after an event) is
    not slowed; a route without a saving (0 days per bn) does not move."""
    from alignment.mechanisms.corridors import faster_routes

    days = np.array([[34.0, 17.5, 16.0, 25.0]])
    funding = np.array([[2.0, 2.0, 2.0, 2.0]])
    out = faster_routes(days, funding, np.array([0.85, 0.85, 0.85, 0.0]), np.array([17.0, 17.0, 17.0, 10.0]))
    np.testing.assert_allclose(out, [[32.3, 17.0, 16.0, 25.0]])
