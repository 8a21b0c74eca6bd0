"""Unit and batch tests for alignment.mechanisms.diplomacy (hand-computed expectations)."""

from __future__ import annotations

import math

import numpy as np

from alignment.mechanisms import diplomacy

from strategies import assert_batch_matches_singles

LN2 = math.log(2.0)
JUST_BELOW_ONE = float(np.nextafter(1.0, 0.0))




# ----------------------------------------------------------------------------- pair_index


def test_pair_index_upper_triangle_order():
    i, j = diplomacy.pair_index(4)
    np.testing.assert_array_equal(i, [0, 0, 0, 1, 1, 2])
    np.testing.assert_array_equal(j, [1, 2, 3, 2, 3, 3])
    assert len(diplomacy.pair_index(5)[0]) == 10


# ----------------------------------------------------------------------------- pair_rates


def test_pair_rates_three_states_hand_numbers():
    activity = np.array([[1.0, 2.0, 0.5]])
    out = diplomacy.pair_rates(activity, np.array([0.5]), np.array([0.2]), 0.3, 2.0, 5.0)
    # multiplier (1 + 2*0.5) * (1 + 5*0.2) = 2 * 2 = 4
    # pairs (0,1): 0.3*1*2*4 = 2.4 ; (0,2): 0.3*1*0.5*4 = 0.6 ; (1,2): 0.3*2*0.5*4 = 1.2
    np.testing.assert_allclose(out, [[2.4, 0.6, 1.2]], rtol=1e-12)


def test_pair_rates_baseline_and_zero_activity():
    activity = np.array([[1.0, 1.0, 0.0], [1.0, 3.0, 1.0]])
    out = diplomacy.pair_rates(activity, np.array([0.0, 1.0]), np.array([0.0, 0.0]), 0.5, 4.0, 9.0)
    # batch 0: cohesion 0, threat 0 -> base 0.5 for (0,1), 0 for pairs with the inactive state
    # batch 1: (1 + 4*1) * 1 = 5 -> (0,1) 0.5*3*5 = 7.5, (0,2) 0.5*1*5 = 2.5, (1,2) 0.5*3*5 = 7.5
    np.testing.assert_allclose(out, [[0.5, 0.0, 0.0], [7.5, 2.5, 7.5]], rtol=1e-12)


def test_pair_rates_batch_matches_singles():
    rng = np.random.default_rng(30)
    B, N = 3, 5
    arrays = [rng.uniform(0, 2, (B, N)), rng.uniform(0, 1, B), rng.uniform(0, 1, B)]
    assert_batch_matches_singles(lambda a, c, t: diplomacy.pair_rates(a, c, t, 0.4, 1.5, 0.8), arrays)


# ----------------------------------------------------------------------------- kind_probabilities


def test_kind_probabilities_hand_numbers():
    base = np.zeros(4)
    slopes = np.array([-LN2, 0.0, LN2, LN2])
    cohesion = np.array([0.0, 1.0, 1.0, 1.0])
    in_person = np.array([1.0, 1.0, 0.0, 0.5])
    out = diplomacy.kind_probabilities(cohesion, in_person, base, slopes)
    # cohesion 0: all logits 0 -> 1/4 each
    # cohesion 1: exp(logits) = [0.5, 1, 2, 2], sum 5.5 -> [1/11, 2/11, 4/11, 4/11]
    # in-person 0: [0.5, 1, 0, 0] / 1.5 -> [1/3, 2/3, 0, 0]
    # in-person 0.5: [0.5, 1, 1, 1] / 3.5 -> [1/7, 2/7, 2/7, 2/7]
    expected = np.array(
        [[0.25, 0.25, 0.25, 0.25], [1 / 11, 2 / 11, 4 / 11, 4 / 11], [1 / 3, 2 / 3, 0.0, 0.0], [1 / 7, 2 / 7, 2 / 7, 2 / 7]]
    )
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)


def test_kind_probabilities_large_logits_are_finite():
    # softmax of [1000, 1000 + ln 3, 0, 0] -> [1/4, 3/4, ~0, ~0]
    out = diplomacy.kind_probabilities(np.array([0.0]), np.array([1.0]), np.array([1000.0, 1000.0 + math.log(3.0), 0.0, 0.0]), np.zeros(4))
    np.testing.assert_allclose(out, [[0.25, 0.75, 0.0, 0.0]], atol=1e-12)


def test_kind_probabilities_batch_matches_singles():
    rng = np.random.default_rng(31)
    B = 3
    base = np.array([1.0, 0.2, -0.5, -1.0])
    slopes = np.array([-1.0, 0.3, 0.8, 1.2])
    assert_batch_matches_singles(
        lambda c, f: diplomacy.kind_probabilities(c, f, base, slopes), [rng.uniform(0, 1, B), rng.uniform(0, 1, B)]
    )


# ----------------------------------------------------------------------------- draw_interactions

