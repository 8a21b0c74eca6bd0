"""Landscape theory of aggregation (Axelrod and Bennett 1993), for two coalitions.

Actors of sizes ``s`` with pairwise propensities ``p`` (positive: they would rather be together)
split into two sides. The energy of a split is

    E(X) = sum over ordered pairs i != j of  s_i * s_j * p_ij * d_ij(X)

with ``d_ij = 1`` if i and j are on different sides and 0 otherwise: friends kept apart and enemies
kept together cost energy (negative propensities make separation lower the energy). A split is a
local minimum when no single actor lowers the energy by switching side; following the steepest
single switch from every split gives each minimum's basin of attraction. Splits are counted once:
a split and its mirror image (all sides swapped) are the same, so actor 0 is always on side 0,
and n actors have 2 ** (n - 1) splits (2,048 for twelve).

Public functions take plain arrays: ``energy(sizes, propensity, sides)``, ``local_minima(sizes, propensity)``,
``basins(sizes, propensity)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ACTORS = 20  # 2 ** 19 splits; the exhaustive search is meant for a dozen actors


@dataclass(frozen=True)
class Minimum:
    """A local minimum: its sides (0/1 per actor, actor 0 on side 0), energy and basin size."""

    sides: np.ndarray
    energy: float
    basin: int


def _weights(sizes, propensity) -> np.ndarray:
    """(n, n) symmetric pair weight W_ij = s_i s_j (p_ij + p_ji), zero diagonal: the energy a pair adds when split."""
    s = np.asarray(sizes, dtype=float)
    p = np.asarray(propensity, dtype=float)
    n = len(s)
    if s.ndim != 1 or p.shape != (n, n):
        raise ValueError(f"sizes must be (n,) and propensity (n, n); got {s.shape} and {p.shape}")
    if n > MAX_ACTORS:
        raise ValueError(f"{n} actors: the exhaustive search handles at most {MAX_ACTORS}")
    w = np.outer(s, s) * (p + p.T)
    np.fill_diagonal(w, 0.0)
    return w


def energy(sizes, propensity, sides) -> np.ndarray | float:
    """Energy of one split (sides of shape (n,)) or of many (shape (C, n)); any two labels mark the sides."""
    w = _weights(sizes, propensity)
    x = np.asarray(sides)
    apart = x[..., :, None] != x[..., None, :]
    e = 0.5 * (w * apart).sum(axis=(-2, -1))  # each unordered pair once: W already holds both orders
    return float(e) if np.ndim(e) == 0 else e


def all_splits(n: int) -> np.ndarray:
    """(2 ** (n - 1), n) int8: every split of n actors, actor 0 on side 0; row c has sides = bits of 2c."""
    codes = np.arange(2 ** (n - 1), dtype=np.int64) << 1
    return ((codes[:, None] >> np.arange(n)) & 1).astype(np.int8)


def switch_gains(sizes, propensity, sides) -> np.ndarray:
    """(C, n) change of energy if actor k alone switched side, for each split (negative = better)."""
    w = _weights(sizes, propensity)
    x = np.asarray(sides)
    same = x[..., :, None] == x[..., None, :]
    # leaving partners on the same side costs W; joining those on the other side saves W
    return (np.where(same, w, -w)).sum(axis=-1)


def basins(sizes, propensity) -> tuple[np.ndarray, np.ndarray]:
    """(splits, destination): every split and the index of the local minimum steepest descent reaches from it."""
    x = all_splits(len(sizes))
    n = x.shape[1]
    gains = switch_gains(sizes, propensity, x)
    k = gains.argmin(axis=1)
    move = gains[np.arange(len(x)), k] < -1e-12 * max(1.0, float(np.abs(gains).max()))
    idx = np.arange(len(x), dtype=np.int64)
    flipped = (idx << 1) ^ (np.int64(1) << k)  # bit pattern after the switch
    mask = (np.int64(1) << n) - 1
    canonical = np.where(flipped & 1, ~flipped & mask, flipped) >> 1  # mirror so that actor 0 stays on side 0
    nxt = np.where(move, canonical, idx)
    while True:  # pointer jumping to the fixed points (energy falls strictly along each path)
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            return x, nxt
        nxt = nn


def local_minima(sizes, propensity) -> list[Minimum]:
    """Every split from which no single switch lowers the energy, lowest energy first, with basin sizes."""
    x = all_splits(len(sizes))
    gains = switch_gains(sizes, propensity, x)
    tol = 1e-12 * max(1.0, float(np.abs(gains).max()))
    is_min = (gains >= -tol).all(axis=1)
    e = energy(sizes, propensity, x)
    _, dest = basins(sizes, propensity)
    counts = np.bincount(dest, minlength=len(x))
    found = [Minimum(sides=x[c].copy(), energy=float(e[c]), basin=int(counts[c])) for c in np.flatnonzero(is_min)]
    return sorted(found, key=lambda m: (m.energy, tuple(m.sides)))


def model_propensity(weights, trade_share, sanction, rivalry=None) -> np.ndarray:
    """Propensities among the C5 and the powers, from a run's alignment weights, trade, sanctions and rivalry.

    Args:
        weights: (N, P) alignment weights of the states over the powers.
        trade_share: (N, P) each state's trade with each power as a share of its trade with the powers.
        sanction: (P, P) sanction intensity [target, by] in [0, 1].
        rivalry: (P, P) symmetric distance between powers in [0, 1] (UN ideal points scaled to a maximum
            of 1, :attr:`alignment.world.data.World.rivalry`); None counts every pair of powers as neutral.

    Returns:
        (N + P, N + P) symmetric, states first. State-power: ``P * (w + t) / 2 - 1``, zero for an even
        split, positive for ties above it. State-state: ``1 - 2 * TV(w_i, w_j)``, with TV the
        total-variation distance of their portfolios (1 = identical). Power-power: ``1 - 2 * rivalry``
        (close in UN votes attract, the most distant pair repels at -1) minus the sanction intensity
        between them, clipped to [-1, 1].
    """
    w = np.asarray(weights, dtype=float)
    t = np.asarray(trade_share, dtype=float)
    N, P = w.shape
    p = np.zeros((N + P, N + P))
    sp = P * (w + t) / 2.0 - 1.0
    p[:N, N:] = sp
    p[N:, :N] = sp.T
    tv = 0.5 * np.abs(w[:, None, :] - w[None, :, :]).sum(axis=2)
    p[:N, :N] = 1.0 - 2.0 * tv
    s = np.asarray(sanction, dtype=float)
    affinity = np.zeros((P, P)) if rivalry is None else 1.0 - 2.0 * np.asarray(rivalry, dtype=float)
    p[N:, N:] = np.clip(affinity - np.maximum(s, s.T), -1.0, 1.0)
    np.fill_diagonal(p, 0.0)
    return p
