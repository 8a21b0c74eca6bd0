"""Unit and batch tests for alignment.mechanisms.alignment (hand-computed expectations)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignment.mechanisms import alignment as al

from strategies import assert_batch_matches_singles




def _simplex(rng, shape):
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


# ----------------------------------------------------------------------------- attraction_scores


def test_attraction_scores_hand_numbers():
    # B=1, C=6, N=2, P=2; only trade, investment and remittances have non-zero coefficients
    channels = np.full((1, 6, 2, 2), 9.0)  # channels with zero coefficient must not matter
    channels[0, 0] = [[0.5, 0.1], [0.2, 0.4]]  # trade
    channels[0, 1] = [[0.1, 0.3], [0.0, 0.2]]  # investment
    channels[0, 5] = [[0.0, 0.4], [0.0, 0.6]]  # remittances
    coefficients = [1.0, 2.0, 0.0, 0.0, 0.0, 0.5]
    coercion = np.array([[0.5, 0.0]])
    sanctioned = np.array([[0.0, 1.0]])
    exposure = np.array([[0.2, 0.6]])
    out = al.attraction_scores(channels, coefficients, coercion, sanctioned, exposure, 2.0, 3.0)
    # pull: n0p0 = 0.5 + 2*0.1 + 0.5*0 = 0.7 ; n0p1 = 0.1 + 2*0.3 + 0.5*0.4 = 0.9
    #       n1p0 = 0.2 + 0 + 0 = 0.2       ; n1p1 = 0.4 + 2*0.2 + 0.5*0.6 = 1.1
    # push: 2*coercion_p + 3*sanctioned_p*exposure_n: n0 [1, 0.6], n1 [1, 1.8]
    # score: n0 [-0.3, 0.3], n1 [-0.8, -0.7]
    np.testing.assert_allclose(out, [[[-0.3, 0.3], [-0.8, -0.7]]], atol=1e-12)


def test_attraction_scores_no_push_is_weighted_channel_sum():
    rng = np.random.default_rng(40)
    channels = rng.uniform(0, 1, (1, 6, 3, 2))
    coef = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    out = al.attraction_scores(channels, coef, np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 3)), 0.0, 0.0)
    np.testing.assert_allclose(out, channels[:, 0], rtol=1e-14)


def test_attraction_scores_batch_matches_singles():
    rng = np.random.default_rng(41)
    B, C, N, P = 3, 6, 5, 4
    coef = rng.uniform(0, 2, C)
    arrays = [rng.uniform(0, 1, (B, C, N, P)), rng.uniform(0, 1, (B, P)), rng.uniform(0, 1, (B, P)), rng.uniform(0, 1, (B, N))]
    assert_batch_matches_singles(lambda c, co, s, e: al.attraction_scores(c, coef, co, s, e, 0.7, 1.3), arrays)


# ----------------------------------------------------------------------------- target_weights


def test_target_weights_hand_numbers():
    scores = np.array([[[0.0, math.log(3.0)]] * 3])  # (1, 3, 2)
    hedging = np.array([[0.0, 0.5, 1.0]])
    out = al.target_weights(scores, 1.0, hedging)
    # softmax [1, 3] / 4 = [0.25, 0.75]; hedge 0.5: 0.5*[.25, .75] + 0.5*[.5, .5] = [0.375, 0.625]; hedge 1: [.5, .5]
    np.testing.assert_allclose(out, [[[0.25, 0.75], [0.375, 0.625], [0.5, 0.5]]], rtol=1e-12)


def test_target_weights_temperature():
    scores = np.array([[[0.0, math.log(3.0)]]])
    out = al.target_weights(scores, 2.0, np.zeros((1, 1)))
    # exp(z/2) = [1, sqrt 3] -> [1/(1+sqrt3), sqrt3/(1+sqrt3)] = [0.366025, 0.633975]
    s3 = math.sqrt(3.0)
    np.testing.assert_allclose(out, [[[1 / (1 + s3), s3 / (1 + s3)]]], rtol=1e-12)


def test_target_weights_full_hedging_is_even_split():
    rng = np.random.default_rng(42)
    scores = rng.normal(0, 3, (2, 4, 5))
    out = al.target_weights(scores, 0.3, np.ones((2, 4)))
    np.testing.assert_allclose(out, 0.2, rtol=1e-12)


def test_target_weights_equal_scores_no_hedging_is_even_split():
    out = al.target_weights(np.full((1, 2, 4), 1.7), 0.5, np.zeros((1, 2)))
    np.testing.assert_allclose(out, 0.25, rtol=1e-12)


def test_target_weights_larger_score_larger_weight_and_shift_invariant():
    scores = np.array([[[0.1, 0.5, -0.3, 0.2]]])
    out = al.target_weights(scores, 0.4, np.array([[0.3]]))
    order = np.argsort(scores[0, 0])
    assert np.all(np.diff(out[0, 0][order]) > 0)
    # huge common offset changes nothing (and must not overflow)
    shifted = al.target_weights(scores + 1000.0, 0.4, np.array([[0.3]]))
    np.testing.assert_allclose(shifted, out, rtol=1e-12)
    assert out.sum() == pytest.approx(1.0, abs=1e-12)


def test_target_weights_batch_matches_singles():
    rng = np.random.default_rng(43)
    B, N, P = 3, 5, 4
    assert_batch_matches_singles(
        lambda s, h: al.target_weights(s, 0.6, h), [rng.normal(0, 1, (B, N, P)), rng.uniform(0, 1, (B, N))]
    )


# ----------------------------------------------------------------------------- update_weights


def test_adjustment_rates_hand_numbers():
    """Calm rates 0.01 and 0.005 (a neutral state, damped by half); threat 0.5 at urgency 4 triples both: 0.03 and 0.015.
    A second run without threat keeps its calm rates; a huge urgency is capped at 1 (the whole gap in a month)."""
    from alignment.mechanisms.alignment import adjustment_rates

    base = np.array([[[0.01], [0.005]], [[0.01], [0.005]]])
    r = adjustment_rates(base, np.array([0.5, 0.0]), 4.0)
    np.testing.assert_allclose(r[:, :, 0], [[0.03, 0.015], [0.01, 0.005]])
    assert adjustment_rates(base, np.array([1.0, 1.0]), 1e6).max() == 1.0
    np.testing.assert_allclose(adjustment_rates(base, np.array([0.5, 0.5]), np.array([0.0, 2.0]))[:, 0, 0], [0.01, 0.02])


def test_update_weights_full_rate_no_noise_returns_target():
    rng = np.random.default_rng(44)
    w, t = _simplex(rng, (2, 3, 4)), _simplex(rng, (2, 3, 4))
    out = al.update_weights(w, t, 1.0, rng.normal(size=(2, 3, 4)), 0.0)
    np.testing.assert_allclose(out, t, rtol=1e-12)


def test_update_weights_partial_rate_hand_numbers():
    w = np.array([[[0.8, 0.2, 0.0]]])
    t = np.array([[[0.0, 0.5, 0.5]]])
    out = al.update_weights(w, t, 0.25, np.zeros((1, 1, 3)), 0.3)
    # 0.75*[.8, .2, 0] + 0.25*[0, .5, .5] = [0.6, 0.275, 0.125]
    np.testing.assert_allclose(out, [[[0.6, 0.275, 0.125]]], rtol=1e-12)


def test_update_weights_noise_hand_numbers():
    w = np.array([[[0.5, 0.5]]])
    noise = np.array([[[1.0, 0.0]]])
    out = al.update_weights(w, w, 0.0, noise, math.log(2.0))
    # [0.5*2, 0.5*1] = [1, 0.5] -> normalised [2/3, 1/3]
    np.testing.assert_allclose(out, [[[2 / 3, 1 / 3]]], rtol=1e-12)


def test_update_weights_batch_matches_singles():
    rng = np.random.default_rng(45)
    B, N, P = 3, 5, 4
    arrays = [_simplex(rng, (B, N, P)), _simplex(rng, (B, N, P)), rng.normal(size=(B, N, P))]
    assert_batch_matches_singles(lambda w, t, z: al.update_weights(w, t, 0.2, z, 0.1), arrays)


# ----------------------------------------------------------------------------- multialignment_index


def test_multialignment_index_extremes_and_hand_value():
    w = np.array([[[0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]]])
    out = al.multialignment_index(w)
    # uniform -> ln4/ln4 = 1 ; one-hot -> 0 ; two-way even split -> ln2/ln4 = 0.5
    np.testing.assert_allclose(out, [[1.0, 0.0, 0.5]], atol=1e-12)
    assert np.all(np.isfinite(out))


def test_multialignment_index_three_powers_hand_value():
    # weights [0.5, 0.25, 0.25]: H = 0.5 ln2 + 2 * 0.25 ln4 = 1.5 ln2 = 1.039721; / ln3 = 1.098612 -> 0.946395
    out = al.multialignment_index(np.array([[[0.5, 0.25, 0.25]]]))
    np.testing.assert_allclose(out, [[1.5 * math.log(2.0) / math.log(3.0)]], rtol=1e-12)
    assert out[0, 0] == pytest.approx(0.946395, abs=1e-6)


def test_multialignment_index_batch_matches_singles():
    rng = np.random.default_rng(46)
    assert_batch_matches_singles(al.multialignment_index, [_simplex(rng, (3, 5, 4))])


# ----------------------------------------------------------------------------- regional_cohesion


def test_regional_cohesion_identical_weights_similarity_one():
    w = np.tile(np.array([0.2, 0.3, 0.5]), (1, 3, 1))  # 3 identical states
    out = al.regional_cohesion(w, np.array([math.log(2.0)]), np.array([0.4]), 0.5, 0.3)
    # similarity 1; intensity 1 - exp(-ln 2) = 0.5; institutions share 1 - 0.5 - 0.3 = 0.2
    # 0.5*1 + 0.3*0.5 + 0.2*0.4 = 0.5 + 0.15 + 0.08 = 0.73
    np.testing.assert_allclose(out, [0.73], rtol=1e-12)


def test_regional_cohesion_similarity_part_hand_numbers():
    w = np.array([[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]])
    out = al.regional_cohesion(w, np.array([5.0]), np.array([0.9]), 1.0, 0.0)
    # TV distances: (0,1) 1, (0,2) 0.5, (1,2) 0.5 -> mean 2/3 -> similarity 1/3; only similarity counts
    np.testing.assert_allclose(out, [1 / 3], rtol=1e-12)


def test_regional_cohesion_intensity_and_institutions_only():
    w = np.array([[[1.0, 0.0], [0.0, 1.0]]] * 2)  # B=2, maximally dissimilar states, similarity 0
    out = al.regional_cohesion(w, np.array([0.0, 1.0]), np.array([0.6, 0.6]), 0.0, 0.5)
    # batch 0: 0.5*(1 - e^0) + 0.5*0.6 = 0.3 ; batch 1: 0.5*(1 - e^-1) + 0.3 = 0.5*0.632121 + 0.3 = 0.616060
    np.testing.assert_allclose(out, [0.3, 0.5 * (1 - math.exp(-1.0)) + 0.3], rtol=1e-12)
    assert out[1] == pytest.approx(0.616060, abs=1e-6)


def test_regional_cohesion_clipped_to_unit_interval():
    w = np.tile(np.array([0.5, 0.5]), (1, 2, 1))
    # mixing weights summing past 1 leave a negative institutions share: 1.5*1 + 0 + (-0.5)*0 = 1.5 -> clipped to 1
    out = al.regional_cohesion(w, np.array([0.0]), np.array([0.0]), 1.5, 0.0)
    np.testing.assert_allclose(out, [1.0])


def test_regional_cohesion_batch_matches_singles():
    rng = np.random.default_rng(47)
    arrays = [_simplex(rng, (3, 5, 4)), rng.uniform(0, 3, 3), rng.uniform(0, 1, 3)]
    assert_batch_matches_singles(lambda w, i, s: al.regional_cohesion(w, i, s, 0.4, 0.35), arrays)


# ----------------------------------------------------------------------------- each state's own rule
def test_coercion_is_answered_by_each_state_in_its_own_way():
    """A balancer leans away from the power that coerces, a bandwagoner toward it, a neutral not at all."""
    channels = np.zeros((1, 6, 3, 2))
    coercion = np.array([[0.5, 0.0]])
    zero = np.zeros((1, 2))
    out = al.attraction_scores(channels, [1, 0, 0, 0, 0, 0], coercion, zero, np.zeros((1, 3)), 4.0, 0.0,
                               coercion_response=np.array([1.0, -0.5, 0.0]))
    # push = coercion_weight * response * coercion = 4 * [1, -0.5, 0] * 0.5
    np.testing.assert_allclose(out[0, :, 0], [-2.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out[0, :, 1], 0.0, atol=1e-12)
    # without a response every state balances (the shared rule before per-state rules)
    shared = al.attraction_scores(channels, [1, 0, 0, 0, 0, 0], coercion, zero, np.zeros((1, 3)), 4.0, 0.0)
    np.testing.assert_allclose(shared[0, :, 0], -2.0, atol=1e-12)


def test_a_threat_draws_a_concerned_leadership_to_its_security_partners():
    ties = np.array([[[1.5, 0.25], [1.5, 0.25]]])  # (B, N, P): a base and the CSTO with power 0, the SCO with power 1
    out = al.security_seeking(np.array([0.5]), np.array([1.0, 0.0]), ties, 2.0)
    # 2 * 0.5 * concern * ties
    np.testing.assert_allclose(out, [[[1.5, 0.25], [0.0, 0.0]]], atol=1e-12)
    np.testing.assert_allclose(al.security_seeking(np.array([0.0]), np.array([1.0, 1.0]), ties, 2.0), 0.0)


def test_habit_is_an_exponential_average_of_past_weights():
    h = np.array([[[0.5, 0.5]]])
    w = np.array([[[0.9, 0.1]]])
    k = 1 - math.exp(-1 / 12)  # memory of one year, one month
    np.testing.assert_allclose(al.update_habit(h, w, 1.0), [[[0.5 + 0.4 * k, 0.5 - 0.4 * k]]], atol=1e-12)
    # twelve months close 1 - 1/e of the gap
    for _ in range(12):
        h = al.update_habit(h, w, 1.0)
    np.testing.assert_allclose(h[0, 0, 0], 0.9 - 0.4 / math.e, atol=1e-12)


def test_hedging_share_from_cohesion_and_neutrality():
    extra = np.zeros((1, 2))
    out = al.hedging_share(0.0, extra, np.array([0.5]), 0.2, np.array([False, True]), 0.3)
    # cohesion 0.5 x autonomy 0.2 = 0.1 for both; the neutral state keeps 0.3 of the rest out of any bloc too
    np.testing.assert_allclose(out, [[0.1, 1 - 0.9 * 0.7]], atol=1e-12)
    np.testing.assert_allclose(al.hedging_share(0.9, extra + 0.5, np.array([1.0]), 1.0, np.array([False, False]), 0.3), 1.0)