LEVELS = np.array(
    [
        [1.0, 0.0, 0.0],  # telegram: always president
        [0.0, 0.5, 0.5],  # call
        [0.2, 0.3, 0.5],  # visit
        [0.0, 0.0, 1.0],  # meeting
    ]
)


def test_draw_interactions_hand_case():
    rates = np.zeros((2, 3))
    counts = np.array([[1, 0, 2], [0, 1, 0]])
    kind_probs = np.array([[0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]])
    # records in order: (b0, pair0), (b0, pair2), (b0, pair2), (b1, pair1)
    # kind cdfs: b0 [.25, .5, .75, 1], b1 [.1, .3, .6, 1]
    # u_kind 0.0 -> telegram; 0.3 -> call; just below 1 -> meeting; 0.35 in [.3, .6) -> visit
    u_kind = np.array([0.0, 0.3, JUST_BELOW_ONE, 0.35])
    # levels: telegram -> president regardless of 0.99; call cdf [0, .5, 1], 0.2 -> prime minister;
    # meeting cdf [0, 0, 1], 0.5 -> foreign minister; visit cdf [.2, .5, 1], 0.1 -> president
    u_level = np.array([0.99, 0.2, 0.5, 0.1])
    out = diplomacy.draw_interactions(rates, kind_probs, LEVELS, u_kind, u_level, counts)
    np.testing.assert_array_equal(out["batch"], [0, 0, 0, 1])
    np.testing.assert_array_equal(out["pair"], [0, 2, 2, 1])
    np.testing.assert_array_equal(out["kind"], [0, 1, 3, 2])
    np.testing.assert_array_equal(out["level"], [0, 1, 2, 0])


def test_draw_interactions_cdf_boundaries():
    # a single pair with 6 interactions; probabilities [0.5, 0, 0.5, 0] -> cdf [.5, .5, 1, 1]
    counts = np.array([[6]])
    kind_probs = np.array([[0.5, 0.0, 0.5, 0.0]])
    u_kind = np.array([0.0, 0.25, 0.4999, 0.5, 0.75, 0.999])
    out = diplomacy.draw_interactions(np.zeros((1, 1)), kind_probs, LEVELS, u_kind, np.full(6, 0.3), counts)
    # [0, .5) -> telegram, [.5, 1) -> visit; the zero-probability call and meeting never appear
    np.testing.assert_array_equal(out["kind"], [0, 0, 0, 2, 2, 2])
    # telegram -> president; visit cdf [.2, .5, 1] at 0.3 -> prime minister
    np.testing.assert_array_equal(out["level"], [0, 0, 0, 1, 1, 1])


def test_draw_interactions_telegrams_are_presidential():
    rng = np.random.default_rng(32)
    counts = rng.integers(0, 5, (2, 10))
    n = int(counts.sum())
    kind_probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.2, 0.2, 0.2]])
    out = diplomacy.draw_interactions(np.zeros((2, 10)), kind_probs, LEVELS, rng.random(n), rng.random(n), counts)
    tele = out["kind"] == 0
    assert tele.sum() > 0
    np.testing.assert_array_equal(out["level"][tele], 0)
    # meetings are foreign-minister only under this level table; calls never presidential
    np.testing.assert_array_equal(out["level"][out["kind"] == 3], 2)
    assert np.all(out["level"][out["kind"] == 1] > 0)
    # one record per counted interaction, with the right batch and pair
    for b in range(2):
        np.testing.assert_array_equal(np.bincount(out["pair"][out["batch"] == b], minlength=10), counts[b])


def test_draw_interactions_empty():
    out = diplomacy.draw_interactions(np.zeros((2, 3)), np.full((2, 4), 0.25), LEVELS, np.zeros(0), np.zeros(0), np.zeros((2, 3), dtype=int))
    for key in ("batch", "pair", "kind", "level"):
        assert len(out[key]) == 0


def test_draw_interactions_batch_matches_singles():
    rng = np.random.default_rng(33)
    B, R = 3, 6
    counts = rng.integers(0, 4, (B, R))
    n = int(counts.sum())
    kind_probs = rng.dirichlet(np.ones(4), size=B)
    u_kind, u_level = rng.random(n), rng.random(n)
    batched = diplomacy.draw_interactions(np.zeros((B, R)), kind_probs, LEVELS, u_kind, u_level, counts)
    start = 0
    pieces = {k: [] for k in ("batch", "pair", "kind", "level")}
    for b in range(B):
        m = int(counts[b].sum())
        single = diplomacy.draw_interactions(
            np.zeros((1, R)), kind_probs[b : b + 1], LEVELS, u_kind[start : start + m], u_level[start : start + m], counts[b : b + 1]
        )
        np.testing.assert_array_equal(single["batch"], 0)
        pieces["batch"].append(single["batch"] + b)
        for k in ("pair", "kind", "level"):
            pieces[k].append(single[k])
        start += m
    for k, parts in pieces.items():
        np.testing.assert_array_equal(batched[k], np.concatenate(parts))
