"""Engagement: how external powers spread investment and attention over the C5.

A power spends where influence is worth most: the value of spending in state i
is its openness times the room left to gain there (1 - current weight) times its
economic importance (GDP ** size_elasticity: at 1 a power's money follows the size
of the economies, so it does not pile into the smallest). Powers answer each other: the value rises where
the power's rivals (far from it in UN votes) hold the investment, so a rival's
pledge draws counter-spending to the same states. Spending follows that value raised to ``focus``.
"""

from __future__ import annotations

import numpy as np

from alignment.mechanisms import einsum, per_run, power, sum_axis


def rival_presence(stock, rivalry):
    """How much of the investment in each state the power's rivals hold: (B, P, N) in [0, 1].

    presence[p, i] = sum over q of rivalry[p, q] * stock[q, i] / sum over q of stock[q, i].

    Args:
        stock: (B, P, N) investment stocks of the powers in the states, USD bn (>= 0).
        rivalry: (P, P) symmetric distance between powers in [0, 1], zero diagonal.
    """
    total = sum_axis(stock, 1, keepdims=True)
    share = np.divide(stock, total, out=np.zeros_like(stock), where=total > 0)
    return einsum("pq,bqn->bpn", np.asarray(rivalry, dtype=float), share)


def engagement_shares(weights, openness, gdp_usd_bn, size_elasticity, focus, rival_presence=None, rivalry_response=0.0):
    """Each power's split of any budget over the states: (B, P, N), summing to 1 over N.

    Args: as :func:`allocate_engagement`, without the budget, and
        rival_presence: (B, P, N) from :func:`rival_presence` (None: powers ignore each other).
        rivalry_response: rise of a state's value to a power per unit of rival presence there; scalar or (B,).
    """
    room = np.clip(1.0 - weights, 1e-9, None)  # (B, N, P)
    value = np.swapaxes(openness[:, :, None] * room * power(gdp_usd_bn, per_run(size_elasticity, 2))[:, :, None], 1, 2)
    if rival_presence is not None:
        value = value * (1.0 + per_run(rivalry_response, 3) * rival_presence)
    score = power(value, per_run(focus, 3))  # (B, P, N)
    return score / sum_axis(score, 2, keepdims=True)


def allocate_engagement(budget, weights, openness, gdp_usd_bn, size_elasticity, focus):
    """Split each power's budget over the states (:func:`engagement_shares` times the budget).

    Args:
        budget: (B, P) budget to spend, any unit (USD bn/yr or visits/yr).
        weights: (B, N, P) current alignment weights of the states.
        openness: (B, N) receptiveness of each state to outside engagement, > 0.
        gdp_usd_bn: (B, N) state GDP, USD bn.
        size_elasticity: importance of a state grows as GDP ** size_elasticity; scalar or (B,).
        focus: concentration of spending on the best value (0 = even split); scalar or (B,).

    Returns:
        (B, P, N) allocation in the unit of ``budget``; sums over N to ``budget``.
    """
    return engagement_shares(weights, openness, gdp_usd_bn, size_elasticity, focus) * budget[:, :, None]


def accumulate_stock(stock, flow_per_year, depreciation_per_year, months=1):
    """Update a stock (investment, attention) that depreciates over time.

    Args:
        stock: (B, P, N) current stock.
        flow_per_year: (B, P, N) inflow, per year.
        depreciation_per_year: fraction of the stock lost per year, in [0, 1); scalar or (B,).
        months: length of the step, months.

    Returns:
        (B, P, N) new stock.
    """
    keep = (1.0 - per_run(depreciation_per_year, 3)) ** (months / 12.0)
    return stock * keep + flow_per_year * (months / 12.0)
