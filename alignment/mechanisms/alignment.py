"""Alignment: how each state moves its weights over the external powers.

A state's decision rule. (1) Attraction comes from trade, investment, security ties,
diplomatic attention, corridor dependence and remittances. (2) Powers are rivals: leaning
toward one is leaning away from those far from it (distance in UN ideal points). (3) A
power's coercion is answered by each state in its own way (:func:`attraction_scores`'s
``coercion_response``: balancing leans away from the threat, bandwagoning toward it), and
sanction risk pushes away. (4) When a threat rises, a leadership that fears for its
security turns to its security partners (:func:`security_seeking`). (5) Habit: the state
is drawn to the powers it has leaned toward over the past years (:func:`update_habit`), so
a shock can leave a residual. (6) The state discounts each power's pull by how dependent on
it it already is (multi-vector policy). The scores define a target portfolio (a softmax,
mixed with an even split by the state's hedging: regional cohesion, neutrality); weights
move a fraction of the way to the target each month and take multiplicative noise. Every
step is a convex combination or a positive rescaling, so weights never leave the simplex.
"""

from __future__ import annotations

import numpy as np

from alignment.mechanisms import einsum, matmul, max_axis, per_run, sum_axis
from alignment.mechanisms.diplomacy import pair_index

CHANNELS = ("trade", "investment", "security", "attention", "corridor", "remittances")


def attraction_scores(channels, coefficients, coercion, sanctioned, western_exposure, coercion_weight, sanction_weight,
                      rivalry=None, rivalry_weight=0.0, weights=None, dependence_aversion=0.0, coercion_response=None,
                      own_pull=None):
    """Net pull of each power on each state.

    The lean that rivalry reads is the state's whole: the channels, its own answer to coercion and ``own_pull``
    (its turn to security partners under threat). A state that balances a coercing power leans toward that power's
    rivals; one that bandwagons, or runs to its protector, leans away from the protector's rivals.

    Args:
        channels: (B, C, N, P) channel values in :data:`CHANNELS` order, each
            scaled to roughly [0, 1] (shares or saturating transforms).
        coefficients: (C,) or per run (B, C) weight of each channel.
        coercion: (B, P) coercive pressure applied by each power, in [0, 1].
        sanctioned: (B, P) how heavily each power is sanctioned, in [0, 1].
        western_exposure: (B, N) share of the state's trade with the sanctioning powers.
        coercion_weight, sanction_weight: repulsion coefficients, scalars or (B,).
        rivalry: (P, P) symmetric distance between powers in [0, 1], zero diagonal (None: no rivalry).
        rivalry_weight: push away from a power per unit of mean pull toward its rivals; scalar or (B,).
        weights: (B, N, P) current weights (None: no dependence discount).
        dependence_aversion: discount of a power's pull per unit of weight on it; scalar or (B,).
        coercion_response: (N,) or (B, N) each state's answer to coercion in [-1, 1]: 1 balances (the push
            away is coercion_weight x coercion), -1 bandwagons (the same pull toward), 0 ignores it (None: 1).
        own_pull: (B, N, P) further pulls of the state's own rule, read by rivalry (None: none).

    Returns:
        (B, N, P) scores (dimensionless).
    """
    coef = np.broadcast_to(np.atleast_2d(np.asarray(coefficients, dtype=float)), channels.shape[:2])
    pull = einsum("bcnp,bc->bnp", channels, coef)
    B, N = pull.shape[:2]
    answer = np.ones((B, N)) if coercion_response is None else np.broadcast_to(np.asarray(coercion_response, dtype=float), (B, N))
    pull = pull - per_run(coercion_weight, 3) * answer[:, :, None] * coercion[:, None, :]
    if own_pull is not None:
        pull = pull + own_pull
    push = per_run(sanction_weight, 3) * sanctioned[:, None, :] * western_exposure[:, :, None]
    if rivalry is not None:
        P = pull.shape[2]
        push = push + per_run(rivalry_weight, 3) * matmul(pull, np.asarray(rivalry, dtype=float)) / max(P - 1, 1)
    if weights is not None:
        push = push + per_run(dependence_aversion, 3) * weights
    return pull - push


def security_seeking(threat, regime_security, security_ties, weight):
    """Pull toward a state's security partners when a threat rises: regime security first.

    pull[b, n, p] = weight * threat[b] * regime_security[n] * ties[b, n, p]

    Args:
        threat: (B,) shared threat level in [0, 1].
        regime_security: (N,) how much each leadership turns to its security partners when threatened, in [0, 1].
        security_ties: (B, N, P) alliance, basing and forum ties (the security channel), >= 0.
        weight: pull per unit of threat, concern and tie; scalar or (B,).

    Returns:
        (B, N, P) added to the scores.
    """
    return (per_run(weight, 3) * np.asarray(threat, dtype=float)[:, None, None]
            * np.asarray(regime_security, dtype=float)[None, :, None] * security_ties)


def update_habit(habit, weights, memory_years, months=1):
    """A state's habit: the exponential average of its past weights (memberships, officials, contracts).

    h' = h + (w - h) * (1 - exp(-months / (12 * memory_years)))

    Args:
        habit: (B, N, P) on the simplex.
        weights: (B, N, P) this month's weights.
        memory_years: time constant, years (> 0); scalar or (B,).

    Returns:
        (B, N, P) on the simplex.
    """
    k = 1.0 - np.exp(-months / (12.0 * per_run(memory_years, 3)))
    return habit + (weights - habit) * k


