"""Trade: gravity flows in USD bn, diversion of sanctioned trade, remittances.

The gravity relation is calibrated in levels to the base-year record: a pair
effect (``affinity``) absorbs everything the gravity core does not explain in the
base year, so the model moves away from the record only through changes in
economic size and trade costs (sanctions, memberships, corridors, alignment).
"""

from __future__ import annotations

import numpy as np

from alignment.mechanisms import einsum, matmul, per_run, power


def gravity_core(gdp_reporter, gdp_partner, distance_km, gdp_elasticity, distance_elasticity):
    """Log of the gravity core, without pair effects or trade costs.

    Args:
        gdp_reporter: (B, N) reporter GDP, USD bn.
        gdp_partner: (B, Q) partner GDP, USD bn.
        distance_km: (B, N, Q) capital-to-capital great-circle distance, km.
        gdp_elasticity: elasticity of trade to either side's GDP (dimensionless), scalar or (B,).
        distance_elasticity: elasticity of trade to distance (dimensionless, > 0), scalar or (B,).

    Returns:
        (B, N, Q) log USD bn.
    """
    e = per_run(gdp_elasticity, 3)
    return e * np.log(gdp_reporter)[:, :, None] + e * np.log(gdp_partner)[:, None, :] - per_run(distance_elasticity, 3) * np.log(distance_km)


def calibrate_affinity(observed_usd_bn, log_core):
    """Pair effects that make the gravity relation reproduce the base year exactly.

    Pairs without an observation (NaN) get the median affinity of their reporter,
    so a partner switched on without data (e.g. GCC) trades at the gravity norm.

    Args:
        observed_usd_bn: (B, N, Q) base-year turnover, USD bn; NaN where unknown.
        log_core: (B, N, Q) output of :func:`gravity_core` at base-year values.

    Returns:
        (B, N, Q) affinity, log USD bn.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.log(observed_usd_bn) - log_core
    raw = np.where(np.isfinite(raw), raw, np.nan)
    fill = np.nanmedian(raw, axis=2, keepdims=True)
    return np.where(np.isnan(raw), np.broadcast_to(fill, raw.shape), raw)


def gravity_flows(log_core, affinity, trade_cost, cost_elasticity):
    """Bilateral turnover in USD bn per year.

    flow = exp(affinity + log_core - cost_elasticity * trade_cost)

    Args:
        log_core: (B, N, Q) from :func:`gravity_core`.
        affinity: (B, N, Q) pair effects, log USD bn.
        trade_cost: (B, N, Q) trade-cost change against the base year, as a
            tariff-equivalent fraction (0 = base-year costs, 0.1 = 10 % dearer).
        cost_elasticity: trade elasticity to costs (dimensionless, > 0), scalar or (B,).

    Returns:
        (B, N, Q) USD bn per year, all > 0.
    """
    return np.exp(affinity + log_core - per_run(cost_elasticity, 3) * trade_cost)


def with_multilateral_resistance(flows, flows_at_base_costs, strength):
    """Multilateral resistance: a reporter's trade costs redistribute its trade more than they destroy it.

    flow' = flow / (sum_q flow / sum_q flow_at_base_costs) ** strength

    With ``strength`` 1 a reporter's total trade is what its size gives (structural gravity, Anderson and van
    Wincoop 2003): a cost that falls with one partner (intra-C5, a new corridor) draws trade away from all the
    others, and a cost that rises with every partner alike changes nothing. With 0, costs scale flows one by one.

    Args:
        flows: (B, N, Q) turnover at this month's costs, USD bn per year.
        flows_at_base_costs: (B, N, Q) turnover at base-year costs (the same sizes), USD bn per year.
        strength: in [0, 1]; scalar or (B,).

    Returns:
        (B, N, Q) USD bn per year.
    """
    ratio = flows.sum(axis=2, keepdims=True) / flows_at_base_costs.sum(axis=2, keepdims=True)
    return flows / power(ratio, per_run(strength, 3))


def divert_trade(direct_usd_bn, sanction, access, cost_elasticity, diversion_share):
    """Sanctioned trade between powers that re-routes through third countries.

    A sanction of intensity ``s`` on the pair (a, b) cuts their direct trade by
    ``1 - exp(-cost_elasticity * s)``. A fraction ``diversion_share`` of what is
    lost flows instead through the intermediaries, split in proportion to
    ``access[i, a] * access[i, b]`` (cheap access to both sides). Each diverted
    dollar appears twice in the intermediary's turnover: bought from one side and
    sold to the other (re-exports).

    Args:
        direct_usd_bn: (B, P, P) symmetric unsanctioned turnover between powers, USD bn/yr.
        sanction: (B, P, P) symmetric sanction intensity in [0, 1].
        access: (B, N, P) intermediary access to each power, >= 0.
        cost_elasticity: as in :func:`gravity_flows`, scalar or (B,).
        diversion_share: fraction of lost trade that is re-routed, in [0, 1], scalar or (B,).

    Returns:
        (lost, extra): lost (B, P, P) direct turnover lost, USD bn/yr;
        extra (B, N, P) added turnover of each intermediary with each power, USD bn/yr.
        ``extra.sum((1, 2)) == 2 * diversion_share * triu(lost).sum((1, 2))`` when
        every sanctioned pair has at least one intermediary.
    """
    lost = direct_usd_bn * (1.0 - np.exp(-per_run(cost_elasticity, 3) * sanction))
    diverted = per_run(diversion_share, 3) * np.triu(lost, k=1)  # (B, P, P), each pair once
    # intermediary i's share of pair (a, b) is access[i, a] * access[i, b] / total[a, b]; summed over the
    # pair's other side, i's extra turnover with a is access[i, a] * sum_b access[i, b] * (r + r.T)[a, b].
    # Shares do not change when a power's access column is rescaled, so each column is scaled to a maximum
    # of 1 first: tiny access (1e-160) would otherwise underflow in the products and blow r up.
    peak = np.max(access, axis=1, keepdims=True)
    access = access / np.where(peak > 0, peak, 1.0)
    total = matmul(np.swapaxes(access, 1, 2), access)  # (B, P, P): sum_i access[i, a] * access[i, b]
    # each intermediary's share of each pair, (B, N, P, P), at most 1: dividing the pair's trade by a total near the
    # smallest float first (access 1e-308 to both sides) would overflow to inf before the tiny access scaled it back
    pair = access[:, :, :, None] * access[:, :, None, :]
    share = np.divide(pair, total[:, None], out=np.zeros_like(pair), where=total[:, None] > 0)
    extra = einsum("bnac,bac->bna", share, diverted + np.swapaxes(diverted, 1, 2))
    return lost, extra


def remittances(base_usd_bn, source_gdp_ratio, gdp_elasticity, cut):
    """Remittance inflows in USD bn per year.

    Args:
        base_usd_bn: (B, N) base-year remittances from the source country, USD bn/yr.
        source_gdp_ratio: (B,) source-country GDP relative to the base year.
        gdp_elasticity: elasticity of remittances to the source economy, scalar or (B,).
        cut: (B,) fraction of flows blocked (payment sanctions, deportations), in [0, 1].

    Returns:
        (B, N) USD bn per year.
    """
    return base_usd_bn * (power(source_gdp_ratio, per_run(gdp_elasticity, 1)) * (1.0 - cut))[:, None]
