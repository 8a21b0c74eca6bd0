"""Reusable hypothesis strategies for the mechanism property tests.

Every strategy returns plain numpy arrays (or dicts of them) shaped as the
mechanism docstrings require, with a leading batch axis ``B``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "floats",
    "dims",
    "simplex",
    "weight_update_cases",
    "target_cases",
    "nest_structures",
    "choice_cases",
    "route_cases",
    "engagement_cases",
    "diversion_cases",
    "cohesion_cases",
    "kind_cases",
]


def floats(lo, hi):
    """Finite floats in [lo, hi], no subnormals (they only test the FPU, not the model)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def dims(lo, hi):
    return st.integers(lo, hi)


@st.composite
def simplex(draw, shape, allow_zeros=True):
    """Array of ``shape`` whose last axis is on the probability simplex.

    With ``allow_zeros`` entries may be exactly zero (including one-hot rows).
    """
    lo = 0.0 if allow_zeros else 1e-6
    raw = draw(hnp.arrays(float, shape, elements=floats(lo, 1.0)))
    raw = np.array(raw, dtype=float)
    empty = raw.sum(axis=-1) <= 0
    if empty.any():
        idx = draw(st.integers(0, shape[-1] - 1))
        raw[empty, idx] = 1.0
    return raw / raw.sum(axis=-1, keepdims=True)


@st.composite
def weight_update_cases(draw):
    """(weights, target, adjustment_rate, noise, noise_scale) for ``update_weights``."""
    B, N, P = draw(dims(1, 3)), draw(dims(1, 4)), draw(dims(1, 5))
    shape = (B, N, P)
    return {
        "weights": draw(simplex(shape)),
        "target": draw(simplex(shape)),
        "adjustment_rate": draw(floats(0.0, 1.0)),
        "noise": np.array(draw(hnp.arrays(float, shape, elements=floats(-6.0, 6.0)))),
        "noise_scale": draw(floats(0.0, 0.5)),
    }


@st.composite
def target_cases(draw):
    """(scores, temperature, hedging) for ``target_weights``."""
    B, N, P = draw(dims(1, 3)), draw(dims(1, 4)), draw(dims(1, 5))
    return {
        "scores": np.array(draw(hnp.arrays(float, (B, N, P), elements=floats(-50.0, 50.0)))),
        "temperature": draw(floats(0.01, 10.0)),
        "hedging": np.array(draw(hnp.arrays(float, (B, N), elements=floats(0.0, 1.0)))),
    }


@st.composite
def nest_structures(draw, K):
    """(nest_of (K, G) one-hot ints, nest_lambda (G,) in [0.05, 1])."""
    G = draw(dims(1, min(3, K)))
    member = draw(hnp.arrays(np.int64, (K,), elements=st.integers(0, G - 1)))
    nest_of = np.zeros((K, G), dtype=int)
    nest_of[np.arange(K), member] = 1
    lam = np.array(draw(hnp.arrays(float, (G,), elements=floats(0.05, 1.0))))
    return nest_of, lam


@st.composite
def choice_cases(draw, all_lambda_one=False):
    """Inputs for ``choice_probabilities``."""
    B, M, K = draw(dims(1, 3)), draw(dims(1, 3)), draw(dims(1, 5))
    nest_of, lam = draw(nest_structures(K))
    if all_lambda_one:
        lam = np.ones_like(lam)
    return {
        "gcost_usd": np.array(draw(hnp.arrays(float, (B, K), elements=floats(0.0, 10000.0)))),
        "available": np.array(draw(hnp.arrays(bool, (B, M, K)))),
        "nest_of": nest_of,
        "nest_lambda": lam,
        "logit_scale_usd": draw(floats(10.0, 3000.0)),
    }


@st.composite
def route_cases(draw):
    """Inputs for ``assign_routes``; some capacities are ``inf`` (sea) and some 0."""
    B, M, K = draw(dims(1, 3)), draw(dims(1, 3)), draw(dims(1, 5))
    nest_of, lam = draw(nest_structures(K))
    cap_elem = st.one_of(floats(0.0, 5000.0), st.just(np.inf), st.just(0.0))
    return {
        "demand_teu": np.array(draw(hnp.arrays(float, (B, M), elements=st.one_of(floats(0.0, 10000.0), floats(0.0, 3e7))))),
        "gcost_usd": np.array(draw(hnp.arrays(float, (B, K), elements=floats(0.0, 10000.0)))),
        "serves": np.array(draw(hnp.arrays(bool, (B, M, K)))),
        "capacity_teu": np.array(draw(hnp.arrays(float, (B, K), elements=cap_elem))),
        "nest_of": nest_of,
        "nest_lambda": lam,
        "logit_scale_usd": draw(floats(10.0, 3000.0)),
    }


