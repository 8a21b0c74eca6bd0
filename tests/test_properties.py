"""Property tests: invariants of the mechanism functions over many drawn inputs."""

import numpy as np  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402

from alignment.mechanisms import alignment as al  # noqa: E402
from alignment.mechanisms import corridors, diplomacy, engagement, trade  # noqa: E402
from strategies import (  # noqa: E402
    choice_cases,
    cohesion_cases,
    diversion_cases,
    engagement_cases,
    kind_cases,
    route_cases,
    simplex,
    target_cases,
    weight_update_cases,
)

SETTINGS = settings(max_examples=150, deadline=None)


def _assert_on_simplex(w, tol=1e-9):
    assert np.all(np.isfinite(w))
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=0, atol=tol)


# ----------------------------------------------------------------------------- alignment


@SETTINGS
@given(case=weight_update_cases())
@example(
    case={  # one-hot weights and a disjoint one-hot target, full noise
        "weights": np.array([[[1.0, 0.0, 0.0]]]),
        "target": np.array([[[0.0, 0.0, 1.0]]]),
        "adjustment_rate": 1e-300,
        "noise": np.array([[[-6.0, 6.0, 6.0]]]),
        "noise_scale": 0.5,
    }
)
def test_update_weights_stays_on_simplex(case):
    out = al.update_weights(**case)
    assert out.shape == case["weights"].shape
    _assert_on_simplex(out)


@SETTINGS
@given(case=target_cases())
@example(case={"scores": np.array([[[50.0, -50.0, 50.0]]]), "temperature": 0.01, "hedging": np.array([[0.0]])})
def test_target_weights_on_simplex(case):
    out = al.target_weights(**case)
    _assert_on_simplex(out)
    # hedging puts at least hedging / P on every power
    P = case["scores"].shape[2]
    assert np.all(out >= case["hedging"][:, :, None] / P * (1 - 1e-12))


@SETTINGS
@given(w=simplex((2, 3, 5)))
@example(w=np.full((2, 3, 5), 0.2))  # uniform P=5: entropy rounds to 1 + 2.2e-16
@example(w=np.eye(5)[None, :3, :].repeat(2, axis=0))
def test_multialignment_index_in_unit_interval(w):
    m = al.multialignment_index(w)
    assert m.shape == (2, 3)
    assert np.all(np.isfinite(m))
    assert np.all(m >= 0.0)
    assert np.all(m <= 1.0 + 1e-12)


@SETTINGS
@given(case=cohesion_cases())
def test_regional_cohesion_in_unit_interval(case):
    c = al.regional_cohesion(**case)
    assert c.shape == case["institutions"].shape
    assert np.all((c >= 0.0) & (c <= 1.0))


# ----------------------------------------------------------------------------- corridors


@SETTINGS
@given(case=choice_cases())
def test_choice_probabilities_rows_sum_to_one_where_available(case):
    p = corridors.choice_probabilities(**case)
    avail = case["available"]
    assert np.all(np.isfinite(p))
    assert np.all(p >= 0)
    np.testing.assert_array_equal(p[~avail], 0.0)
    any_avail = avail.any(axis=2)
    np.testing.assert_allclose(p.sum(axis=2)[any_avail], 1.0, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(p.sum(axis=2)[~any_avail], 0.0)


@SETTINGS
@given(case=choice_cases(all_lambda_one=True))
def test_choice_probabilities_all_lambda_one_is_multinomial_logit(case):
    p = corridors.choice_probabilities(**case)
    gc, avail, scale = case["gcost_usd"], case["available"], case["logit_scale_usd"]
    # independent MNL: exp(-(gc - min gc) / scale) over the available corridors, normalised
    util = np.where(avail, -gc[:, None, :] / scale, -np.inf)
    top = util.max(axis=2, keepdims=True)
    w = np.where(avail, np.exp(util - np.where(np.isfinite(top), top, 0.0)), 0.0)
    tot = w.sum(axis=2, keepdims=True)
    expected = np.divide(w, tot, out=np.zeros_like(w), where=tot > 0)
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(case=choice_cases())
def test_choice_probabilities_invariant_to_common_cost_shift(case):
    p = corridors.choice_probabilities(**case)
    shifted = dict(case, gcost_usd=case["gcost_usd"] + 777.0)
    np.testing.assert_allclose(corridors.choice_probabilities(**shifted), p, rtol=1e-7, atol=1e-9)


@SETTINGS
@given(case=route_cases())
@example(
    case={  # every finite corridor over-subscribed, no unbounded outlet
        "demand_teu": np.array([[3e7, 1e4]]),
        "gcost_usd": np.array([[1000.0, 1000.0, 1000.0]]),
        "serves": np.ones((1, 2, 3), dtype=bool),
        "capacity_teu": np.array([[10.0, 20.0, 0.0]]),
        "nest_of": np.array([[1, 0], [1, 0], [0, 1]]),
        "nest_lambda": np.array([0.05, 1.0]),
        "logit_scale_usd": 10.0,
    }
)
def test_assign_routes_conserves_demand_and_respects_capacity(case):
    volume, wanted, unmet = corridors.assign_routes(**case)
    demand, capacity, serves = case["demand_teu"], case["capacity_teu"], case["serves"]
    B, M, K = serves.shape
    assert volume.shape == (B, M, K) and wanted.shape == (B, K) and unmet.shape == (B, M)
    for arr in (volume, wanted, unmet):
        assert not np.any(np.isnan(arr))
        assert np.all(arr >= 0)
    assert np.all(np.isfinite(volume)) and np.all(np.isfinite(unmet))
    # conservation
    np.testing.assert_allclose(volume.sum(axis=-1) + unmet, demand, rtol=1e-9, atol=1e-6)
    # capacity
    assert np.all(volume.sum(axis=1) <= capacity * (1 + 1e-9) + 1e-6)
    # nothing on corridors that do not serve the market
    np.testing.assert_array_equal(volume[~serves], 0.0)
    # unmet only if every corridor serving the market is full
    full = volume.sum(axis=1) >= capacity * (1 - 1e-9) - 1e-6  # (B, K)
    for b in range(B):
        for m in range(M):
            if unmet[b, m] > 1e-6 * max(demand[b, m], 1.0):
                assert np.all(full[b][serves[b, m]]), (b, m)


@SETTINGS
@given(case=route_cases())
def test_assign_routes_wanted_is_unconstrained_split_when_capacities_positive(case):
    case = dict(case, capacity_teu=np.where(case["capacity_teu"] > 0, case["capacity_teu"], 1.0))
    _, wanted, _ = corridors.assign_routes(**case)
    p = corridors.choice_probabilities(
        case["gcost_usd"], case["serves"], case["nest_of"], case["nest_lambda"], case["logit_scale_usd"]
    )
    np.testing.assert_allclose(wanted, (p * case["demand_teu"][:, :, None]).sum(axis=1), rtol=1e-9, atol=1e-6)


# ----------------------------------------------------------------------------- engagement


@SETTINGS
@given(case=engagement_cases())
@example(
    case={  # every state fully aligned with the only power: no room anywhere
        "budget": np.array([[7.0]]),
        "weights": np.ones((1, 3, 1)),
        "openness": np.ones((1, 3)),
        "gdp_usd_bn": np.array([[0.1, 1.0, 10000.0]]),
        "size_elasticity": 0.0,
        "focus": 5.0,
    }
)
def test_allocate_engagement_conserves_budget(case):
    out = engagement.allocate_engagement(**case)
    B, N, P = case["weights"].shape
    assert out.shape == (B, P, N)
    assert np.all(np.isfinite(out))
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=2), case["budget"], rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- trade


