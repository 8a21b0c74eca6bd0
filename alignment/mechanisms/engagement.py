"""Engagement: how external powers spread investment and attention over the C5.

A power spends where a dollar buys most influence: the marginal value of
spending in state i is its openness times the room left to gain there
(1 - current weight) times its economic importance per dollar needed
(GDP ** (size_elasticity - 1)). Spending follows that value raised to ``focus``.
"""

from __future__ import annotations

import numpy as np

from alignment.mechanisms import per_run, sum_axis


def engagement_shares(weights, openness, gdp_usd_bn, size_elasticity, focus):
    """Each power's split of any budget over the states: (B, P, N), summing to 1 over N.

    Args: as :func:`allocate_engagement`, without the budget.
    """
    room = np.clip(1.0 - weights, 1e-9, None)  # (B, N, P)
    value = openness[:, :, None] * room * (gdp_usd_bn ** (per_run(size_elasticity, 2) - 1.0))[:, :, None]
    score = np.swapaxes(value, 1, 2) ** per_run(focus, 3)  # (B, P, N)
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
