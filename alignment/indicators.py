"""The indicators of the output contract: names, units, and how each comes from the engine's recorders.

Kept apart from :mod:`alignment.outputs` (which builds pandas frames and writes Parquet) so that a
sweep's worker processes compute their summaries with numpy alone.
"""

from __future__ import annotations

import numpy as np

# indicator -> (unit, entity kind, partner kind); kinds: state, power, partner, corridor, market, region, None
INDICATORS = {
    "alignment_weight": ("share", "state", "power"),
    "multialignment_index": ("index 0-1", "state", None),
    "trade_usd_bn": ("USD bn per year", "state", "partner"),
    "remittances_usd_bn": ("USD bn per year", "state", "power"),
    "investment_usd_bn": ("USD bn per year", "state", "power"),
    "corridor_volume_teu": ("TEU per year", "corridor", None),
    "corridor_volume_mt": ("million tonnes per year", "corridor", None),
    "corridor_capacity_teu": ("TEU per year", "corridor", None),
    "corridor_share": ("share of market", "corridor", "market"),
    "transit_revenue_usd_bn": ("USD bn per year", "state", None),
    "cohesion": ("index 0-1", "region", None),
    "unga_agreement": ("agreement score 0-1", "state", "power"),
    "unga_position": ("UN ideal-point units", "state", None),
    "arms_import_share": ("share of major-arms imports (TIV)", "state", "power"),
}

# indicators that exist per calendar year (what the observation record measures); the rest are monthly
YEARLY = ("unga_agreement", "unga_position", "arms_import_share")

# which recorder arrays (alignment.engine.record_shapes) each indicator is computed from
SOURCES = {
    "alignment_weight": ("weights",), "multialignment_index": ("multialignment",), "trade_usd_bn": ("trade",),
    "remittances_usd_bn": ("remittances",), "investment_usd_bn": ("investment",), "corridor_volume_teu": ("volume",),
    "corridor_volume_mt": ("volume",), "corridor_capacity_teu": ("capacity",), "corridor_share": ("share",),
    "transit_revenue_usd_bn": ("transit_revenue",), "cohesion": ("cohesion",), "unga_agreement": ("unga",),
    "unga_position": ("position",), "arms_import_share": ("arms",),
}


def indicator_arrays(world, rec: dict, tonnes_per_teu, names=None) -> dict:
    """The indicators of B runs from their recorder arrays (month, run, ...).

    Returns {indicator: (values, entities, partners, keep)}: values (T, B, E, R) in the indicator's
    unit, entities (E,) and partners (R,) codes (partners None where the indicator has none, R = 1),
    keep (E, R) bool, the (entity, partner) cells that exist (no trade with oneself, shares only of
    the markets a corridor serves, no capacity for the unbounded sea). Only ``names`` (default: all).
    """
    states, powers, corridors, markets = list(world.states), list(world.powers), list(world.corridors), list(world.markets)
    rs = world.remittance_source
    tpt = np.asarray(tonnes_per_teu, dtype=float).reshape(-1)[None, :, None, None]

    def cells(a):
        return a.reshape(a.shape[:2] + (a.shape[2] if a.ndim > 2 else 1, -1))

    def every(e, r):
        return np.ones((e, r), dtype=bool)

    make = {
        "alignment_weight": lambda: (rec["weights"], states, powers, None),
        "multialignment_index": lambda: (rec["multialignment"], states, None, None),  # recorded monthly: it is not linear
        "trade_usd_bn": lambda: (rec["trade"], states, list(world.partners),
                                 np.array([[p != s for p in world.partners] for s in states])),
        "remittances_usd_bn": lambda: (rec["remittances"], states, [powers[rs]], None),
        "investment_usd_bn": lambda: (rec["investment"], states, powers, None),
        "corridor_volume_teu": lambda: (rec["volume"], corridors, None, None),
        "corridor_volume_mt": lambda: (cells(rec["volume"]) * tpt / 1e6, corridors, None, None),
        "corridor_capacity_teu": lambda: (np.where(np.isfinite(rec["capacity"]), rec["capacity"], np.nan), corridors, None,
                                          np.isfinite(world.capacity_teu)[:, None]),
        "corridor_share": lambda: (np.swapaxes(rec["share"], 2, 3), corridors, markets, world.serves.T.copy()),
        "transit_revenue_usd_bn": lambda: (rec["transit_revenue"], states, None, None),
        "cohesion": lambda: (rec["cohesion"][:, :, None], ["C5"], None, None),
        # the observation model's predictions, for the powers the record covers
        "unga_agreement": lambda: (rec["unga"], states, powers, np.repeat(world.observations.has_unga[None], len(states), 0)),
        "unga_position": lambda: (rec["position"], states, None, None),
        "arms_import_share": lambda: (rec["arms"], states, powers, np.repeat(world.observations.supplier[None], len(states), 0)),
    }
    out = {}
    for name in (names or INDICATORS):
        if name == "remittances_usd_bn" and rs < 0:
            continue
        values, entities, partners, keep = make[name]()
        values = cells(values)
        out[name] = (values, entities, partners, every(*values.shape[2:]) if keep is None else keep)
    return out
