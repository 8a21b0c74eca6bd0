"""The world as arrays: actors, economies, trade record, ties and corridors.

``build_world`` reads the ``world`` config (its states, powers and data file),
the ``actors`` and ``corridors`` config groups once, checks them and returns a frozen :class:`World` of numpy arrays
that the model and the mechanisms index by position. Partner order everywhere
is powers first, then states.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alignment.checks import FRACTION, NEST_LAMBDA, check_fields, check_range
from alignment.errors import ConfigError
from alignment.schema import CorridorSpec, DirectTrade, MarketSpec, PowerSpec, StateSpec
from alignment.world.observations import Observations, load_observations
from alignment.world.source import world_data

EARTH_RADIUS_KM = 6371.0
REMITTANCE_YEAR = 2018  # year of the remittance shares in the world data
# what binding an institution's members to its convenors means: a military alliance (CSTO), an economic and
# customs union (EAEU), or a forum for summits and cooperation (SCO, OTS); each kind pulls with its own weight
INSTITUTION_KINDS = ("alliance", "union", "forum")


@dataclass(frozen=True, eq=False)
class World:
    states: tuple
    powers: tuple
    base_year: int
    gdp_years: np.ndarray  # (Y,)
    gdp_table: np.ndarray  # (Y, Q) USD bn, partner order
    gdp_growth: float  # per year, after the last data year
    distance_km: np.ndarray  # (N, Q)
    trade_years: np.ndarray  # (T,)
    trade_record: np.ndarray  # (T, N, Q) USD bn, NaN where unknown
    trade_base: np.ndarray  # (N, Q) base-year turnover used for calibration, NaN where unknown
    institutions: tuple
    membership_changes: dict  # institution -> state -> [(year, status)]
    convenors: np.ndarray  # (I, P)
    economic_union: np.ndarray  # (I,) bool, shared membership lowers trade costs
    institution_kind: tuple  # (I,) one of INSTITUTION_KINDS
    military: np.ndarray  # (N, P) presence in [0, 1]
    neutral: np.ndarray  # (N,) bool
    remittances_usd_bn: np.ndarray  # (N,) from Russia, in REMITTANCE_YEAR
    remittance_source: int  # power index (RUS) or -1
    openness: np.ndarray  # (N,)
    activity: np.ndarray  # (N,)
    threat_response: np.ndarray  # (N,) -1 bandwagon .. 1 balance, each state's answer to coercion
    regime_security: np.ndarray  # (N,) 0-1, how much a threatened leadership turns to its security partners
    investment_usd_bn: np.ndarray  # (P,) per year
    attention_per_year: np.ndarray  # (P,)
    coercion: np.ndarray  # (P,)
    direct_trade_usd_bn: np.ndarray  # (P, P) symmetric
    direct_trade_year: int
    corridors: tuple
    markets: tuple
    nests: tuple
    nest_of: np.ndarray  # (K, G)
    nest_lambda: np.ndarray  # (G,)
    serves: np.ndarray  # (M, K) bool
    demand_teu: np.ndarray  # (M,) in market base year
    demand_base_year: np.ndarray  # (M,)
    demand_growth: np.ndarray  # (M,) per year
    price: np.ndarray  # (K,)
    days: np.ndarray
    risk: np.ndarray
    penalty: np.ndarray
    capacity_teu: np.ndarray  # inf = unbounded
    teu_per_usd_bn: np.ndarray
    growth_share: np.ndarray  # (K,) a route's own capacity growth limit per month; NaN: the model's
    throughput_record: tuple  # per route: ((year, TEU), ...) recorded throughput, for runs that start after 2015-01
    days_saved_per_usd_bn: np.ndarray  # (K,) transit days money spent on the route buys
    min_days: np.ndarray  # (K,) how fast money can make the route, days
    crosses: np.ndarray  # (K, N) bool
    sponsors: np.ndarray  # (K, P)
    fee_usd_per_feu: np.ndarray
    open: np.ndarray  # (K,) bool
    observations: Observations  # UN votes, arms imports, ideal points (alignment.world.observations)
    catalogue: dict  # code -> {name, kind}: every actor the data knows, in the run or not

    @property
    def partners(self) -> tuple:
        return self.powers + self.states

    @property
    def rivalry(self) -> np.ndarray:
        """(P, P) distance between powers' UN ideal points, scaled to a maximum of 1 (0 where unknown):
        how far leaning toward one power is leaning away from the other."""
        x = self.observations.ideal_point
        d = np.abs(x[:, None] - x[None, :])
        d = np.where(np.isfinite(d), d, 0.0)
        peak = d.max()
        return d / peak if peak > 0 else d

    def capacity_at(self, month: int) -> np.ndarray:
        """(K,) capacity of each route at the start of ``month`` (months since year 0): ``capacity_teu`` at 2015-01;
        later, for a route with a throughput record, log-linear through that point and the record's years (each
        at mid-year), flat after the last; a route without a record keeps ``capacity_teu``."""
        cap = self.capacity_teu.copy()
        t = month / 12.0
        for k, record in enumerate(self.throughput_record):
            if not record or t <= 2015.0 or not np.isfinite(cap[k]) or cap[k] <= 0:
                continue
            xs = np.array([2015.0] + [y + 0.5 for y, _ in record])
            ys = np.log(np.array([cap[k]] + [v for _, v in record]))
            cap[k] = float(np.exp(np.interp(t, xs, ys)))
        return cap

    def gdp_at(self, year: int) -> np.ndarray:
        """(Q,) GDP in USD bn for a calendar year; grows at ``gdp_growth`` after the data."""
        last = int(self.gdp_years[-1])
        if year <= last:
            row = int(np.clip(year - int(self.gdp_years[0]), 0, len(self.gdp_years) - 1))
            return self.gdp_table[row]
        return self.gdp_table[-1] * (1.0 + self.gdp_growth) ** (year - last)

    def membership_at(self, year: int) -> np.ndarray:
        """(N, I) membership status (0, 0.5 observer, 1) at the start of ``year`` from the data's change points."""
        out = np.zeros((len(self.states), len(self.institutions)))
        for k, inst in enumerate(self.institutions):
            for i, s in enumerate(self.states):
                for y, status in self.membership_changes.get(inst, {}).get(s, []):
                    if y <= year:
                        out[i, k] = status
        return out


