"""Diplomacy: stochastic high-level interactions among the C5 and with powers.

Each month every pair of states meets (telegram, call, visit or meeting) a
Poisson number of times whose rate rises with both states' diplomatic activity,
with regional cohesion and with shared threats. As cohesion grows, form shifts
from telegrams toward calls and in-person contact; a pandemic damps in-person
contact. Telegrams are presidential; other forms are drawn over levels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from alignment.mechanisms import per_run

KINDS = ("telegram", "call", "visit", "meeting")
LEVELS = ("president", "prime_minister", "foreign_minister")
MODES = ("in_person", "informal", "virtual")

# What a summit is worth to its convenor's standing with each participant, in routine contacts (the unit of the
# attention stock). A presidential summit in person: three (the plenary, a bilateral on its margins, the joint
# statement); a head of government half of that, a foreign minister a third. An informal summit decides nothing
# (two thirds); a virtual one is what a call is to a visit (a third). Assumptions, stated once here.
SUMMIT_CONTACTS = {"president": 3.0, "prime_minister": 1.5, "foreign_minister": 1.0}
MODE_WEIGHT = {"in_person": 1.0, "informal": 2.0 / 3.0, "virtual": 1.0 / 3.0}


def summit_attention(level: str, mode: str) -> float:
    """Attention (routine-contact equivalents) a summit adds for its convenor with each participating state."""
    return SUMMIT_CONTACTS[level] * MODE_WEIGHT[mode]


@lru_cache(maxsize=8)
def pair_index(n):
    """Upper-triangle pairs (i < j) of ``n`` states, as two int arrays of length n(n-1)/2."""
    return np.triu_indices(n, k=1)


def pair_rates(activity, cohesion, threat, base_rate_per_pair_month, cohesion_gain, threat_gain):
    """Expected intraregional interactions per pair and month.

    rate_ij = base * activity_i * activity_j * (1 + cohesion_gain * cohesion) * (1 + threat_gain * threat)

    Args:
        activity: (B, N) diplomatic activity of each state (1 = typical), >= 0.
        cohesion: (B,) regional cohesion in [0, 1].
        threat: (B,) shared external threat in [0, 1].
        base_rate_per_pair_month: interactions per pair and month at activity 1, cohesion 0, threat 0; a scalar
            or (B,).
        cohesion_gain: dimensionless multiplier of cohesion; a scalar or (B,).
        threat_gain: dimensionless multiplier of the threat; a scalar or (B,).

    Returns:
        (B, N(N-1)/2) interactions per month, pairs ordered as :func:`pair_index`.
    """
    i, j = pair_index(activity.shape[1])
    mult = (1.0 + per_run(cohesion_gain, 1) * cohesion) * (1.0 + per_run(threat_gain, 1) * threat)
    return per_run(base_rate_per_pair_month, 2) * activity[:, i] * activity[:, j] * mult[:, None]


def kind_probabilities(cohesion, in_person_factor, base_logits, cohesion_slopes):
    """Probability of each interaction form.

    Args:
        cohesion: (B,) in [0, 1].
        in_person_factor: (B,) multiplier on visits and meetings (1 normal, < 1 in a pandemic).
        base_logits: (4,) or per run (B, 4) log-odds of telegram, call, visit, meeting at cohesion 0.
        cohesion_slopes: (4,) or (B, 4) change of each log-odds per unit of cohesion.

    Returns:
        (B, 4) probabilities in the order of :data:`KINDS`.
    """
    logits = np.atleast_2d(base_logits) + cohesion[:, None] * np.atleast_2d(cohesion_slopes)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    w[:, 2:] *= in_person_factor[:, None]
    return w / w.sum(axis=1, keepdims=True)


def draw_interactions(rates, kind_probs, level_probs, uniforms_kind, uniforms_level, counts):
    """Turn counts and uniform draws into interaction records.

    The random numbers are drawn by the caller (from the model's generator), so
    this function stays pure: ``counts`` ~ Poisson(rates), and one uniform per
    interaction for its kind and one for its level.

    Args:
        rates: (B, R) expected interactions (only its shape is used here).
        kind_probs: (B, 4) from :func:`kind_probabilities`.
        level_probs: (4, 3), or per run (B, 4, 3), probability of each level given the kind.
        uniforms_kind, uniforms_level: (n,) uniforms in [0, 1), n = counts.sum().
        counts: (B, R) int interactions per pair.

    Returns:
        dict of (n,) int arrays: ``batch``, ``pair``, ``kind``, ``level``.
    """
    B, R = rates.shape
    flat = np.repeat(np.arange(B * R), counts.ravel())
    batch, pair = np.divmod(flat, R)
    kcdf = np.cumsum(kind_probs, axis=1)[batch]  # (n, 4)
    kind = (uniforms_kind >= kcdf[:, 0]).astype(np.int64) + (uniforms_kind >= kcdf[:, 1]) + (uniforms_kind >= kcdf[:, 2])
    lcdf = np.cumsum(np.asarray(level_probs), axis=-1)
    lcdf = lcdf[batch, kind] if lcdf.ndim == 3 else lcdf[kind]  # (n, 3)
    level = (uniforms_level >= lcdf[:, 0]).astype(np.int64) + (uniforms_level >= lcdf[:, 1])
    return {"batch": batch, "pair": pair, "kind": kind, "level": level}
