"""Corridors: route choice on generalised cost, bounded by capacity, and growth.

Freight of each market (e.g. China-Europe, north-south) chooses among the
corridors that serve it by a nested logit on generalised cost
(price + value of time x days + risk x cargo value + service penalty). Capacity is
shared across markets: a full corridor is rationed by a shadow price (a surcharge
that lowers its logit demand to its capacity), so the freight it turns away
re-chooses as the nesting says; water-filling then makes the split exact. The
outside option (sea) has unbounded capacity. Capacity grows with investment after a lag.
"""

from __future__ import annotations

import numpy as np

from alignment.mechanisms import matmul, min_axis, per_run, sum_axis


def generalised_cost(
    price_usd_per_feu, transit_days, risk, service_penalty_usd_per_feu, value_of_time_usd_per_feu_day, cargo_value_usd_per_feu
):
    """Generalised cost of moving one FEU, in USD.

    Args:
        price_usd_per_feu: (B, K) freight rate, USD per FEU.
        transit_days: (B, K) door-to-door transit time, days.
        risk: (B, K) expected loss as a share of cargo value (delay, seizure,
            sanction exposure, insurance), in [0, 1].
        service_penalty_usd_per_feu: (B, K) cost-equivalent of what the route
            cannot carry or do (e.g. rail cannot take bulk), USD per FEU.
        value_of_time_usd_per_feu_day: USD per FEU per day, scalar or (B,).
        cargo_value_usd_per_feu: USD per FEU, scalar or (B,).

    Returns:
        (B, K) USD per FEU.
    """
    return (
        price_usd_per_feu
        + service_penalty_usd_per_feu
        + per_run(value_of_time_usd_per_feu_day, 2) * transit_days
        + risk * per_run(cargo_value_usd_per_feu, 2)
    )


def choice_probabilities(gcost_usd, available, nest_of, nest_lambda, logit_scale_usd):
    """Nested-logit probability of each corridor in each market.

    Corridors in one nest (e.g. the overland rail routes) are closer substitutes
    for each other than for the other nest (sea): when one rail route gets dearer
    most of its freight moves to another rail route, not to the sea. With every
    ``nest_lambda == 1`` this is the plain multinomial logit.

    Args:
        gcost_usd: (B, K) generalised cost, USD per FEU.
        available: (B, M, K) bool, corridor k is open to market m's freight.
        nest_of: (K, G) one-hot nest membership.
        nest_lambda: (G,) dissimilarity parameters in (0, 1].
        logit_scale_usd: scale of the logit, USD per FEU (larger = less sensitive to cost), scalar or (B,).

    Returns:
        (B, M, K) probabilities; each market's row sums to 1 (0 if nothing is available).
    """
    nest_k = nest_of.argmax(axis=1)  # (K,) each corridor's nest (nest_of is one-hot)
    lam_k = nest_lambda[nest_k]
    gc = np.where(available, gcost_usd[:, None, :], np.inf)  # (B, M, K)
    cheapest = min_axis(gc, 2, keepdims=True)
    # shifting each market's costs by its cheapest route keeps its best route at exp(0) = 1
    with np.errstate(invalid="ignore"):
        e = np.exp(-(gc - np.where(np.isfinite(cheapest), cheapest, 0.0)) / (per_run(logit_scale_usd, 3) * lam_k))  # 0 where unavailable
    s = matmul(e, nest_of)  # (B, M, G) nest sums
    pn = s ** nest_lambda  # nest weights exp(lambda * inclusive value), common factor dropped (0 for an empty nest)
    s_k = s[:, :, nest_k]  # (B, M, K) each corridor's nest sum
    w = e / np.where(s_k > 0, s_k, 1.0) * pn[:, :, nest_k]
    tot = sum_axis(w, 2, keepdims=True)
    return w / np.where(tot > 0, tot, 1.0)