@SETTINGS
@given(case=diversion_cases(hub=True))
def test_divert_trade_accounting_identity_with_a_common_intermediary(case):
    lost, extra = trade.divert_trade(**case)
    direct = case["direct_usd_bn"]
    assert np.all(extra >= 0)
    assert np.all((lost >= 0) & (lost <= direct * (1 + 1e-12)))
    np.testing.assert_allclose(lost, np.swapaxes(lost, 1, 2), rtol=1e-12)
    expected = 2 * case["diversion_share"] * np.triu(lost, k=1).sum(axis=(1, 2))
    np.testing.assert_allclose(extra.sum(axis=(1, 2)), expected, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(case=diversion_cases(hub=False))
@example(
    case={  # each power reachable, but no intermediary reaches both sides of the sanctioned pair
        "direct_usd_bn": np.array([[[0.0, 10.0], [10.0, 0.0]]]),
        "sanction": np.array([[[0.0, 1.0], [1.0, 0.0]]]),
        "access": np.array([[[1.0, 0.0], [0.0, 1.0]]]),
        "cost_elasticity": 2.0,
        "diversion_share": 1.0,
    }
)
def test_divert_trade_never_creates_more_than_diverted(case):
    lost, extra = trade.divert_trade(**case)
    assert np.all(extra >= 0)
    bound = 2 * case["diversion_share"] * np.triu(lost, k=1).sum(axis=(1, 2))
    assert np.all(extra.sum(axis=(1, 2)) <= bound * (1 + 1e-9) + 1e-9)


# ----------------------------------------------------------------------------- diplomacy


@SETTINGS
@given(case=kind_cases())
def test_kind_probabilities_on_simplex(case):
    p = diplomacy.kind_probabilities(**case)
    assert p.shape == (case["cohesion"].shape[0], 4)
    _assert_on_simplex(p, tol=1e-12)
    # with no in-person contact, visits and meetings vanish
    if np.any(case["in_person_factor"] == 0):
        np.testing.assert_array_equal(p[case["in_person_factor"] == 0][:, 2:], 0.0)


@SETTINGS
@given(case=route_cases())
def test_capacity_prices_are_nonnegative_bring_demand_to_capacity_and_keep_assignment_exact(case):
    args = {k: case[k] for k in ("demand_teu", "gcost_usd", "capacity_teu", "nest_of", "nest_lambda", "logit_scale_usd")}
    surcharge, wanted = corridors.capacity_prices(available=case["serves"], iterations=200, **args)
    cap = case["capacity_teu"]
    assert np.all(surcharge >= 0) and not np.any(np.isnan(surcharge))
    np.testing.assert_array_equal(surcharge[~np.isfinite(cap)], 0.0)  # the unbounded outside option is never priced
    priced = dict(case, gcost_usd=case["gcost_usd"] + surcharge)
    volume, _, unmet = corridors.assign_routes(**priced)
    np.testing.assert_allclose(volume.sum(axis=-1) + unmet, case["demand_teu"], rtol=1e-9, atol=1e-6)
    assert np.all(volume.sum(axis=1) <= cap * (1 + 1e-9) + 1e-6)