def hedging_share(base, extra, cohesion, autonomy, neutral, neutrality_hedge):
    """Share of each state's target kept at an even split.

    hedge = clip(base + extra + autonomy * cohesion, 0, 1), and for a permanently neutral state at least
    ``neutrality_hedge`` more of what is left: 1 - (1 - hedge) * (1 - neutrality_hedge).

    Args:
        base: hedging floor of every state; scalar or (B,).
        extra: (B, N) hedging added by events.
        cohesion: (B,) regional cohesion in [0, 1]: a cohesive region hedges together (collective autonomy).
        autonomy: share of the target per unit of cohesion; scalar or (B,).
        neutral: (N,) bool, permanent neutrality.
        neutrality_hedge: share a neutral state keeps out of any bloc; scalar or (B,).

    Returns:
        (B, N) in [0, 1].
    """
    h = np.clip(per_run(base, 2) + extra + per_run(autonomy, 2) * np.asarray(cohesion, dtype=float)[:, None], 0.0, 1.0)
    stay_out = per_run(neutrality_hedge, 2) * np.asarray(neutral, dtype=float)[None, :]
    return 1.0 - (1.0 - h) * (1.0 - stay_out)


def target_weights(scores, temperature, hedging):
    """Target portfolio: softmax of scores, mixed with the even split.

    Args:
        scores: (B, N, P) from :func:`attraction_scores`.
        temperature: softmax temperature (> 0; larger = flatter), scalar or (B,).
        hedging: (B, N) weight on the even split, in [0, 1].

    Returns:
        (B, N, P) on the simplex.
    """
    z = scores / per_run(temperature, 3)
    e = np.exp(z - max_axis(z, 2, keepdims=True))
    soft = e / sum_axis(e, 2, keepdims=True)
    even = 1.0 / scores.shape[2]
    return (1.0 - hedging[:, :, None]) * soft + hedging[:, :, None] * even


def adjustment_rates(base_rate, threat, urgency):
    """How fast each state moves toward its target this month: its calm rate, raised by a shared threat.

    rate = min(base_rate * (1 + urgency * threat), 1): a crisis makes a government revisit its
    alignments sooner; a neutral state's calm rate is already damped, and the threat raises it in proportion.

    Args:
        base_rate: (B, N, 1) calm adjustment rate per state, fraction of the gap per month.
        threat: (B,) shared threat level, in [0, 1].
        urgency: rise of the rate per unit of threat (0 = the threat does not hurry anyone); scalar or (B,).

    Returns:
        (B, N, 1) in [0, 1].
    """
    return np.minimum(base_rate * (1.0 + per_run(urgency, 1) * np.asarray(threat, dtype=float))[:, None, None], 1.0)


def update_weights(weights, target, adjustment_rate, noise, noise_scale):
    """One month of alignment change.

    w' = normalise(((1 - rate) * w + rate * target) * exp(noise_scale * noise))

    Args:
        weights: (B, N, P) current weights on the simplex.
        target: (B, N, P) target on the simplex.
        adjustment_rate: fraction of the gap closed per month, in [0, 1] (1 - inertia); scalar, (B,), or
            per state (B, N, 1).
        noise: (B, N, P) standard normal draws.
        noise_scale: standard deviation of the log-weight shock per month; scalar or (B,).

    Returns:
        (B, N, P) on the simplex.
    """
    rate = np.asarray(adjustment_rate, dtype=float)
    rate = rate if rate.ndim == 3 else per_run(rate, 3)
    mixed = (1.0 - rate) * weights + rate * target
    shocked = mixed * np.exp(per_run(noise_scale, 3) * noise)
    return shocked / sum_axis(shocked, 2, keepdims=True)


def multialignment_index(weights):
    """Normalised entropy of each state's weights: 0 = one partner, 1 = even split.

    Args:
        weights: (B, N, P) on the simplex.

    Returns:
        (B, N) in [0, 1].
    """
    w = np.clip(weights, 1e-300, 1.0)
    h = -(weights * np.log(w)).sum(axis=2)
    return np.minimum(h / np.log(weights.shape[2]), 1.0)  # rounding can put an even split at 1 + 1e-16


def regional_cohesion(weights, interaction_intensity, institutions, similarity_weight, intensity_weight):
    """Cohesion of the C5 in [0, 1].

    Similarity is one minus the mean total-variation distance between the
    states' weight vectors; intensity is the saturating volume of recent
    intraregional contact; institutions is the standing of regional formats.

    Args:
        weights: (B, N, P) alignment weights.
        interaction_intensity: (B,) intraregional interactions in the last 12
            months divided by a reference volume, >= 0.
        institutions: (B,) institutional cohesion in [0, 1].
        similarity_weight, intensity_weight: mixing weights (the remainder goes to institutions); scalars or (B,).

    Returns:
        (B,) in [0, 1].
    """
    i, j = pair_index(weights.shape[1])
    tv = 0.5 * sum_axis(sum_axis(np.abs(weights[:, i, :] - weights[:, j, :]), 2), 1) / len(i)
    similarity = 1.0 - tv
    intensity = 1.0 - np.exp(-interaction_intensity)
    sw, iw = per_run(similarity_weight, 1), per_run(intensity_weight, 1)
    return np.minimum(np.maximum(sw * similarity + iw * intensity + (1.0 - sw - iw) * institutions, 0.0), 1.0)
