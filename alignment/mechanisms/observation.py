"""The observation model: what the latent alignment weights predict one can see.

Alignment weights are not observed; UN General Assembly votes and arms purchases are. Two
measurement equations tie the weights to them, so that the calibration can fit the weights to
the record and a run's weights can be checked against it:

- **UN voting positions and agreement.** Every actor has a position on the General Assembly's
  agenda (the Bailey-Strezhnev-Voeten ideal-point scale). A power's position is data, year by
  year, and moves later only through dated events. A state's position follows from its weights:
  the weighted positions of the powers around one regional term common to the five
  (:func:`state_positions`). How often a state and a power vote alike falls with the distance
  between their positions, through a link fitted on the recorded 2015-2021 dyad-years
  (:func:`unga_agreement`).
- **Arms-import supplier shares.** A state buys major arms from the powers it leans toward,
  and much more from an ally whose forces it hosts or whose alliance it belongs to (CSTO members
  buy Russian arms at Russian domestic prices):
  ``share_np ~ supplier_p * w_np ** weight_elasticity * exp(alliance_gain * alliance_np)``, over
  the powers that sell major arms to the region at all (``supplier_p``, from the SIPRI record).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from alignment.mechanisms import einsum, per_run, sum_axis


def state_positions(weights, power_positions, region, scale, nonaligned_share=None, nonaligned_position=0.0):
    """Each state's position on the UN General Assembly's agenda, from its weights.

    x_n = (1 - h_n) * (region + scale * sum_p w_np * (x_p - mean_p x_p)) + h_n * nonaligned_position

    The aligned part stands at ``region`` (the C5's common term) for an even split and moves toward the powers the
    state leans to; the non-aligned part, the share ``h_n`` of its portfolio the state keeps out of any bloc (its
    hedging: neutrality, a cohesive region), votes with the non-aligned pole. No per-state constant: every
    difference between the states comes from their weights and their hedging.

    Args:
        weights: (B, N, P) alignment weights on the simplex.
        power_positions: (P,) or (B, P) the powers' positions this year (ideal-point units).
        region: the position of the aligned part at an even split; scalar or (B,).
        scale: how far the aligned part follows the state's mix of the powers' positions; scalar or (B,).
        nonaligned_share: (B, N) in [0, 1] (None: 0).
        nonaligned_position: the non-aligned pole's position; scalar or (B,).

    Returns:
        (B, N) positions, ideal-point units.
    """
    x = np.broadcast_to(np.asarray(power_positions, dtype=float), (weights.shape[0], weights.shape[2]))
    centred = x - x.mean(axis=1, keepdims=True)
    aligned = per_run(region, 2) + per_run(scale, 2) * einsum("bnp,bp->bn", weights, np.ascontiguousarray(centred))
    if nonaligned_share is None:
        return aligned
    h = np.asarray(nonaligned_share, dtype=float)
    return (1.0 - h) * aligned + h * per_run(nonaligned_position, 2)


def unga_agreement(state_position, power_positions, intercept, slope):
    """Predicted UN General Assembly voting agreement of each state with each power, from their positions.

    logit(a_np) = intercept_p + slope_p * (x_n - x_p), the link fitted on the recorded dyad-years
    (:func:`alignment.world.observations.fit_unga_link`).

    Args:
        state_position: (B, N) from :func:`state_positions`.
        power_positions: (P,) or (B, P) the powers' positions.
        intercept, slope: (P,) or per run (B, P), the link.

    Returns:
        (B, N, P) agreement scores in (0, 1) (same vote = 1, one abstains = 0.5, yes against no = 0).
    """
    B = state_position.shape[0]
    a, g = (np.broadcast_to(np.asarray(v, dtype=float), (B, np.shape(v)[-1])) for v in (intercept, slope))
    x = np.broadcast_to(np.asarray(power_positions, dtype=float), a.shape)
    return expit(a[:, None, :] + g[:, None, :] * (state_position[:, :, None] - x[:, None, :]))


def arms_import_shares(weights, alliance, supplier, weight_elasticity, alliance_gain):
    """Predicted share of each power in each state's major-arms imports.

    Args:
        weights: (B, N, P) alignment weights.
        alliance: (B, N, P) alliance and basing ties in [0, 1.5] (membership of an alliance the power
            convenes, plus the presence of its forces).
        supplier: (P,) bool, powers that sell major arms to the region.
        weight_elasticity: elasticity of a supplier's share to the state's weight on it; scalar or (B,).
        alliance_gain: rise of the log share per unit of alliance tie; scalar or (B,).

    Returns:
        (B, N, P) shares summing to 1 over the suppliers (0 for non-suppliers).
    """
    logw = np.log(np.maximum(weights, 1e-300))
    z = per_run(weight_elasticity, 3) * logw + per_run(alliance_gain, 3) * alliance
    z = np.where(np.asarray(supplier, bool)[None, None, :], z, -np.inf)
    e = np.exp(z - z.max(axis=2, keepdims=True))
    return e / sum_axis(e, 2, keepdims=True)