def haversine_km(a, b) -> float:
    """Great-circle distance between two (lat, lon) points in degrees."""
    (la1, lo1), (la2, lo2) = map(lambda p: (math.radians(p[0]), math.radians(p[1])), (a, b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def build_world(world, actors, corridors, gdp_growth_pct_per_year: float) -> World:
    """Check the three world config groups (and the world's data file) and turn them into arrays."""
    data = world_data(world)
    catalogue = dict(data["catalogue"])
    states = tuple(world.states)
    if len(set(states)) != len(states) or not states:
        raise ConfigError("world.states", list(states), "a non-empty list of distinct states")
    for n, s in enumerate(states):
        if catalogue.get(s, {}).get("kind") != "state":
            raise ConfigError(f"world.states[{n}]", s, "unknown state; known: " + ", ".join(c for c, v in catalogue.items() if v["kind"] == "state"))
    known_powers = [c for c, v in catalogue.items() if v["kind"] == "power"]
    known_states = [c for c, v in catalogue.items() if v["kind"] == "state"]
    powers = tuple(world.powers)
    for n, p in enumerate(powers):
        if p not in known_powers:
            raise ConfigError(f"world.powers[{n}]", p, "unknown power; known: " + ", ".join(known_powers))
        if p not in actors.powers:
            raise ConfigError(f"world.powers[{n}]", p, "has no entry under actors.powers")
    if len(set(powers)) != len(powers) or not powers:
        raise ConfigError("world.powers", list(powers), "a non-empty list of distinct powers")
    partners = powers + states
    N, P, Q = len(states), len(powers), len(partners)

    # economies
    gdp = data["gdp_usd_bn"]["values"]
    years = sorted({int(y) for v in gdp.values() for y in v})
    table = np.full((len(years), Q), np.nan)
    for q, code in enumerate(partners):
        series = gdp.get(code)
        if series:
            for y, v in series.items():
                table[years.index(int(y)), q] = v
        elif code in actors.powers and actors.powers[code].gdp_usd_bn_fallback:
            table[:, q] = actors.powers[code].gdp_usd_bn_fallback
        else:
            raise ConfigError(f"world.gdp_usd_bn.values.{code}", None, "no GDP data and no actors.powers fallback")
    for q in range(Q):  # fill gaps inside the data window with the nearest known year
        col = table[:, q]
        known = np.flatnonzero(~np.isnan(col))
        table[:, q] = col[known[np.abs(np.arange(len(col))[:, None] - known[None, :]).argmin(axis=1)]]

    caps = data["capitals"]["values"]
    coords = {c: caps[c] for c in partners if c in caps}
    dist = np.ones((N, Q))
    for i, s in enumerate(states):
        for q, p in enumerate(partners):
            if p == s:
                continue
            if s in coords and p in coords:
                dist[i, q] = max(haversine_km(coords[s], coords[p]), 100.0)
            else:
                dist[i, q] = 3000.0  # a partner without a capital in the data sits at a typical C5 distance
    # trade record
    tvals = data["trade_usd_bn"]["values"]
    tyears = sorted({int(y) for r in tvals.values() for p in r.values() for y in p})
    record = np.full((len(tyears), N, Q), np.nan)
    for i, s in enumerate(states):
        for q, p in enumerate(partners):
            for y, v in tvals.get(s, {}).get(p, {}).items():
                record[tyears.index(int(y)), i, q] = v
    base = np.full((N, Q), np.nan)
    for i in range(N):
        for q in range(Q):
            col = record[:, i, q]
            if partners[q] != states[i] and np.isfinite(col).any():
                base[i, q] = col[np.flatnonzero(np.isfinite(col))[0]]  # first reported year if the base year is missing

    # institutions and ties
    institutions = tuple(actors.institutions)
    mem = data["memberships"]["values"]
    changes = {inst: {s: sorted((int(y), float(v)) for y, v in mem.get(inst, {}).get(s, [])) for s in states} for inst in institutions}
    conv = np.zeros((len(institutions), P))
    for k, inst in enumerate(institutions):
        for p, w in actors.institutions[inst].convenors.items():
            if p not in known_powers:
                raise ConfigError(f"actors.institutions.{inst}.convenors.{p}", w, "unknown power; known: " + ", ".join(known_powers))
            if p in powers:
                conv[k, powers.index(p)] = w
    for inst in institutions:
        if actors.institutions[inst].kind not in INSTITUTION_KINDS:
            raise ConfigError(f"actors.institutions.{inst}.kind", actors.institutions[inst].kind, "allowed kinds: " + ", ".join(INSTITUTION_KINDS))
    kinds = tuple(actors.institutions[i].kind for i in institutions)
    union = np.array([k == "union" for k in kinds])
    military = np.zeros((N, P))
    if "RUS" in powers:
        for s, troops in data["russian_military"]["values"].items():
            if s in states:
                military[states.index(s), powers.index("RUS")] = math.log1p(troops / 1000.0) / math.log1p(7.0)
    neutral = np.array([s in data.get("neutrality", {}).get("values", {}) for s in states])
    remit_pct = data["remittances_pct_gdp"]["values"]
    y18 = table[min(max(REMITTANCE_YEAR - years[0], 0), len(years) - 1)]
    remit = np.array([remit_pct.get(s, 0.0) / 100.0 * y18[P + i] for i, s in enumerate(states)])
    remit_source = powers.index("RUS") if "RUS" in powers else -1

    # actors
    for s in actors.states:
        if s not in known_states:
            raise ConfigError(f"actors.states.{s}", s, "a rule for a state the world does not have; known: " + ", ".join(known_states))
    for s in states:
        if s not in actors.states:
            raise ConfigError(f"actors.states.{s}", None, "every state in world.states needs an entry")
        check_fields(actors.states[s], StateSpec, f"actors.states.{s}")
    for p in powers:
        check_fields(actors.powers[p], PowerSpec, f"actors.powers.{p}")
    direct = np.zeros((P, P))
    dyear = 2021
    for pair, spec in actors.direct_trade.items():
        a, _, b = pair.partition("|")
        for c in (a, b):
            if c not in known_powers:
                raise ConfigError(f"actors.direct_trade.{pair}", c, "unknown power; known: " + ", ".join(known_powers))
        check_fields(spec, DirectTrade, f"actors.direct_trade.{pair}")
        if a in powers and b in powers:
            direct[powers.index(a), powers.index(b)] = direct[powers.index(b), powers.index(a)] = spec.value_usd_bn
            dyear = spec.year

    # corridors
    nests = tuple(corridors.nest_lambda)
    markets = tuple(corridors.markets)
    codes = tuple(corridors.routes)
    K, M, G = len(codes), len(markets), len(nests)
    for g, lam in corridors.nest_lambda.items():
        check_range(f"corridors.nest_lambda.{g}", lam, NEST_LAMBDA, "-")
    for m, spec in corridors.markets.items():
        check_fields(spec, MarketSpec, f"corridors.markets.{m}")
    nest_of = np.zeros((K, G))
    serves = np.zeros((M, K), dtype=bool)
    crosses = np.zeros((K, N), dtype=bool)
    sponsors = np.zeros((K, P))
    arr = {a: np.zeros(K) for a in ("price", "days", "risk", "penalty", "cap", "tpu", "fee")}
    growth = np.full(K, np.nan)
    saved, min_days = np.zeros(K), np.zeros(K)
    records = []
    is_open = np.ones(K, dtype=bool)
    for k, c in enumerate(codes):
        r = corridors.routes[c]
        key = f"corridors.routes.{c}"
        check_fields(r, CorridorSpec, key)
        if r.nest not in nests:
            raise ConfigError(f"{key}.nest", r.nest, "known nests: " + ", ".join(nests))
        nest_of[k, nests.index(r.nest)] = 1.0
        for m in r.markets:
            if m not in markets:
                raise ConfigError(f"{key}.markets", m, "known markets: " + ", ".join(markets))
            serves[markets.index(m), k] = True
        for s in r.crosses:
            if s not in states:
                raise ConfigError(f"{key}.crosses", s, "known states: " + ", ".join(states))
            crosses[k, states.index(s)] = True
        for p, w in r.sponsors.items():
            if p not in known_powers:
                raise ConfigError(f"{key}.sponsors.{p}", w, "unknown power; known: " + ", ".join(known_powers))
            check_range(f"{key}.sponsors.{p}", w, FRACTION, "share of the route's sponsorship")
            if p in powers:
                sponsors[k, powers.index(p)] = w
        for name, attr in (("price", "price_usd_per_feu"), ("days", "transit_days"), ("penalty", "service_penalty_usd_per_feu"),
                           ("cap", "capacity_teu"), ("tpu", "teu_per_usd_bn"), ("fee", "transit_fee_usd_per_feu"), ("risk", "risk")):
            value = getattr(r, attr)
            arr[name][k] = np.inf if value is None else value
        g = r.max_growth_share_per_month
        growth[k] = np.nan if g is None else g
        saved[k] = r.days_saved_per_usd_bn
        floor = r.transit_days if r.min_transit_days is None else r.min_transit_days
        if not floor <= r.transit_days:
            raise ConfigError(f"{key}.min_transit_days", r.min_transit_days,
                              f"must be between 1 and the route's transit_days ({r.transit_days:g}), or null")
        min_days[k] = floor
        if r.days_saved_per_usd_bn > 0 and r.min_transit_days is None:
            raise ConfigError(f"{key}.min_transit_days", None, "a route whose days money shortens (days_saved_per_usd_bn > 0) needs a floor, in days")
        rec = []
        for y, v in sorted((int(y), v) for y, v in r.throughput_teu_by_year.items()):
            if not (np.isfinite(v) and v > 0) or y < 2015:
                raise ConfigError(f"{key}.throughput_teu_by_year.{y}", v, "a recorded throughput must be > 0 TEU, in 2015 or later")
            rec.append((y, float(v)))
        records.append(tuple(rec))
        is_open[k] = r.open
    for m in range(M):
        if not serves[m].any():
            raise ConfigError(f"corridors.markets.{markets[m]}", None, "no corridor serves this market")

    return World(
        states=states, powers=powers, base_year=int(world.base_year),
        gdp_years=np.array(years), gdp_table=table, gdp_growth=gdp_growth_pct_per_year / 100.0,
        distance_km=dist, trade_years=np.array(tyears), trade_record=record, trade_base=base,
        institutions=institutions, membership_changes=changes, convenors=conv, economic_union=union, institution_kind=kinds,
        military=military, neutral=neutral, remittances_usd_bn=remit, remittance_source=remit_source,
        openness=np.array([actors.states[s].openness for s in states], dtype=float),
        activity=np.array([actors.states[s].activity for s in states], dtype=float),
        threat_response=np.array([actors.states[s].threat_response for s in states], dtype=float),
        regime_security=np.array([actors.states[s].regime_security for s in states], dtype=float),
        investment_usd_bn=np.array([actors.powers[p].investment_usd_bn_per_year for p in powers], dtype=float),
        attention_per_year=np.array([actors.powers[p].attention_interactions_per_year for p in powers], dtype=float),
        coercion=np.array([actors.powers[p].coercion for p in powers], dtype=float),
        direct_trade_usd_bn=direct, direct_trade_year=dyear,
        corridors=codes, markets=markets, nests=nests,
        nest_of=nest_of, nest_lambda=np.array([corridors.nest_lambda[g] for g in nests], dtype=float), serves=serves,
        demand_teu=np.array([corridors.markets[m].demand_teu for m in markets], dtype=float),
        demand_base_year=np.array([corridors.markets[m].base_year for m in markets]),
        demand_growth=np.array([corridors.markets[m].growth_pct_per_year / 100.0 for m in markets]),
        price=arr["price"], days=arr["days"], risk=arr["risk"], penalty=arr["penalty"], capacity_teu=arr["cap"],
        teu_per_usd_bn=arr["tpu"], growth_share=growth, throughput_record=tuple(records), days_saved_per_usd_bn=saved, min_days=min_days, crosses=crosses, sponsors=sponsors, fee_usd_per_feu=arr["fee"], open=is_open,
        observations=load_observations(data["observations"], states, powers,
                                       [c for c, v in catalogue.items() if v["kind"] == "state"], known_powers),
        catalogue=catalogue,
    )
