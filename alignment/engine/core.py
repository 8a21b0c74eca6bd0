"""The engine: the whole schedule of docs/ODD.md for B runs at once.

Every quantity of the model's state is an array whose first axis is the run, and
:meth:`Engine.step` carries out one month for all B runs in the order of
:data:`STEP_ORDER`: events -> engagement -> trade -> freight -> diplomacy ->
alignment -> record. The runs of one batch share the world (states, powers,
corridors, data) and the horizon; each has its own parameters, its own timeline
of events and its own random streams (:mod:`alignment.engine.streams`), so a run
computed inside a batch is the run computed alone. The Mesa model
(:class:`alignment.model.AlignmentModel`) is this engine with B = 1; sweeps,
calibration and validation step larger batches through the same code.

Indicators go into preallocated arrays (month, run, ...), so that a month's record
is one contiguous write, and the interaction ledger into columns; frames are built
once, after the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alignment.engine.ledger import Ledger
from alignment.engine.params import BatchParams
from alignment.engine.streams import (EXTERNAL_COUNTS, EXTERNAL_FORMS, NOISE, REGIONAL_COUNTS, REGIONAL_FORMS, Stream,
                                      poisson_counts)
from alignment.mechanisms import alignment as align_m
from alignment.mechanisms import corridors as corr_m
from alignment.mechanisms import diplomacy as dipl_m
from alignment.mechanisms import engagement as eng_m
from alignment.mechanisms import matmul, max_axis, power, sum_axis
from alignment.mechanisms import observation as obs_m
from alignment.mechanisms import trade as trade_m
from alignment.world import REMITTANCE_YEAR, World

STEP_ORDER = ("apply_events", "allocate_engagement", "trade", "route_freight", "hold_diplomacy", "update_alignment", "record")
EUROPEAN = ("EU", "GBR", "TUR")  # partners reached over the east-west corridors


def record_shapes(world: World) -> dict:
    """Per-month shape of every recorded indicator array (after the run and month axes)."""
    N, P, Q, K, M = len(world.states), len(world.powers), len(world.partners), len(world.corridors), len(world.markets)
    return {"weights": (N, P), "multialignment": (N,), "trade": (N, Q), "remittances": (N,), "investment": (N, P),
            "volume": (K,), "share": (M, K), "capacity": (K,), "cohesion": (), "transit_revenue": (N,),
            "unga": (N, P), "position": (N,), "hedging": (N,), "arms": (N, P)}


class Engine:
    """B runs of the model in one world over one horizon.

    Args:
        world: the shared world (:func:`alignment.world.build_world`).
        params: one :class:`~alignment.schema.ModelParams` per run.
        events: one list of scenario events per run (runs with the same list share one pass over it).
        start, end: first and last month index of the horizon (inclusive).
        seeds: one seed per run.
        record: names of the indicator arrays to keep (:func:`record_shapes`); all if None.
        ledger: keep the interaction ledger. Without it the forms and levels of contacts are not drawn (they
            come from streams of their own and feed nothing else), so every other number is the same.
        yearly: record each indicator's mean over every calendar year, (year, run, ...), instead of every
            month: what a sweep keeps, in a twelfth of the memory.
    """

    def __init__(self, world: World, params: list, events: list, start: int, end: int, seeds: list, record=None,
                 ledger: bool = True, yearly: bool = False):
        B = len(params)
        if not (len(events) == len(seeds) == B):
            raise ValueError(f"{B} parameter sets, {len(events)} event lists and {len(seeds)} seeds: one of each per run")
        self.world, self.p, self.B = world, BatchParams(list(params)), B
        self.seeds = tuple(int(s) for s in seeds)
        self.start, self.end, self.n_months, self.month = start, end, end - start + 1, start
        self.runs = np.arange(B)
        N, P, Q, K, M = len(world.states), len(world.powers), len(world.partners), len(world.corridors), len(world.markets)
        self.state_index = {s: i for i, s in enumerate(world.states)}
        self.power_index = {p: i for i, p in enumerate(world.powers)}
        self.partner_index = {p: i for i, p in enumerate(world.partners)}
        self.corridor_index = {c: i for i, c in enumerate(world.corridors)}
        self.market_index = {m: i for i, m in enumerate(world.markets)}
        self.institution_index = {k: i for i, k in enumerate(world.institutions)}
        p = self.p

        # each distinct timeline is walked once per month, for all the runs that follow it
        timelines, keys = {}, {}
        for b, evs in enumerate(events):
            key = keys.get(id(evs)) or keys.setdefault(id(evs), tuple(repr(e) for e in evs))  # one repr per distinct list
            timelines.setdefault(key, (list(evs), []))[1].append(b)
        self._timelines = [[evs, np.array(runs), 0] for evs, runs in timelines.values()]
        # membership changes of the world record, by year (applied each January)
        self._membership_changes: dict[int, dict] = {}
        for k, inst in enumerate(world.institutions):
            for i, s in enumerate(world.states):
                for y, status in world.membership_changes[inst].get(s, []):
                    self._membership_changes.setdefault(y, {})[(i, k)] = status

        def per_run(a):
            return np.repeat(np.asarray(a)[None], B, axis=0)

        # state of the world that events change
        self.openness, self.activity = per_run(world.openness).astype(float), per_run(world.activity).astype(float)
        self.hedging_extra = np.zeros((B, N))
        self.gdp_factor = np.ones((B, Q))  # level shocks to an economy (war), on top of its data and growth path
        self.trade_cost_extra = np.zeros((B, N, Q))
        self.sanction = np.zeros((B, P, P))  # [run, target, by]
        self.coercion = per_run(world.coercion).astype(float)
        self.ties_extra = np.zeros((B, N, P))
        self.membership = per_run(world.membership_at(self.year))
        self.corridor_price, self.corridor_days = per_run(world.price).astype(float), per_run(world.days).astype(float)
        self.corridor_risk, self.corridor_open = per_run(world.risk).astype(float), per_run(world.open)
        self.capacity = per_run(world.capacity_at(start)).astype(float)  # a later start starts from the record
        self.surcharge = np.zeros((B, K))  # capacity shadow prices, USD per FEU
        self.market_factor = np.ones((B, M))
        self.threat, self.threat_decay_per_year = np.zeros(B), np.full(B, 0.5)
        self.shock_until, self.in_person_factor, self.trade_factor = np.full(B, -1), np.ones(B), np.ones(B)
        self.remittance_cut = np.zeros(B)
        self.institutions = p.institutions_initial.copy()

        # engagement
        self.budget = per_run(world.investment_usd_bn).astype(float)
        self._attention_budget = per_run(world.attention_per_year).astype(float)
        self.earmarked = np.zeros((B, P, N))
        self.corridor_funding = np.zeros((B, K))  # USD bn disbursed to each corridor this month
        self.capacity_orders = np.zeros((B, K))  # TEU per year ordered this month by events (operators' programmes)
        self.pledges: list[tuple] = []  # (runs, power, first month, last month, USD bn per year, state shares, corridor or -1)
        self.openings: list[tuple] = []  # greenfield capacity: (runs, month it opens, corridor, TEU per year)
        self.pipeline = np.zeros((B, int(p.construction_lag_months.max()), K))  # slot 0 completes next
        self._order_slot = p.construction_lag_months - 1  # a run's orders complete construction_lag_months later
        # (B, K) monthly growth limit: the route's own (fixed infrastructure) where it has one, else the model's
        self._growth_share = np.where(np.isnan(world.growth_share)[None, :], np.asarray(p.max_capacity_growth_share, dtype=float)[:, None],
                                      world.growth_share[None, :])

        # random streams, one set per run
        self.streams = {k: Stream(self.seeds, k) for k in (EXTERNAL_COUNTS, EXTERNAL_FORMS, REGIONAL_COUNTS, REGIONAL_FORMS)}
        self.streams[NOISE] = Stream(self.seeds, NOISE, normal=True)

        # constants of the mechanisms, and caches
        self._gdp_cache: dict[int, np.ndarray] = {}
        self._core, self._core_key = None, None
        self._membership_key, self._membership_cache = None, {}
        with np.errstate(divide="ignore"):
            self._ext_kind_logits = np.log(p.external_kind_probabilities)  # (B, 4)
        self._ext_levels = np.repeat(p.external_level_probabilities[:, None, :], 4, axis=1)  # (B, 4, 3)
        rs = world.remittance_source
        self._remit_gdp0 = self._gdp_at(REMITTANCE_YEAR)[:, rs] if rs >= 0 else np.ones(B)
        self._pairs_i, self._pairs_j = dipl_m.pair_index(N)
        self._coef = np.stack([p.channel_trade, p.channel_investment, p.channel_security,
                               p.channel_attention, p.channel_corridor, p.channel_remittances], axis=1)  # (B, 6)
        self._union_cols = np.flatnonzero(world.economic_union)
        self._power_union = (world.convenors.T > 0).astype(float)  # (P, I): a convenor belongs to its union
        self._european = np.array([c in EUROPEAN for c in world.powers])
        self._rail_ew = (world.nest_of[:, world.nests.index("rail")] > 0) & world.serves[world.markets.index("EAST_WEST")] \
            if "rail" in world.nests and "EAST_WEST" in world.markets else np.zeros(K, bool)
        self._state_mask = np.eye(N, dtype=bool)  # reporter == partner
        # a neutral state adjusts more slowly toward its target (neutrality damps, it does not freeze)
        self._rate = (p.adjustment_rate[:, None] * np.where(world.neutral[None, :], 1.0 - p.neutrality_damping[:, None], 1.0))[:, :, None]
        self._rivalry = world.rivalry
        # the link from positions to agreement, fitted on the record's dyad-years up to each run's unga_link_until
        links = {int(y): world.observations.unga_link(last=int(y)) for y in np.unique(p.unga_link_until)}
        self._unga_link = tuple(np.stack([links[int(y)][k] for y in p.unga_link_until]) for k in (0, 1))  # (B, P) each
        self.agenda_share = np.zeros(B)  # share of the UN agenda on which actors vote as in spring 2022 (Ukraine)
        with np.errstate(all="ignore"):
            spring = world.observations.spring_agreement()  # (N, P); a state that cast no vote stands with the C5's mean
            self._spring_agreement = np.where(np.isfinite(spring), spring, np.nanmean(spring, axis=0, keepdims=True))
        self._coercion_response = np.where(world.neutral, 0.0, world.threat_response)  # neutrality answers no one
        self._arms_supplier = world.observations.supplier

        # recorders (month, run, ...), the ledger, and the year-end record of memberships and sanctions
        shapes = record_shapes(world)
        keep = shapes if record is None else {k: shapes[k] for k in record}
        self.first_year = start // 12
        n_years = end // 12 - self.first_year + 1
        self.yearly = yearly
        self.rec = {k: np.zeros(((n_years if yearly else self.n_months), B) + shape) for k, shape in keep.items()}
        self.membership_by_year = np.zeros((B, n_years) + self.membership.shape[1:])
        self.sanction_by_year = np.zeros((B, n_years, P, P))
        self.ledger = Ledger(world.partners, B) if ledger else None
        self._recent = np.zeros((B, 12))  # intraregional interactions in the last 12 months

        # initial state: steady-state stocks and a warm start of the flows, then weights at their target
        with np.errstate(all="ignore"):
            gdp = self._gdp()
            even = np.full((B, N, P), 1.0 / P)
            self.weights = even.copy()
            # each power's split depends on where its rivals' stocks are; at the even start every power splits alike,
            # so the rivals' share is the same in every state and one pass reaches the joint fixed point
            self.investment_stock = None
            shares = self._shares(gdp)
            self.investment_stock = self._steady_stock(shares * self.budget[:, :, None], p.investment_depreciation_per_year)
            shares = self._shares(gdp)
            self.invest_flow = shares * self.budget[:, :, None]
            self.investment_stock = self._steady_stock(self.invest_flow, p.investment_depreciation_per_year)
            self.attention_stock = self._steady_stock(shares * self._attention_budget[:, :, None], p.attention_depreciation_per_year)
            self.weights0 = self.weights.copy()
            # pair effects fitted to the base-year record at base-year GDP, whatever month the run starts in
            gdp0 = self._gdp_at(world.base_year)
            log_core0 = trade_m.gravity_core(gdp0[:, P:], gdp0, world.distance_km[None], p.gdp_elasticity, p.distance_elasticity)
            self.affinity = trade_m.calibrate_affinity(world.trade_base[None], log_core0)
            self._shared_union0 = self._shared_union()
            self._note_sanctions()
            self._route(update_capacity=False, prime=True)
            self._overland_gc0 = self._overland_gc
            self.trade()
            self._recent[:] = p.interaction_reference_per_year[:, None] / 12.0
            self.habit, self._answer = self.weights, np.ones((B, P))
            self.cohesion = self._cohesion()
            self.weights = self._target()
            for _ in range(50):  # the target depends on the weights (dependence, habit, cohesion): start at its fixed point
                self.weights = self.habit = 0.5 * self.weights + 0.5 * self._target()
                self.cohesion = self._cohesion()
            self.weights0, self.habit = self.weights.copy(), self.weights.copy()
            self._mean_weight0 = self.weights0.mean(axis=1)  # (B, P) the C5's mean weight on each power at the start
            self.cohesion = self._cohesion()
        self.running = True

    # ------------------------------------------------------------------ helpers
    @property
    def year(self) -> int:
        return self.month // 12

    def _gdp_at(self, year: int) -> np.ndarray:
        """(B, Q) GDP of every partner in a calendar year, USD bn; each run grows at its own rate after the data."""
        w = self.world
        last = int(w.gdp_years[-1])
        if year <= last:
            return np.repeat(w.gdp_at(year)[None], self.B, axis=0)
        growth = self.p.gdp_growth_pct_per_year / 100.0
        return w.gdp_table[-1][None, :] * ((1.0 + growth) ** (year - last))[:, None]

    def _gdp(self) -> np.ndarray:
        """(B, Q) GDP this calendar year (the data and growth path cached per year), times any level shock."""
        if self.year not in self._gdp_cache:
            self._gdp_cache[self.year] = self._gdp_at(self.year)
        return self._gdp_cache[self.year] * self.gdp_factor

    def _shares(self, gdp):
        """(B, P, N) how each power spreads any budget over the states: where influence is cheapest, and more where
        its rivals hold the investment stock (none yet while the opening stocks are set)."""
        stock = self.investment_stock
        presence = None if stock is None else eng_m.rival_presence(stock, self._rivalry)
        return eng_m.engagement_shares(self.weights, self.openness, gdp[:, len(self.world.powers):],
                                       self.p.engagement_size_elasticity, self.p.engagement_focus,
                                       presence, self.p.engagement_rivalry)

    @staticmethod
    def _steady_stock(flow_per_year, depreciation_per_year):
        """Fixed point of the monthly update stock' = stock * keep + flow / 12."""
        keep = (1.0 - depreciation_per_year[:, None, None]) ** (1.0 / 12.0)
        return flow_per_year / 12.0 / (1.0 - keep)

    def _by_membership(self, name: str, compute):
        """``compute()``, cached until the memberships change (at most each January, or by an event)."""
        if not np.array_equal(self._membership_key, self.membership):
            self._membership_key, self._membership_cache = self.membership.copy(), {}
        if name not in self._membership_cache:
            self._membership_cache[name] = compute()
        return self._membership_cache[name]

    def _shared_union(self) -> np.ndarray:
        """(B, N, Q) 1 where reporter and partner share an economic union."""
        def compute():
            m = self.membership[:, :, self._union_cols]  # (B, N, U)
            pu = self._power_union[:, self._union_cols]  # (P, U)
            with_powers = np.minimum(m[:, :, None, :], pu[None, None, :, :]).max(axis=3, initial=0.0)
            with_states = np.minimum(m[:, :, None, :], m[:, None, :, :]).max(axis=3, initial=0.0)
            return np.concatenate([with_powers, with_states], axis=2)

        return self._by_membership("shared_union", compute)

    def ties(self) -> tuple:
        """(alliance, union, forum), each (B, N, P): each state's membership of the institutions of that kind,
        weighted by convenor; the alliance tie adds the presence of the power's forces."""
        def compute():
            w = self.world
            out = [matmul(self.membership, w.convenors * np.array([k == kind for k in w.institution_kind], float)[:, None])
                   for kind in ("alliance", "union", "forum")]
            out[0] = out[0] + w.military[None]
            return tuple(out)

        return self._by_membership("ties", compute)

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One month for every run, in the order of :data:`STEP_ORDER`."""
        with np.errstate(all="ignore"):  # a run that goes non-finite is reported as failed (see `failures`), not warned about
            self.apply_events()
            self.allocate_engagement()
            self.trade()
            self.route_freight()
            self.hold_diplomacy()
            self.update_alignment()
            self.record()
        self.month += 1
        if self.month > self.end:
            self.running = False

    def run(self) -> "Engine":
        """Step to the end of the horizon; returns self."""
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ 1. events
    def apply_events(self) -> None:
        """The calendar's own changes, then each run's scenario events due this month."""
        self._recent[:, self.month % 12] = 0.0  # this month's intraregional count starts afresh
        if self.month % 12 == 0 and self.month != self.start:
            self.review_memberships()
        ended = self.shock_until == self.month
        self.in_person_factor[ended], self.trade_factor[ended] = 1.0, 1.0
        self.threat *= (1.0 - self.threat_decay_per_year) ** (1.0 / 12.0)
        self.institutions *= (1.0 - self.p.institutions_decay_per_year) ** (1.0 / 12.0)
        for timeline in self._timelines:
            events, runs, n = timeline
            while n < len(events) and events[n].date <= self.month:
                events[n].apply(self, runs)
                n += 1
            timeline[2] = n
        self._note_sanctions()

    def _note_sanctions(self) -> None:
        """How heavily each power is sanctioned, and who sanctions: (B, P) each, read by trade and alignment."""
        self.sanctioned = max_axis(self.sanction, 2)  # [run, target]
        self.sanctioners = max_axis(self.sanction, 1) > 0  # [run, by]

    def review_memberships(self) -> None:
        """Each state takes up the memberships the record dates to this calendar year (run each January)."""
        for (i, k), status in self._membership_changes.get(self.year, {}).items():
            self.membership[:, i, k] = status

    def add_pledge(self, runs, power: str, amount_usd_bn: float, years: float, states, corridor: str,
                   construction_years: float = 0.0, schedule=None) -> None:
        """A power pledges money to some states (all the corridor crosses, or all) over some years; a corridor's
        money becomes capacity as it is spent, or (greenfield, ``construction_years`` > 0) when construction ends."""
        if power not in self.power_index:
            return
        N = len(self.world.states)
        k = self.corridor_index[corridor] if corridor else -1
        if states:
            into = np.array([s in states for s in self.world.states], dtype=float)
        elif k >= 0 and self.world.crosses[k].any():
            into = self.world.crosses[k].astype(float)
        else:
            into = np.ones(N)
        # split over its states as the power splits its budget (size, openness, room): not piled into the smallest
        split = self._shares(self._gdp())[runs, self.power_index[power]] * into  # (R, N)
        shares = split / split.sum(axis=1, keepdims=True)
        if schedule:  # tranches, one a year: (first month, last month, USD bn per year)
            tranches = [(self.month + 12 * y, self.month + 12 * y + 11, float(a)) for y, a in enumerate(schedule) if a > 0]
            amount_usd_bn = float(sum(schedule))
        else:
            tranches = [(self.month, self.month + max(1, round(years * 12)) - 1, amount_usd_bn / years)]
        if k >= 0 and construction_years > 0:
            opens = self.month + max(1, round(construction_years * 12))
            self.openings.append((runs, opens, k, amount_usd_bn * float(self.world.teu_per_usd_bn[k])))
            k = -1  # the money is spent in the states meanwhile, but adds no capacity month by month
        for first, last, per_year in tranches:
            self.pledges.append((runs, self.power_index[power], first, last, per_year, shares, k))

    def add_capacity(self, runs, k: int, teu: float) -> None:
        """Capacity added by the corridor's operators (usable after the construction lag) or lost at once."""
        if teu > 0:  # ordered with this month's expansion orders
            self.capacity_orders[runs, k] += teu
        else:
            self.capacity[runs, k] = np.maximum(self.capacity[runs, k] + teu, 0.0)

    def hold_summit(self, ev, runs) -> None:
        """A scheduled summit: a ledger row, attention for its convenor, standing for C5 formats."""
        participants = list(ev.participants) + list(ev.guests)
        if ev.convenor and ev.convenor not in participants:
            participants.insert(0, ev.convenor)
        states_in = np.array([self.state_index[s] for s in ev.participants if s in self.state_index], dtype=int)
        intraregional = not ev.convenor and all(x in self.state_index for x in ev.participants)
        if self.ledger is not None:
            self.ledger.log_summit(self.month, runs, ev.level, ev.format, participants, intraregional)
        if ev.convenor in self.power_index:
            attention = dipl_m.summit_attention(ev.level, ev.mode) if ev.attention is None else ev.attention
            self.attention_stock[runs[:, None], self.power_index[ev.convenor], states_in[None, :]] += attention
        if intraregional:
            self._recent[runs, self.month % 12] += 1.0
        self.institutions[runs] = np.clip(self.institutions[runs] + ev.institutions_change, 0.0, 1.0)

    # ------------------------------------------------------------------ 2. engagement
    def disburse(self) -> None:
        """Each power's free budget for the month and the flows its live pledges earmark."""
        # a power that has lost ground (the C5's mean weight on it below the start's) spends more: powers answer
        lost = np.maximum(1.0 - self.weights.mean(axis=1) / self._mean_weight0, 0.0)
        self._answer = 1.0 + self.p.budget_response[:, None] * lost  # (B, P)
        self.budget[:] = self.world.investment_usd_bn * self._answer
        self.earmarked[:] = 0.0
        self.corridor_funding[:] = 0.0
        live = []
        for pledge in self.pledges:
            runs, j, first, last, per_year, shares, k = pledge
            if self.month > last:
                continue
            live.append(pledge)
            if self.month >= first:
                self.earmarked[runs, j] += per_year * shares
                if k >= 0:
                    self.corridor_funding[runs, k] += per_year / 12.0
        self.pledges = live
        if self.corridor_funding.any():  # money spent on a route also makes it faster, down to its floor
            w = self.world
            self.corridor_days = corr_m.faster_routes(self.corridor_days, self.corridor_funding, w.days_saved_per_usd_bn,
                                                      w.min_days)

    def allocate_engagement(self) -> None:
        """Powers disburse budgets and pledges and spread investment and attention over the C5."""
        B, N, P = self.weights.shape
        p = self.p
        self.disburse()
        gdp = self._gdp()
        shares = self._shares(gdp)  # the same split for money and for attention
        self.invest_flow = shares * self.budget[:, :, None] + self.earmarked
        rates = (shares * self._attention_budget[:, :, None]).reshape(B, P * N) / 12.0  # expected contacts this month
        counts = poisson_counts(rates, self.streams[EXTERNAL_COUNTS].take(P * N))
        self.investment_stock = eng_m.accumulate_stock(self.investment_stock, self.invest_flow, p.investment_depreciation_per_year)
        self.attention_stock = eng_m.accumulate_stock(self.attention_stock, counts.reshape(B, P, N) * 12.0,
                                                      p.attention_depreciation_per_year)
        n = sum_axis(counts, 1)
        if self.ledger is not None and n.any():
            kp = dipl_m.kind_probabilities(np.zeros(B), self.in_person_factor, self._ext_kind_logits, np.zeros((B, 4)))
            kinds, levels = self.streams[EXTERNAL_FORMS].take_ragged(n), self.streams[EXTERNAL_FORMS].take_ragged(n)
            d = dipl_m.draw_interactions(rates, kp, self._ext_levels, kinds, levels, counts)
            power, state = np.divmod(d["pair"], N)
            self.ledger.log_contacts(self.month, d["batch"], d["kind"], d["level"], power, state + P, False)

    # ------------------------------------------------------------------ 3. trade
    def trade(self) -> None:
        """Gravity flows with this month's costs, sanction diversion, remittances."""
        w, p = self.world, self.p
        P = len(w.powers)
        gdp = self._gdp()
        # the gravity core moves only with GDP: yearly, or when an event shifts an economy's level
        if self._core_key is None or self._core_key[0] != self.year or not np.array_equal(self._core_key[1], self.gdp_factor):
            self._core = trade_m.gravity_core(gdp[:, P:], gdp, w.distance_km[None], p.gdp_elasticity, p.distance_elasticity)
            self._core_key = (self.year, self.gdp_factor.copy())
        sanctioned = self.sanctioned
        cost = self.trade_cost_extra.copy()
        cost[:, :, :P] += p.secondary_sanction_cost[:, None, None] * sanctioned[:, None, :]
        cost[:, :, :P] -= p.alignment_trade_effect[:, None, None] * (self.weights - self.weights0)
        cost -= p.membership_cost_effect[:, None, None] * (self._shared_union() - self._shared_union0)
        cost[:, :, :P][:, :, self._european] += (p.corridor_trade_share * (self._overland_gc / self._overland_gc0 - 1.0))[:, None, None]
        flows = trade_m.gravity_flows(self._core, self.affinity, cost, p.cost_elasticity)
        flows[:, :, P:][:, self._state_mask] = 0.0
        if p.multilateral_resistance.any():
            free = np.exp(self.affinity + self._core)
            free[:, :, P:][:, self._state_mask] = 0.0
            flows = trade_m.with_multilateral_resistance(flows, free, p.multilateral_resistance)
        # exposure to the sanctioning powers is read from ordinary trade: re-exports are not a push away from the sanctioned power
        self._exposure = sum_axis(np.where(self.sanctioners[:, None, :], flows[:, :, :P], 0.0), 2) / sum_axis(flows, 2)
        # diversion of trade the sanctions cut between powers, through the C5 (zero for a run without sanctions)
        if sanctioned.any():
            s = np.maximum(self.sanction, np.swapaxes(self.sanction, 1, 2))
            g0 = self._gdp_at(w.direct_trade_year)[:, :P]
            growth = power((gdp[:, :P, None] * gdp[:, None, :P]) / (g0[:, :, None] * g0[:, None, :]), p.gdp_elasticity[:, None, None])
            access = flows[:, :, :P] / sum_axis(flows, 2, keepdims=True)
            # goods reach a sanctioned power without customs checks from inside its customs union (EAEU)
            union = np.maximum(self._shared_union()[:, :, :P], p.reexport_access_outside_union[:, None, None])
            access = np.where(sanctioned[:, None, :] > 0, union, access)
            _, extra = trade_m.divert_trade(w.direct_trade_usd_bn[None] * growth, s, access, p.sanction_cost_elasticity, p.diversion_share)
            flows[:, :, :P] += extra
        self.flows = flows * self.trade_factor[:, None, None]
        rs = w.remittance_source
        ratio = gdp[:, rs] / self._remit_gdp0 if rs >= 0 else np.zeros(self.B)
        self.remit = trade_m.remittances(w.remittances_usd_bn[None], ratio, p.remittance_gdp_elasticity, self.remittance_cut)

    # ------------------------------------------------------------------ 4. freight
    def route_freight(self) -> None:
        """Complete capacity due this month, split freight over corridors, order new capacity."""
        arrived, self.pipeline = corr_m.advance_pipeline(self.pipeline, np.zeros_like(self.capacity))
        self.capacity = self.capacity + arrived
        if self.openings:  # greenfield infrastructure completed this month
            for runs, month, k, teu in self.openings:
                if month == self.month:
                    self.capacity[runs, k] += teu
            self.openings = [o for o in self.openings if o[1] > self.month]
        self._route(update_capacity=True)

    def _route(self, update_capacity: bool, prime: bool = False) -> None:
        """Route this month's freight; with ``update_capacity`` order capacity for the demand turned away. ``prime``
        (the opening month) fills the pipeline with the orders the months before the start would have placed, so a
        corridor that starts full keeps growing instead of pausing for the construction lag."""
        w, p = self.world, self.p
        years = (self.month / 12.0) - w.demand_base_year
        demand = (w.demand_teu * (1.0 + w.demand_growth) ** years)[None, :] * self.market_factor
        gc = corr_m.generalised_cost(self.corridor_price, self.corridor_days, self.corridor_risk, w.penalty[None],
                                     p.value_of_time_usd_per_feu_day, p.cargo_value_usd_per_feu)
        serves = w.serves[None] & self.corridor_open[:, None, :]
        # full corridors are rationed by shadow prices (warm-started from last month), then the split is made exact
        self.surcharge, wanted, probs = corr_m.capacity_prices(demand, gc, serves, self.capacity, w.nest_of, w.nest_lambda,
                                                               p.logit_scale_usd, start_usd=self.surcharge, with_probabilities=True)
        self.volume_m, _, _ = corr_m.assign_routes(demand, gc + self.surcharge, serves, self.capacity, w.nest_of,
                                                   w.nest_lambda, p.logit_scale_usd, probabilities=probs)
        usable = self._rail_ew[None, :] & self.corridor_open & (self.capacity > 0)
        self._overland_gc = np.where(usable.any(axis=1), np.where(usable, gc, np.inf).min(axis=1), gc.max(axis=1))
        if update_capacity or prime:  # ordered now, usable construction_lag_months later (capacity arrives before routing)
            orders = corr_m.expansion_orders(wanted, self.capacity, p.expansion_response_share, self._growth_share)
        if prime:
            in_flight = np.arange(self.pipeline.shape[1])[None, :] <= self._order_slot[:, None]  # (B, L) each run's lag
            self.pipeline += in_flight[:, :, None] * orders[:, None, :]
        if update_capacity:
            self.pipeline[self.runs, self._order_slot] += orders + self.corridor_funding * w.teu_per_usd_bn + self.capacity_orders
            self.capacity_orders[:] = 0.0

    # ------------------------------------------------------------------ 5. diplomacy
    def hold_diplomacy(self) -> None:
        """Draw this month's intraregional interactions and write them to the ledger."""
        p, P = self.p, len(self.world.powers)
        rates = dipl_m.pair_rates(self.activity, self.cohesion, self.threat, p.base_rate_per_pair_month, p.cohesion_gain, p.threat_gain)
        counts = poisson_counts(rates, self.streams[REGIONAL_COUNTS].take(rates.shape[1]))
        n = sum_axis(counts, 1)
        self._recent[:, self.month % 12] += n
        if self.ledger is not None and n.any():
            kp = dipl_m.kind_probabilities(self.cohesion, self.in_person_factor, p.kind_base_logits, p.kind_cohesion_slopes)
            kinds, levels = self.streams[REGIONAL_FORMS].take_ragged(n), self.streams[REGIONAL_FORMS].take_ragged(n)
            d = dipl_m.draw_interactions(rates, kp, p.level_probabilities, kinds, levels, counts)
            self.ledger.log_contacts(self.month, d["batch"], d["kind"], d["level"], self._pairs_i[d["pair"]] + P,
                                     self._pairs_j[d["pair"]] + P, True)

    # ------------------------------------------------------------------ 6. alignment
    def channels(self) -> np.ndarray:
        """(B, 6, N, P) each power's pull on each state, channel by channel (:data:`alignment.mechanisms.alignment.CHANNELS`)."""
        w = self.world
        B, N, P = self.weights.shape
        gdp_s = self._gdp()[:, P:]
        trade_p = self.flows[:, :, :P]
        ch = np.empty((B, 6, N, P))
        ch[:, 0] = trade_p / sum_axis(self.flows, 2, keepdims=True)  # share of all the state's trade (neighbours included)
        stock = np.swapaxes(self.investment_stock, 1, 2)  # (B, N, P): each power's share of the state's investment stock
        ch[:, 1] = stock / np.maximum(sum_axis(stock, 2, keepdims=True), 1e-12)
        ch[:, 2] = self._security()
        att = np.swapaxes(self.attention_stock, 1, 2)
        ch[:, 3] = att / np.maximum(sum_axis(att, 2, keepdims=True), 1e-12)
        transit = sum_axis(self.volume_m, 1)[:, :, None] * w.crosses[None]  # (B, K, N)
        tot = sum_axis(transit, 1)[:, :, None]
        ch[:, 4] = np.divide(matmul(np.swapaxes(transit, 1, 2), w.sponsors), tot, out=np.zeros((B, N, P)), where=tot > 0)
        ch[:, 5] = 0.0
        if w.remittance_source >= 0:
            ch[:, 5, :, w.remittance_source] = self.remit / gdp_s
        return ch

    def _security(self) -> np.ndarray:
        """(B, N, P) security and institutional ties: alliance and basing, plus union and forum ties at their weights
        (no cap: a second base or treaty adds to the first)."""
        p = self.p
        alliance, union, forum = self.ties()
        return np.maximum(alliance + p.tie_union_weight[:, None, None] * union + p.tie_forum_weight[:, None, None] * forum
                          + self.ties_extra, 0.0)

    def coercion_now(self) -> np.ndarray:
        """(B, P) each power's coercion this month: its stance, stepped up where it has lost ground."""
        return np.minimum(self.coercion * self._answer, 1.0)

    def _target(self) -> np.ndarray:
        """(B, N, P) each state's target portfolio: the shared channels, then each state's own rule (its answer to
        coercion, its regime-security concern, its habit, its hedging)."""
        p, w = self.p, self.world
        channels = self.channels()
        seeking = align_m.security_seeking(self.threat, w.regime_security, channels[:, 2], p.regime_security_weight)
        scores = align_m.attraction_scores(channels, self._coef, self.coercion_now(), self.sanctioned, self._exposure,
                                           p.coercion_weight, p.sanction_weight, self._rivalry, p.rivalry_weight,
                                           self.weights, p.dependence_aversion, self._coercion_response, seeking)
        scores += p.hysteresis[:, None, None] * self.habit
        self.hedging = align_m.hedging_share(p.hedging_base, self.hedging_extra, self.cohesion,
                                             p.cohesion_autonomy, w.neutral, p.neutrality_hedge)
        return align_m.target_weights(scores, p.temperature, self.hedging)

    def _cohesion(self) -> np.ndarray:
        intensity = sum_axis(self._recent, 1) / self.p.interaction_reference_per_year
        return align_m.regional_cohesion(self.weights, intensity, self.institutions, self.p.cohesion_similarity_weight,
                                         self.p.cohesion_intensity_weight)

    def update_alignment(self) -> None:
        """Move every state's weights toward its target; update regional cohesion."""
        noise = self.streams[NOISE].take(self.weights[0].size).reshape(self.weights.shape)
        rate = align_m.adjustment_rates(self._rate, self.threat, self.p.threat_urgency)
        self.weights[:] = align_m.update_weights(self.weights, self._target(), rate, noise, self.p.noise_scale)
        self.habit = align_m.update_habit(self.habit, self.weights, self.p.habit_memory_years)
        self.cohesion = self._cohesion()

    # ------------------------------------------------------------------ 7. record
    def power_positions(self) -> np.ndarray:
        """(B, P) the powers' UN positions this year: the record's (the last recorded year's after it). The war enters
        the UN record through the agenda (``agenda_share``), not by moving a power's position."""
        return np.broadcast_to(self.world.observations.positions_at(self.year), (self.B, len(self.world.powers)))

    def unga(self) -> np.ndarray:
        """(B, N, P) predicted UN agreement: from positions, and on the share of the agenda a dated item took (the war
        in Ukraine), as the actors voted on it."""
        by_position = obs_m.unga_agreement(self.positions(), self.power_positions(), *self._unga_link)
        if not self.agenda_share.any():
            return by_position
        u = self.agenda_share[:, None, None]
        return (1.0 - u) * by_position + u * np.where(np.isfinite(self._spring_agreement), self._spring_agreement, by_position)

    def positions(self) -> np.ndarray:
        """(B, N) each state's UN position, from its weights (:func:`alignment.mechanisms.observation.state_positions`)."""
        p = self.p
        return obs_m.state_positions(self.weights, self.power_positions(), p.unga_region_position, p.unga_position_scale,
                                     self.hedging, p.unga_nonaligned_position)

    def record(self) -> None:
        """Copy this month's indicators into the preallocated arrays."""
        t, r = self.month - self.start, self.rec
        vol = sum_axis(self.volume_m, 1)
        demand = sum_axis(self.volume_m, 2, keepdims=True)
        values = {
            "weights": lambda: self.weights, "multialignment": lambda: align_m.multialignment_index(self.weights),
            "trade": lambda: self.flows, "remittances": lambda: self.remit,
            "investment": lambda: np.swapaxes(self.invest_flow, 1, 2), "volume": lambda: vol, "capacity": lambda: self.capacity,
            "share": lambda: np.divide(self.volume_m, demand, out=np.zeros_like(self.volume_m), where=demand > 0),
            "cohesion": lambda: self.cohesion,
            "transit_revenue": lambda: matmul(vol * self.world.fee_usd_per_feu / 2.0, self.world.crosses) / 1e9,
            "unga": lambda: self.unga(),
            "position": lambda: self.positions(), "hedging": lambda: self.hedging,
            "arms": lambda: obs_m.arms_import_shares(self.weights, self.ties()[0], self._arms_supplier, self.p.arms_weight_elasticity,
                                                     self.p.arms_alliance_gain),
        }
        y = self.year - self.first_year
        for key, arr in r.items():
            if self.yearly:
                arr[y] += values[key]()
            else:
                arr[t] = values[key]()
        if self.month % 12 == 11 or self.month == self.end:  # status at the end of each year
            self.membership_by_year[:, y] = self.membership
            self.sanction_by_year[:, y] = self.sanction
            if self.yearly:  # the year's sums become its means over the months recorded in it
                months = self.month - max(self.start, self.year * 12) + 1
                for arr in r.values():
                    arr[y] /= months

    # ------------------------------------------------------------------ results
    def failures(self) -> list[str]:
        """Per run: '' if every recorded value is finite, else the first indicator and month (or year) that is not."""
        from alignment.world.calendar import format_month

        out = [""] * self.B
        for key, arr in self.rec.items():
            bad = np.isnan(arr) if key == "capacity" else ~np.isfinite(arr)  # an unbounded corridor has infinite capacity
            bad = bad.reshape(arr.shape[0], self.B, -1).any(axis=2)  # (period, run)
            for b in np.flatnonzero(bad.any(axis=0)):
                first = int(np.argmax(bad[:, b]))
                when = str(self.first_year + first) if self.yearly else format_month(self.start + first)
                out[b] = out[b] or f"non-finite {key} from {when}"
        return out

    def view(self, b: int) -> "RunView":
        """Run ``b`` of the batch, read like a finished model."""
        return RunView(self, b)