@st.composite
def engagement_cases(draw):
    """Inputs for ``allocate_engagement``."""
    B, N, P = draw(dims(1, 3)), draw(dims(1, 5)), draw(dims(1, 4))
    return {
        "budget": np.array(draw(hnp.arrays(float, (B, P), elements=floats(0.0, 1000.0)))),
        "weights": draw(simplex((B, N, P))),
        "openness": np.array(draw(hnp.arrays(float, (B, N), elements=floats(0.01, 10.0)))),
        "gdp_usd_bn": np.array(draw(hnp.arrays(float, (B, N), elements=floats(0.1, 10000.0)))),
        "size_elasticity": draw(floats(0.0, 2.0)),
        "focus": draw(floats(0.0, 5.0)),
    }


@st.composite
def diversion_cases(draw, hub=True):
    """Inputs for ``divert_trade``.

    With ``hub`` one intermediary has strictly positive access to every power, so
    every sanctioned pair has at least one intermediary (the docstring's condition
    for the accounting identity).
    """
    B, P, N = draw(dims(1, 3)), draw(dims(2, 4)), draw(dims(1, 4))
    d = np.array(draw(hnp.arrays(float, (B, P, P), elements=floats(0.0, 500.0))))
    direct = np.triu(d, k=1) + np.swapaxes(np.triu(d, k=1), 1, 2)
    s = np.array(draw(hnp.arrays(float, (B, P, P), elements=floats(0.0, 1.0))))
    sanction = np.triu(s, k=1) + np.swapaxes(np.triu(s, k=1), 1, 2)
    access = np.array(draw(hnp.arrays(float, (B, N, P), elements=floats(0.0, 3.0))))
    if hub:
        row = draw(st.integers(0, N - 1))
        access[:, row, :] = np.array(draw(hnp.arrays(float, (B, P), elements=floats(0.01, 3.0))))
    return {
        "direct_usd_bn": direct,
        "sanction": sanction,
        "access": access,
        "cost_elasticity": draw(floats(0.0, 10.0)),
        "diversion_share": draw(floats(0.0, 1.0)),
    }


@st.composite
def cohesion_cases(draw):
    """Inputs for ``regional_cohesion`` with mixing weights that leave a share >= 0 to institutions."""
    B, N, P = draw(dims(1, 3)), draw(dims(2, 5)), draw(dims(1, 5))
    sw = draw(floats(0.0, 1.0))
    iw = draw(floats(0.0, 1.0 - sw))
    return {
        "weights": draw(simplex((B, N, P))),
        "interaction_intensity": np.array(draw(hnp.arrays(float, (B,), elements=floats(0.0, 50.0)))),
        "institutions": np.array(draw(hnp.arrays(float, (B,), elements=floats(0.0, 1.0)))),
        "similarity_weight": sw,
        "intensity_weight": iw,
    }


@st.composite
def kind_cases(draw):
    """Inputs for ``kind_probabilities``."""
    B = draw(dims(1, 4))
    return {
        "cohesion": np.array(draw(hnp.arrays(float, (B,), elements=floats(0.0, 1.0)))),
        "in_person_factor": np.array(draw(hnp.arrays(float, (B,), elements=floats(0.0, 1.0)))),
        "base_logits": np.array(draw(hnp.arrays(float, (4,), elements=floats(-20.0, 20.0)))),
        "cohesion_slopes": np.array(draw(hnp.arrays(float, (4,), elements=floats(-20.0, 20.0)))),
    }


def assert_batch_matches_singles(fn, arrays, rtol=1e-12, atol=1e-12):
    """fn(*arrays) with a batch B > 1 equals the stack of fn on each batch slice (B = 1)."""
    batched = fn(*arrays)
    B = arrays[0].shape[0]
    singles = [fn(*[a[b : b + 1] for a in arrays]) for b in range(B)]
    if isinstance(batched, tuple):
        for k, out in enumerate(batched):
            np.testing.assert_allclose(out, np.concatenate([s[k] for s in singles], axis=0), rtol=rtol, atol=atol)
    else:
        np.testing.assert_allclose(batched, np.concatenate(singles, axis=0), rtol=rtol, atol=atol)
