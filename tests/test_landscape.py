"""Landscape theory (Axelrod and Bennett 1993): cases checked by hand, and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.analysis.landscape import all_splits, basins, energy, local_minima, switch_gains


def test_energy_by_hand():
    """Sizes (2, 1, 1); p01 = 1, p02 = -1, p12 = 2 (symmetric). Split {0} vs {1, 2}:
    apart pairs (0,1) and (0,2), each counted in both orders: 2 * (2*1*1) + 2 * (2*1*-1) = 4 - 4 = 0.
    Split {0, 1} vs {2}: apart (0,2) and (1,2): 2 * (2*1*-1) + 2 * (1*1*2) = -4 + 4 = 0. All together: 0.
    Split {0, 2} vs {1}: apart (0,1) and (1,2): 2 * 2 + 2 * 2 = 8."""
    s = [2, 1, 1]
    p = np.array([[0, 1, -1], [1, 0, 2], [-1, 2, 0]])
    assert energy(s, p, [0, 1, 1]) == 0.0
    assert energy(s, p, [0, 0, 1]) == 0.0
    assert energy(s, p, [0, 0, 0]) == 0.0
    assert energy(s, p, [0, 1, 0]) == 8.0
    assert energy(s, p, ["a", "b", "a"]) == 8.0  # any two labels
    np.testing.assert_array_equal(energy(s, p, np.array([[0, 1, 0], [1, 0, 1]])), [8.0, 8.0])  # mirror, same energy


def test_asymmetric_propensities_count_both_orders():
    """p01 = 3, p10 = 1, sizes 1: apart costs s0 s1 (p01 + p10) = 4."""
    assert energy([1, 1], [[0, 3], [1, 0]], [0, 1]) == 4.0


def test_two_friends_have_one_minimum_together():
    mins = local_minima([1, 1], [[0, 1], [1, 0]])
    assert len(mins) == 1 and mins[0].sides.tolist() == [0, 0] and mins[0].energy == 0.0 and mins[0].basin == 2


def test_two_blocs():
    """0 and 1 friends, 2 and 3 friends, the blocs enemies: the bloc split is the unique minimum, energy
    = apart enemy pairs (0,2),(0,3),(1,2),(1,3), each -1 in both orders: -8."""
    p = -np.ones((4, 4))
    p[0, 1] = p[1, 0] = p[2, 3] = p[3, 2] = 1.0
    mins = local_minima([1, 1, 1, 1], p)
    assert [m.sides.tolist() for m in mins] == [[0, 0, 1, 1]]
    assert mins[0].energy == -8.0 and mins[0].basin == 8  # every one of the 2**3 splits flows there


def test_frustrated_triangle_has_three_minima():
    """Three mutual enemies of equal size: each one-against-two split has energy -4 (two enemy pairs apart,
    both orders); no switch lowers it (it leads to another -4 split); all together (0) is not a minimum."""
    p = -np.ones((3, 3))
    mins = local_minima([1, 1, 1], p)
    assert sorted(m.sides.tolist() for m in mins) == [[0, 0, 1], [0, 1, 0], [0, 1, 1]]
    assert all(m.energy == -4.0 for m in mins)


def test_a_large_actor_pulls_the_swing_actor():
    """Actor 2 likes both 0 (size 3) and 1 (size 1) equally (p = 1) while 0 and 1 are enemies (p = -1):
    with 2 beside 0 the energy is 2*(3*1*-1) + 2*(1*1*1) = -4; beside 1: 2*(3*1*-1) + 2*(3*1*1) = 0."""
    p = np.array([[0, -1, 1], [-1, 0, 1], [1, 1, 0]], dtype=float)
    mins = local_minima([3, 1, 1], p)
    assert mins[0].sides.tolist() == [0, 1, 0] and mins[0].energy == -4.0


def test_split_enumeration():
    x = all_splits(3)
    assert x.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1]]
    assert all_splits(12).shape == (2048, 12) and (all_splits(12)[:, 0] == 0).all()


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        energy([1, 1], np.zeros((3, 3)), [0, 1])


SIZES = st.lists(st.floats(0.1, 10.0), min_size=2, max_size=8)


@settings(max_examples=60, deadline=None)
@given(SIZES, st.integers(0, 2**31 - 1))
def test_minima_are_stable_basins_partition_and_global_minimum_is_found(sizes, seed):
    n = len(sizes)
    p = np.random.default_rng(seed).uniform(-1, 1, (n, n))
    x = all_splits(n)
    e = energy(sizes, p, x)
    mins = local_minima(sizes, p)
    assert mins and sum(m.basin for m in mins) == len(x)
    assert np.isclose(mins[0].energy, e.min())  # the global minimum is a local one
    for m in mins:
        assert (switch_gains(sizes, p, m.sides[None]) >= -1e-9).all()
        np.testing.assert_allclose(energy(sizes, p, 1 - m.sides), m.energy)  # mirror invariance
    _, dest = basins(sizes, p)
    assert (e[dest] <= e + 1e-9).all()  # descent never raises the energy
    # the switch gains agree with recomputed energies
    k = 1 % n
    flipped = x.copy()
    flipped[:, k] ^= 1
    np.testing.assert_allclose(energy(sizes, p, flipped) - e, switch_gains(sizes, p, x)[:, k], atol=1e-9)


def test_model_propensity_by_hand():
    """Two states, two powers. w = [[0.75, 0.25], [0.25, 0.75]], trade shares equal to w.
    State-power: 2 * (0.75 + 0.75) / 2 - 1 = 0.5 and 2 * (0.25 + 0.25) / 2 - 1 = -0.5.
    State-state: TV = 0.5 * (0.5 + 0.5) = 0.5 -> 1 - 2 * 0.5 = 0. Powers: power 0 sanctioned by power 1 at 0.8 -> -0.8."""
    from alignment.analysis.landscape import model_propensity

    w = np.array([[0.75, 0.25], [0.25, 0.75]])
    p = model_propensity(w, w, np.array([[0.0, 0.8], [0.0, 0.0]]))
    expected = np.array([
        [0.0, 0.0, 0.5, -0.5],
        [0.0, 0.0, -0.5, 0.5],
        [0.5, -0.5, 0.0, -0.8],
        [-0.5, 0.5, -0.8, 0.0],
    ])
    np.testing.assert_allclose(p, expected)
    # with equal sizes the minimum puts each state with the power it leans to, the rival powers apart
    mins = local_minima([1, 1, 1, 1], p)
    assert mins[0].sides.tolist() == [0, 1, 0, 1]


def test_model_propensity_rivalry_by_hand():
    """Three powers on a line of UN ideal points: 0 and 1 close (distance 0.25), 2 far from both (1.0, 0.75).
    Power-power propensity 1 - 2 * d: 0.5 for the close pair, -1.0 and -0.5 for the rivals; a sanction of 0.8
    between the close pair takes them to 0.5 - 0.8 = -0.3; the clip keeps the far pair at -1, not -1.8."""
    from alignment.analysis.landscape import model_propensity

    w = np.full((1, 3), 1 / 3)
    rivalry = np.array([[0.0, 0.25, 1.0], [0.25, 0.0, 0.75], [1.0, 0.75, 0.0]])
    p = model_propensity(w, w, np.zeros((3, 3)), rivalry)[1:, 1:]
    np.testing.assert_allclose(p, [[0.0, 0.5, -1.0], [0.5, 0.0, -0.5], [-1.0, -0.5, 0.0]])
    sanction = np.zeros((3, 3))
    sanction[0, 1] = sanction[0, 2] = 0.8
    p = model_propensity(w, w, sanction, rivalry)[1:, 1:]
    np.testing.assert_allclose(p, [[0.0, -0.3, -1.0], [-0.3, 0.0, -0.5], [-1.0, -0.5, 0.0]])
    # the two close powers end on one side, the rival alone on the other
    assert local_minima([1, 1, 1], model_propensity(w, w, np.zeros((3, 3)), rivalry)[1:, 1:])[0].sides.tolist() == [0, 0, 1]