def capacity_prices(demand_teu, gcost_usd, available, capacity_teu, nest_of, nest_lambda, logit_scale_usd,
                    start_usd=None, iterations=30, tolerance=1e-3, with_probabilities=False):
    """Shadow prices that ration full corridors inside the logit.

    A corridor that more freight wants than it can carry gets a surcharge (USD per
    FEU) raised until its logit demand falls to its capacity; the freight it turns
    away then re-chooses as the nesting says: mostly another rail route, not the
    sea. Each round adds ``scale * lambda_k * log(wanted / capacity)``, which never
    overshoots; warm-started from last month's prices it converges in a few rounds.

    Args:
        demand_teu: (B, M) demand, TEU per year.
        gcost_usd: (B, K) generalised cost, USD per FEU.
        available: (B, M, K) bool, corridor k is open to market m (capacity > 0 is required too).
        capacity_teu: (B, K) capacity, TEU per year (``np.inf`` = unbounded, never priced).
        nest_of, nest_lambda, logit_scale_usd: as in :func:`choice_probabilities`.
        start_usd: (B, K) initial surcharges (e.g. last month's), USD per FEU; zeros if None.
        iterations: most rounds; tolerance: relative excess of demand over capacity accepted.
        with_probabilities: also return the choice probabilities at the final surcharges, (B, M, K),
            which :func:`assign_routes` can start from instead of computing them again.

    Returns:
        (surcharge, wanted): surcharge (B, K) >= 0 USD per FEU, zero where capacity does not bind;
        wanted (B, K) the demand for each corridor without surcharges, TEU per year
        (and the probabilities, with ``with_probabilities``).
    """
    demand = np.asarray(demand_teu, dtype=float)[:, :, None]
    cap = np.asarray(capacity_teu, dtype=float)
    open_ = available & (cap > 0)[:, None, :]
    priced = np.isfinite(cap) & (cap > 0)
    step_scale = per_run(logit_scale_usd, 2) * (nest_of @ nest_lambda)
    probs = choice_probabilities(gcost_usd, open_, nest_of, nest_lambda, logit_scale_usd)
    wanted = sum_axis(probs * demand, 1)
    surcharge = np.zeros_like(wanted) if start_usd is None else np.where(priced, np.asarray(start_usd, dtype=float), 0.0)
    want = wanted
    if start_usd is not None and surcharge.any():
        probs = choice_probabilities(gcost_usd + surcharge, open_, nest_of, nest_lambda, logit_scale_usd)
        want = sum_axis(probs * demand, 1)
    for _ in range(iterations):
        with np.errstate(over="ignore"):  # a vanishing capacity gives an infinite surcharge: the corridor closes
            ratio = np.divide(want, cap, out=np.ones_like(want), where=priced)
        # a surcharge falls where the corridor has room again, rises where it is over-subscribed
        step = step_scale * np.log(np.maximum(ratio, 1e-300))
        step = np.where(priced & ((ratio > 1 + tolerance) | ((surcharge > 0) & (ratio < 1 - tolerance))), step, 0.0)
        if not step.any():
            break
        surcharge = np.maximum(surcharge + step, 0.0)
        probs = choice_probabilities(gcost_usd + surcharge, open_, nest_of, nest_lambda, logit_scale_usd)
        want = sum_axis(probs * demand, 1)
    return (surcharge, wanted, probs) if with_probabilities else (surcharge, wanted)


