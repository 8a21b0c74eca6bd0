"""The observation model: what the latent alignment weights predict one can see.

Alignment weights are not observed; UN General Assembly votes and arms purchases are. Two
measurement equations tie the weights to them, so that the calibration can fit the weights to
the record and a run's weights can be checked against it:

- **UN voting agreement.** How often a state votes with a power depends first on the power
  itself (the United States votes against most of the world on many resolutions, so every C5
  state agrees with it about a quarter of the time), then on how much the state leans toward it.
  In log-odds: ``logit(a) = logit(baseline_p) + slope * log(w_np / reference_p)``, where
  ``baseline_p`` is the C5's mean recorded agreement with the power over 2015-2021 and
  ``reference_p`` the C5's mean (geometric) weight on it in the base year. A state that leans
  toward a power more than its neighbours did in 2015 votes with it more than their average.
- **Arms-import supplier shares.** A state buys major arms from the powers it leans toward,
  and much more from an ally whose forces it hosts or whose alliance it belongs to (CSTO members
  buy Russian arms at Russian domestic prices):
  ``share_np ~ supplier_p * w_np ** weight_elasticity * exp(alliance_gain * alliance_np)``, over
  the powers that sell major arms to the region at all (``supplier_p``, from the SIPRI record).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from alignment.mechanisms import per_run, sum_axis


def unga_agreement(weights, baseline, reference, slope):
    """Predicted UN General Assembly voting agreement of each state with each power.

    Args:
        weights: (B, N, P) alignment weights on the simplex.
        baseline: (P,) agreement of the C5 with each power on average over the record, in (0, 1).
        reference: (B, P) the C5's geometric-mean weight on each power in the base year, > 0.
        slope: rise of the log-odds of agreement per unit of log weight relative to the reference
            (0 = votes do not depend on alignment); scalar or (B,).

    Returns:
        (B, N, P) agreement scores in (0, 1) (same vote = 1, one abstains = 0.5, yes against no = 0).
    """
    rel = np.log(np.maximum(weights, 1e-300)) - np.log(reference)[:, None, :]
    z = logit(np.asarray(baseline, dtype=float))[None, None, :] + per_run(slope, 3) * rel
    return expit(z)


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


def geometric_mean_weights(weights):
    """(B, P) the C5's geometric-mean weight on each power, from (B, N, P) weights."""
    return np.exp(np.log(np.maximum(weights, 1e-300)).mean(axis=1))
