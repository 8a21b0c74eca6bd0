"""Identifiability measures on cases whose answers can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alignment.fit.identifiability import (LOOSE, PINNED, SLICE_ONLY, TRADED_OFF, acceptable_share, completed, slice_grid,
                                       summarise, top_spread, verdict)


def test_slice_grid_is_even_on_the_search_coordinate_and_holds_the_base():
    assert np.allclose(slice_grid(0.0, 1.0, False, 5, 0.3), [0.0, 0.25, 0.3, 0.5, 0.75, 1.0])
    assert np.allclose(slice_grid(0.01, 1.0, True, 3, 0.1), [0.01, 0.1, 1.0])  # 0.1 is already the log midpoint


def test_acceptable_share_of_a_parabola():
    # loss = 1 + 10 (x - 0.5)^2 is within 10 % of its minimum where |x - 0.5| <= 0.1: a fifth of the range.
    x = np.linspace(0, 1, 201)
    assert acceptable_share(x, 1 + 10 * (x - 0.5) ** 2, 1.1) == pytest.approx(0.2, abs=0.005)
    assert acceptable_share(x, np.ones_like(x), 1.1) == 1.0  # flat: anywhere will do


def test_top_spread_takes_the_best_trials_only():
    # 20 trials; the best 10 % (2) sit at 0.4 and 0.6, the rest are spread over [0, 1].
    values = np.r_[0.4, 0.6, np.linspace(0, 1, 18)]
    losses = np.r_[1.0, 1.1, np.full(18, 5.0)]
    spread, best = top_spread(values, losses, 0.1)
    assert best.tolist() == [True, True] + [False] * 18
    assert spread == pytest.approx(0.9 * 0.2)  # 5-95 % range of {0.4, 0.6}


def test_verdicts():
    assert verdict(0.9, 0.1) == LOOSE
    assert verdict(0.9, 0.1, -0.9) == LOOSE  # a flat slice is loose whatever the trials say
    assert verdict(0.2, 0.8) == TRADED_OFF  # the best trials spread
    assert verdict(0.2, 0.1, -0.75) == TRADED_OFF  # they move with a partner
    assert verdict(0.2, 0.1, 0.3) == PINNED
    assert verdict(0.2, float("nan")) == PINNED + SLICE_ONLY  # no trials: the slice alone


def test_summarise_separates_pinned_ridge_and_flat_parameters():
    """Loss = 10 (a + b - 1)^2 + 10 (c - 0.3)^2 + 1, with d unused.

    Slices through (a, b, c, d) = (0.5, 0.5, 0.3, 0.5) are parabolas in a, b and c (acceptable where
    the square term <= 0.1: |x - x0| <= 0.1, a fifth of [0, 1]) and flat in d. Among good trials a
    and b spread along the ridge a + b = 1 (perfectly anti-correlated) while c stays near 0.3.
    """
    space = {n: (0.0, 1.0, False, False) for n in "abcd"}
    base = {"a": 0.5, "b": 0.5, "c": 0.3, "d": 0.5}

    def f(a, b, c, d):
        return 10 * (a + b - 1) ** 2 + 10 * (c - 0.3) ** 2 + 1

    grid = np.linspace(0, 1, 101)
    slices = pd.DataFrame([{"parameter": n, "value": v, "loss": f(**{**base, n: v})} for n in "abcd" for v in grid])
    rng = np.random.default_rng(0)
    ridge = rng.uniform(0.05, 0.95, 40)
    trials = pd.DataFrame({"params_a": np.r_[ridge, rng.uniform(0, 1, 360)],
                           "params_b": np.r_[1 - ridge, rng.uniform(0, 1, 360)],
                           "params_c": np.r_[0.3 + rng.uniform(-0.02, 0.02, 40), rng.uniform(0, 1, 360)],
                           "params_d": rng.uniform(0, 1, 400)})
    trials["value"] = f(trials.params_a, trials.params_b, trials.params_c, trials.params_d)
    trials["state"] = "COMPLETE"
    out = summarise(slices, trials, space, base, top_fraction=0.1, tolerance=0.1).set_index("parameter")
    assert out.loc["a", "slice_share"] == pytest.approx(0.2, abs=0.01)
    assert out.loc["d", "slice_share"] == 1.0
    assert out["verdict"].to_dict() == {"a": TRADED_OFF, "b": TRADED_OFF, "c": PINNED, "d": LOOSE}
    assert out.loc["a", "partner"] == "b" and out.loc["a", "partner_rho"] < -0.95
    assert not out["at_bound"].any()
    # c = 0.3 lies inside the best trials' range (0.28-0.32); a default moved after the study would not.
    assert out.loc["c", "in_best_range"]
    moved = summarise(slices, trials, space, {**base, "c": 0.6}).set_index("parameter")
    assert not moved.loc["c", "in_best_range"]


def test_summarise_flags_a_value_on_the_edge_and_uses_the_log_coordinate():
    # On a log range [0.01, 1] the slice is acceptable from 0.1 up: half of the log range.
    space = {"x": (0.01, 1.0, True, False)}
    xs = np.geomspace(0.01, 1.0, 201)
    slices = pd.DataFrame({"parameter": "x", "value": xs, "loss": np.where(xs >= 0.1 - 1e-12, 1.0, 2.0)})
    out = summarise(slices, None, space, {"x": 1.0})
    assert out.loc[0, "slice_share"] == pytest.approx(0.5, abs=0.01)
    assert out.loc[0, "at_bound"] and np.isnan(out.loc[0, "top_spread"])


def test_completed_drops_failed_and_running_trials():
    t = pd.DataFrame({"value": [1.0, np.nan, 2.0], "state": ["COMPLETE", "RUNNING", "FAIL"]})
    assert completed(t)["value"].tolist() == [1.0]
    assert completed(None) is None


@given(st.lists(st.floats(0, 1), min_size=2, max_size=30), st.lists(st.integers(-1000, 1000), min_size=30, max_size=30),
       st.floats(0.01, 1))
def test_top_spread_depends_on_the_ranking_of_losses_only(values, losses, fraction):
    """Which trials are best is a matter of order: a monotone rescaling of the loss changes nothing,
    and the count is the stated fraction (at least two)."""
    losses = np.asarray(losses[:len(values)], dtype=float)
    spread, best = top_spread(values, losses, fraction)
    again, best2 = top_spread(values, losses ** 3 * 7 + 3, fraction)  # strictly increasing, exact on these integers
    assert best.tolist() == best2.tolist() and spread == again
    assert best.sum() == max(2, int(np.ceil(fraction * len(values))))
    worst_best = losses[best].max()
    assert (losses[~best] >= worst_best).all()