def assign_routes(demand_teu, gcost_usd, serves, capacity_teu, nest_of, nest_lambda, logit_scale_usd, probabilities=None):
    """Split each market's demand across corridors, bounded by shared capacity.

    Water-filling: give every market its nested-logit split over the corridors
    that still have room; where a corridor is over-subscribed, scale every
    market's use of it down to its capacity, close it, and re-split the
    shortfall over the rest. Terminates in at most K rounds; a run whose split
    is final takes no further part, so each run's result is the same alone or in a batch.

    Args:
        demand_teu: (B, M) demand, TEU per year.
        gcost_usd: (B, K) generalised cost, USD per FEU.
        serves: (B, M, K) bool, corridor k carries market m's freight and is open.
        capacity_teu: (B, K) capacity, TEU per year (``np.inf`` for the sea).
        nest_of, nest_lambda, logit_scale_usd: as in :func:`choice_probabilities`.
        probabilities: (B, M, K) the choice probabilities at ``gcost_usd`` over the corridors that serve
            and have capacity, if already known (e.g. from :func:`capacity_prices`); computed if None.

    Returns:
        (volume, wanted, unmet): volume (B, M, K) TEU per year with
        ``volume.sum(-1) + unmet == demand`` and ``volume.sum(1) <= capacity``;
        wanted (B, K) the unconstrained demand for each corridor, TEU per year (a corridor
        without capacity counts as closed and is wanted by nobody);
        unmet (B, M), positive only if every corridor serving a market is full.
    """
    B, M, K = serves.shape
    volume = np.zeros((B, M, K))
    remaining = np.asarray(demand_teu, dtype=float).copy()
    room = np.asarray(capacity_teu, dtype=float).copy()
    open_ = serves & (room > 0)[:, None, :]
    active = np.ones(B, dtype=bool)  # runs whose split is not final yet
    wanted = None
    for round_ in range(K):
        p = probabilities if round_ == 0 and probabilities is not None else choice_probabilities(
            gcost_usd, open_, nest_of, nest_lambda, logit_scale_usd)
        split = p * remaining[:, :, None]
        if wanted is None:
            wanted = sum_axis(split, 1)
        want = sum_axis(split, 1)  # (B, K)
        over = want > room
        with np.errstate(over="ignore"):  # room / tiny want overflows only where the corridor is not over-subscribed
            scale = np.where(over, np.divide(room, want, out=np.zeros_like(room), where=want > 0), 1.0)
        take = np.where(active[:, None, None], split * scale[:, None, :], 0.0)
        volume += take
        remaining = remaining - sum_axis(take, 2)
        room = np.where(over, 0.0, room - sum_axis(take, 1))
        open_ = open_ & ~over[:, None, :]
        active &= over.any(axis=1)
        if not active.any():
            break
    remaining = np.where(remaining <= 1e-9 * np.maximum(demand_teu, 1.0), 0.0, remaining)
    return volume, wanted, remaining


def expansion_orders(wanted_teu, capacity_teu, response_share, max_growth_share):
    """Capacity ordered this month in answer to demand the corridor turned away.

    Args:
        wanted_teu: (B, K) unconstrained demand for the corridor, TEU per year.
        capacity_teu: (B, K) current capacity, TEU per year (finite entries only are used).
        response_share: fraction of the shortfall ordered per month, scalar or (B,).
        max_growth_share: cap on one month's order as a fraction of capacity
            (ports, ferries and rail cannot grow faster), scalar, (B,) or per route (B, K).

    Returns:
        (B, K) capacity ordered, TEU per year; zero for unbounded corridors.
    """
    finite = np.isfinite(capacity_teu)
    cap = np.where(finite, capacity_teu, 0.0)
    shortfall = np.maximum(np.where(finite, wanted_teu, 0.0) - cap, 0.0)
    g = np.asarray(max_growth_share, dtype=float)
    return np.minimum(per_run(response_share, 2) * shortfall, (g if g.ndim == 2 else per_run(g, 2)) * cap)


def faster_routes(transit_days, funding_usd_bn, days_saved_per_usd_bn, min_days):
    """Transit days after this month's spending on the routes: ports, track and border procedures bought.

    days' = max(days - funding * days_saved_per_usd_bn, min(days, min_days)): money shortens a route down to its
    floor, never lengthens it (a route an event already made faster than the floor stays as it is).

    Args:
        transit_days: (B, K) current transit days.
        funding_usd_bn: (B, K) money spent on each route this month, USD bn.
        days_saved_per_usd_bn: (K,) days one USD bn buys on the route.
        min_days: (K,) the fastest money can make the route, days.

    Returns:
        (B, K) days.
    """
    faster = transit_days - funding_usd_bn * days_saved_per_usd_bn[None, :]
    return np.maximum(faster, np.minimum(transit_days, min_days[None, :]))


def advance_pipeline(pipeline_teu, orders_teu):
    """Move the capacity pipeline one month on.

    Args:
        pipeline_teu: (B, L, K) capacity under construction; slot 0 completes now.
        orders_teu: (B, K) new capacity ordered this month, completes in L months.

    Returns:
        (arrived, pipeline): arrived (B, K) TEU per year, pipeline (B, L, K).
    """
    arrived = pipeline_teu[:, 0, :]
    pipeline = np.concatenate([pipeline_teu[:, 1:, :], orders_teu[:, None, :]], axis=1)
    return arrived, pipeline