class RunView:
    """One run of a batch with what targets, outputs and figures read of a finished model.

    ``rec`` holds the run's indicator arrays (month, ...), ``ledger`` its interaction rows,
    ``membership_history`` and ``sanction_history`` its year-end status by calendar year.
    """

    def __init__(self, engine: Engine, b: int):
        self.engine, self.b = engine, b
        self.world, self.p, self.seed = engine.world, engine.p.runs[b], engine.seeds[b]
        self.start, self.end, self.n_months = engine.start, engine.end, engine.n_months
        self.state_index, self.power_index = engine.state_index, engine.power_index
        self.partner_index, self.institution_index = engine.partner_index, engine.institution_index
        self.corridor_index = engine.corridor_index
        self.rec = {k: v[:, b] for k, v in engine.rec.items()}
        self._ledger = None

    @property
    def ledger(self) -> list[tuple]:
        if self._ledger is None:
            self._ledger = self.engine.ledger.rows(self.b)
        return self._ledger

    def _by_year(self, arr) -> dict:
        last = self.end // 12 if not self.engine.running else self.engine.month // 12 - 1  # years whose end was recorded
        return {self.engine.first_year + y: arr[self.b, y] for y in range(last - self.engine.first_year + 1)}

    @property
    def membership_history(self) -> dict:
        return self._by_year(self.engine.membership_by_year)

    @property
    def sanction_history(self) -> dict:
        return self._by_year(self.engine.sanction_by_year)


@dataclass(frozen=True)
class Prepared:
    """One run ready to go: what :func:`alignment.runs.prepare` makes of a checked config."""

    world: World
    params: object  # ModelParams
    events: list
    start: int
    end: int
    seed: int


def simulate(world: World, params: list, events: list, start: int, end: int, seeds: list, record=None, ledger=True,
             yearly=False) -> Engine:
    """Build and run B runs to the end of the horizon (one parameter set, event list and seed per run)."""
    return Engine(world, params, events, start, end, seeds, record=record, ledger=ledger, yearly=yearly).run()
