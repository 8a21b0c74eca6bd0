"""AlignmentModel: the C5 and the external powers, stepped one month at a time.

``step()`` is the schedule of docs/ODD.md, in this order:
events -> engagement -> trade -> freight -> diplomacy -> alignment -> record.
Each phase gathers arrays, calls one mechanism module and scatters the result
back; indicators go into preallocated arrays and become a frame once, at the end.
"""

from __future__ import annotations

import logging

import mesa
import numpy as np

from alignment.agents import CentralAsianState, ExternalPower
from alignment.mechanisms import alignment as align_m
from alignment.mechanisms import corridors as corr_m
from alignment.mechanisms import diplomacy as dipl_m
from alignment.mechanisms import engagement as eng_m
from alignment.mechanisms import trade as trade_m
from alignment.rng import make_generator
from alignment.schema import ModelParams
from alignment.world import REMITTANCE_YEAR, World

logging.getLogger("MESA").setLevel(logging.WARNING)

EUROPEAN = ("EU", "GBR", "TUR")  # partners reached over the east-west corridors
STEP_ORDER = ("apply_events", "allocate_engagement", "trade", "route_freight", "hold_diplomacy", "update_alignment", "record")


class AlignmentModel(mesa.Model):
    """The alignment model. Build it with :func:`alignment.run.build_model` from a config."""

    def __init__(self, world: World, params: ModelParams, events: list, start: int, end: int, seed: int = 0):
        super().__init__(rng=make_generator(seed))
        self.world, self.p = world, params
        self.start, self.end = start, end
        self.n_months = end - start + 1
        self.month = start
        self.events = list(events)
        self._next_event = 0
        N, P, Q, K, M = len(world.states), len(world.powers), len(world.partners), len(world.corridors), len(world.markets)
        self.state_index = {s: i for i, s in enumerate(world.states)}
        self.power_index = {p: i for i, p in enumerate(world.powers)}
        self.partner_index = {p: i for i, p in enumerate(world.partners)}
        self.corridor_index = {c: i for i, c in enumerate(world.corridors)}
        self.market_index = {m: i for i, m in enumerate(world.markets)}
        self.institution_index = {k: i for i, k in enumerate(world.institutions)}

        # state of the world that events change
        self.openness = world.openness.copy()
        self.activity = world.activity.copy()
        self.hedging_extra = np.where(world.neutral, params.neutrality_hedging, 0.0)
        self.trade_cost_extra = np.zeros((N, Q))
        self.sanction = np.zeros((P, P))  # [target, by]
        self.coercion = world.coercion.copy()
        self.ties_extra = np.zeros((N, P))
        self.membership = world.membership_at(self.year)
        self.corridor_price, self.corridor_days = world.price.copy(), world.days.copy()
        self.corridor_risk, self.corridor_open = world.risk.copy(), world.open.copy()
        self.capacity = world.capacity_teu.copy()
        self.surcharge = np.zeros((1, K))  # capacity shadow prices, USD per FEU
        self.market_factor = np.ones(M)
        self.threat, self.threat_decay_per_year = 0.0, 0.5
        self.shock_until, self.in_person_factor, self.trade_factor = -1, 1.0, 1.0
        self.remittance_cut = 0.0
        self.institutions = params.institutions_initial

        # engagement
        self.budget = world.investment_usd_bn.copy()
        self.earmarked = np.zeros((P, N))
        self.corridor_funding = np.zeros(K)  # USD bn disbursed to each corridor this month
        self.pipeline = np.zeros((1, params.construction_lag_months, K))  # slot 0 completes next

        # constants for the mechanisms and caches
        self._gdp_cache: dict[int, np.ndarray] = {}
        self._core, self._core_year = None, None
        self._union_key, self._union_value = None, None
        self._depreciation = np.array([params.investment_depreciation_per_year, params.attention_depreciation_per_year])[:, None, None]
        with np.errstate(divide="ignore"):
            self._ext_kind_logits = np.log(np.asarray(params.external_kind_probabilities, dtype=float))
        self._ext_kind_probs = (None, None)  # (in_person_factor, probabilities) cache
        self._ext_levels = np.tile(np.asarray(params.external_level_probabilities, dtype=float), (4, 1))
        self._remit_gdp0 = world.gdp_at(REMITTANCE_YEAR)[world.remittance_source] if world.remittance_source >= 0 else 1.0
        self._pairs_i, self._pairs_j = dipl_m.pair_index(N)
        self._kind_logits = np.asarray(params.kind_base_logits, dtype=float)
        self._kind_slopes = np.asarray(params.kind_cohesion_slopes, dtype=float)
        self._levels = np.asarray(params.level_probabilities, dtype=float)
        self._coef = np.array([params.channel_trade, params.channel_investment, params.channel_security,
                               params.channel_attention, params.channel_corridor, params.channel_remittances])
        self._union_cols = np.flatnonzero(world.economic_union)
        self._power_union = (world.convenors.T > 0).astype(float)  # (P, I): a convenor belongs to its union
        self._european = np.array([p in EUROPEAN for p in world.powers])
        self._rail_ew = (world.nest_of[:, world.nests.index("rail")] > 0) & world.serves[world.markets.index("EAST_WEST")] \
            if "rail" in world.nests and "EAST_WEST" in world.markets else np.zeros(K, bool)
        self._state_mask = np.eye(N, dtype=bool)  # reporter == partner

        # agents
        for i, s in enumerate(world.states):
            changes = {k: {y: v for y, v in world.membership_changes[inst].get(s, [])} for k, inst in enumerate(world.institutions)}
            CentralAsianState(self, s, i, changes)
        for j, p in enumerate(world.powers):
            ExternalPower(self, p, j)
        self.states = self.agents_by_type[CentralAsianState]
        self.powers = self.agents_by_type[ExternalPower]

        # recorders, filled row by row
        T = self.n_months
        self.rec = {
            "weights": np.zeros((T, N, P)), "trade": np.zeros((T, N, Q)), "remittances": np.zeros((T, N)),
            "investment": np.zeros((T, N, P)), "volume": np.zeros((T, K)), "share": np.zeros((T, M, K)),
            "capacity": np.zeros((T, K)), "cohesion": np.zeros(T), "transit_revenue": np.zeros((T, N)),
        }
        # the interaction ledger: summits as rows, drawn contacts as arrays, in order; rows are built once at the end
        self.membership_history: dict[int, np.ndarray] = {}
        self._ledger_parts: list = []
        self._ledger_rows: list[tuple] | None = None
        self._recent = np.zeros(12)  # intraregional interactions in the last 12 months

        # initial state: steady-state stocks and a warm start of the flows, then weights at their target
        gdp = self._gdp()
        even = np.full((N, P), 1.0 / P)
        self.invest_flow = self._allocate(self.budget, even, gdp)
        self.investment_stock = self._steady_stock(self.invest_flow, params.investment_depreciation_per_year)
        self.attention_stock = self._steady_stock(self._allocate(world.attention_per_year, even, gdp), params.attention_depreciation_per_year)
        self.weights = even.copy()
        self.weights0 = self.weights.copy()
        # pair effects fitted to the base-year record at base-year GDP, whatever month the run starts in
        gdp0 = world.gdp_at(world.base_year)
        log_core0 = trade_m.gravity_core(self._gdp_states(gdp0)[None], gdp0[None], world.distance_km[None],
                                         params.gdp_elasticity, params.distance_elasticity)
        self.affinity = trade_m.calibrate_affinity(world.trade_base[None], log_core0)
        self._shared_union0 = self._shared_union()
        self._route(update_capacity=False)
        self._overland_gc0 = self._overland_gc
        self.trade()
        self._recent[:] = params.interaction_reference_per_year / 12.0
        self.weights = self._target()
        self.weights0 = self.weights.copy()
        self.cohesion = self._cohesion()
        self.running = True

    # ------------------------------------------------------------------ helpers
    @property
    def year(self) -> int:
        return self.month // 12

    def _gdp(self) -> np.ndarray:
        """(Q,) GDP of every partner this calendar year, USD bn (cached per year)."""
        year = self.year
        if year not in self._gdp_cache:
            self._gdp_cache[year] = self.world.gdp_at(year)
        return self._gdp_cache[year]

    def _gdp_states(self, gdp):
        return gdp[len(self.world.powers):]

    def _allocate(self, budget, weights, gdp):
        out = eng_m.allocate_engagement(budget[None], weights[None], self.openness[None], self._gdp_states(gdp)[None],
                                        self.p.engagement_size_elasticity, self.p.engagement_focus)
        return out[0]  # (P, N)

    @staticmethod
    def _steady_stock(flow_per_year, depreciation_per_year):
        """Fixed point of the monthly update stock' = stock * keep + flow / 12."""
        keep = (1.0 - depreciation_per_year) ** (1.0 / 12.0)
        return flow_per_year / 12.0 / (1.0 - keep)

    def _shared_union(self) -> np.ndarray:
        """(N, Q) 1 where reporter and partner share an economic union (cached until membership changes)."""
        key = self.membership.tobytes()
        if key == self._union_key:
            return self._union_value
        m = self.membership[:, self._union_cols]  # (N, U)
        pu = self._power_union[:, self._union_cols]  # (P, U)
        with_powers = np.minimum(m[:, None, :], pu[None, :, :]).max(axis=2, initial=0.0)
        with_states = np.minimum(m[:, None, :], m[None, :, :]).max(axis=2, initial=0.0)
        self._union_key, self._union_value = key, np.concatenate([with_powers, with_states], axis=1)
        return self._union_value

    # ------------------------------------------------------------------ schedule
    def step(self):
        """One month, in the order of :data:`STEP_ORDER`."""
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

    def run(self):
        """Step to the end of the horizon; returns self."""
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ 1. events
    def apply_events(self):
        """Apply the scenario events due this month and the calendar's own changes."""
        self._recent[self.month % 12] = 0.0  # this month's intraregional count starts afresh
        if self.month % 12 == 0 and self.month != self.start:
            self.states.do("review_memberships")
        if self.month == self.shock_until:
            self.in_person_factor, self.trade_factor = 1.0, 1.0
        self.threat *= (1.0 - self.threat_decay_per_year) ** (1.0 / 12.0)
        self.institutions *= (1.0 - self.p.institutions_decay_per_year) ** (1.0 / 12.0)
        events = self.events
        while self._next_event < len(events) and events[self._next_event].date <= self.month:
            events[self._next_event].apply(self)
            self._next_event += 1

    def add_pledge(self, power, amount_usd_bn, years, states, corridor):
        """Register a pledge with the power that makes it (called by Investment events)."""
        if power not in self.power_index:
            return
        N = len(self.world.states)
        k = self.corridor_index[corridor] if corridor else -1
        if states:
            shares = np.array([s in states for s in self.world.states], dtype=float)
        elif k >= 0 and self.world.crosses[k].any():
            shares = self.world.crosses[k].astype(float)
        else:
            shares = np.ones(N)
        shares /= shares.sum()
        self.powers.select(lambda a: a.code == power)[0].pledge(amount_usd_bn, years, shares, k)

    def hold_summit(self, ev):
        """Record a scheduled summit and let it raise attention and regional standing."""
        participants = list(ev.participants) + list(ev.guests)
        if ev.convenor and ev.convenor not in participants:
            participants.insert(0, ev.convenor)
        states_in = [self.state_index[s] for s in ev.participants if s in self.state_index]
        intraregional = not ev.convenor and all(p in self.state_index for p in ev.participants)
        self._log([(self.month, "summit", ev.level, ev.format, "|".join(participants), len(participants) > 2, intraregional)])
        if ev.convenor in self.power_index:
            self.attention_stock[self.power_index[ev.convenor], states_in] += ev.attention
        if intraregional:
            self._recent[self.month % 12] += 1.0
        self.institutions = float(np.clip(self.institutions + ev.institutions_change, 0.0, 1.0))

    def _log(self, part) -> None:
        """Append summit rows (a list) or a month's drawn bilateral contacts (a tuple of arrays) to the ledger."""
        self._ledger_parts.append(part)
        self._ledger_rows = None

    @property
    def ledger(self) -> list[tuple]:
        """The interaction ledger as rows (month, kind, level, format, participants, multilateral, intraregional)."""
        if self._ledger_rows is None:
            codes, kinds, levels = self.world.partners, dipl_m.KINDS, dipl_m.LEVELS
            rows = []
            for part in self._ledger_parts:
                if isinstance(part, list):
                    rows.extend(part)
                    continue
                month, kind, level, a, b, intra = part
                rows.extend((month, kinds[k], levels[v], "bilateral", f"{codes[x]}|{codes[y]}", False, intra)
                            for k, v, x, y in zip(kind.tolist(), level.tolist(), a.tolist(), b.tolist()))
            self._ledger_rows = rows
        return self._ledger_rows

    # ------------------------------------------------------------------ 2. engagement
    def allocate_engagement(self):
        """Powers disburse budgets and pledges and spread investment and attention over the C5."""
        self.corridor_funding[:] = 0.0
        self.powers.do("disburse")
        # investment and attention budgets share one batched call (batch axis = the two kinds of spending)
        budgets = np.stack([self.budget, self.world.attention_per_year])
        alloc = eng_m.allocate_engagement(budgets, np.broadcast_to(self.weights, (2,) + self.weights.shape),
                                          np.broadcast_to(self.openness, (2,) + self.openness.shape),
                                          np.broadcast_to(self._gdp_states(self._gdp()), (2, len(self.openness))),
                                          self.p.engagement_size_elasticity, self.p.engagement_focus)
        self.invest_flow = alloc[0] + self.earmarked
        rates = alloc[1].reshape(1, -1) / 12.0  # expected bilateral contacts this month, (1, P * N)
        counts = self.rng.poisson(rates)
        stocks = eng_m.accumulate_stock(np.stack([self.investment_stock, self.attention_stock]),
                                        np.stack([self.invest_flow, counts.reshape(alloc[1].shape) * 12.0]), self._depreciation)
        self.investment_stock, self.attention_stock = stocks[0], stocks[1]
        n = int(counts.sum())
        if n:
            if self._ext_kind_probs[0] != self.in_person_factor:  # changes only when a shock starts or ends
                kp = dipl_m.kind_probabilities(np.zeros(1), np.array([self.in_person_factor]), self._ext_kind_logits, np.zeros(4))
                self._ext_kind_probs = (self.in_person_factor, kp)
            kp = self._ext_kind_probs[1]
            d = dipl_m.draw_interactions(rates, kp, self._ext_levels, self.rng.random(n), self.rng.random(n), counts)
            p_idx, s_idx = np.divmod(d["pair"], len(self.world.states))
            self._log((self.month, d["kind"], d["level"], p_idx, s_idx + len(self.world.powers), False))

    # ------------------------------------------------------------------ 3. trade
    def trade(self):
        """Gravity flows with this month's costs, sanction diversion, remittances."""
        w, p = self.world, self.p
        P = len(w.powers)
        gdp = self._gdp()
        if self._core_year != self.year:  # the gravity core moves only with GDP, which is yearly
            self._core = trade_m.gravity_core(self._gdp_states(gdp)[None], gdp[None], w.distance_km[None], p.gdp_elasticity, p.distance_elasticity)
            self._core_year = self.year
        core = self._core
        sanctioned = self.sanction.max(axis=1)  # (P,)
        cost = self.trade_cost_extra.copy()
        cost[:, :P] += p.secondary_sanction_cost * sanctioned[None, :]
        cost[:, :P] -= p.alignment_trade_effect * (self.weights - self.weights0)
        cost -= p.membership_cost_effect * (self._shared_union() - self._shared_union0)
        cost[:, :P][:, self._european] += p.corridor_trade_share * (self._overland_gc / self._overland_gc0 - 1.0)
        flows = trade_m.gravity_flows(core, self.affinity, cost[None], p.cost_elasticity)[0]
        flows[:, P:][self._state_mask] = 0.0
        # diversion of trade the sanctions cut between powers, through the C5
        if sanctioned.any():
            s = np.maximum(self.sanction, self.sanction.T)
            g0 = w.gdp_at(w.direct_trade_year)[:P]
            growth = (np.outer(gdp[:P], gdp[:P]) / np.outer(g0, g0)) ** p.gdp_elasticity
            access = flows[:, :P] / flows.sum(axis=1, keepdims=True)
            _, extra = trade_m.divert_trade((w.direct_trade_usd_bn * growth)[None], s[None], access[None],
                                            p.sanction_cost_elasticity, p.diversion_share)
            flows[:, :P] += extra[0]
        self.flows = flows * self.trade_factor
        rus_ratio = np.array([gdp[w.remittance_source] / self._remit_gdp0]) if w.remittance_source >= 0 else np.zeros(1)
        self.remit = trade_m.remittances(w.remittances_usd_bn[None], rus_ratio, p.remittance_gdp_elasticity, np.array([self.remittance_cut]))[0]

    # ------------------------------------------------------------------ 4. freight
    def route_freight(self):
        """Complete capacity due this month, split freight over corridors, order new capacity."""
        arrived, self.pipeline = corr_m.advance_pipeline(self.pipeline, np.zeros((1, len(self.capacity))))
        self.capacity = self.capacity + arrived[0]
        self._route(update_capacity=True)

    def _route(self, update_capacity: bool):
        w, p = self.world, self.p
        years = (self.month / 12.0) - w.demand_base_year
        demand = w.demand_teu * (1.0 + w.demand_growth) ** years * self.market_factor
        gc = corr_m.generalised_cost(self.corridor_price[None], self.corridor_days[None], self.corridor_risk[None],
                                     w.penalty[None], p.value_of_time_usd_per_feu_day, p.cargo_value_usd_per_feu)
        serves = (w.serves & self.corridor_open[None, :])[None]
        # full corridors are rationed by shadow prices (warm-started from last month), then the split is made exact
        self.surcharge, wanted = corr_m.capacity_prices(demand[None], gc, serves, self.capacity[None], w.nest_of, w.nest_lambda,
                                                        p.logit_scale_usd, start_usd=self.surcharge)
        volume, _, _ = corr_m.assign_routes(demand[None], gc + self.surcharge, serves, self.capacity[None], w.nest_of,
                                            w.nest_lambda, p.logit_scale_usd)
        self.volume_m = volume[0]
        usable = self._rail_ew & self.corridor_open & (self.capacity > 0)
        self._overland_gc = gc[0][usable].min() if usable.any() else gc[0].max()
        if update_capacity:  # ordered now, usable construction_lag_months later (capacity arrives before routing)
            orders = corr_m.expansion_orders(wanted, self.capacity[None], p.expansion_response_share, p.max_capacity_growth_share)
            self.pipeline[:, -1] += orders[0] + self.corridor_funding * w.teu_per_usd_bn

    # ------------------------------------------------------------------ 5. diplomacy
    def hold_diplomacy(self):
        """Draw this month's intraregional interactions and write them to the ledger."""
        p = self.p
        in_person = self.in_person_factor
        rates = dipl_m.pair_rates(self.activity[None], np.array([self.cohesion]), np.array([self.threat]),
                                  p.base_rate_per_pair_month, p.cohesion_gain, p.threat_gain)
        counts = self.rng.poisson(rates)
        n = int(counts.sum())
        self._recent[self.month % 12] += n
        if not n:
            return
        kp = dipl_m.kind_probabilities(np.array([self.cohesion]), np.array([in_person]), self._kind_logits, self._kind_slopes)
        draws = dipl_m.draw_interactions(rates, kp, self._levels, self.rng.random(n), self.rng.random(n), counts)
        P = len(self.world.powers)
        self._log((self.month, draws["kind"], draws["level"], self._pairs_i[draws["pair"]] + P, self._pairs_j[draws["pair"]] + P, True))

    # ------------------------------------------------------------------ 6. alignment
    def _channels(self) -> np.ndarray:
        w, p = self.world, self.p
        N, P = self.weights.shape
        gdp_s = self._gdp_states(self._gdp())
        trade_p = self.flows[:, :P]
        ch = np.empty((6, N, P))
        ch[0] = trade_p / trade_p.sum(axis=1, keepdims=True)
        ch[1] = 1.0 - np.exp(-self.investment_stock.T / (p.investment_scale_gdp_share * gdp_s[:, None]))
        ch[2] = np.minimum(np.maximum(self.membership @ w.convenors / len(w.institutions) + w.military + self.ties_extra, 0.0), 1.5)
        att = self.attention_stock.T
        ch[3] = att / np.maximum(att.sum(axis=1, keepdims=True), 1e-12)
        transit = self.volume_m.sum(axis=0)[:, None] * w.crosses  # (K, N)
        tot = transit.sum(axis=0)
        ch[4] = np.divide(transit.T @ w.sponsors, tot[:, None], out=np.zeros((N, P)), where=tot[:, None] > 0)
        ch[5] = 0.0
        if w.remittance_source >= 0:
            ch[5][:, w.remittance_source] = self.remit / gdp_s
        return ch

    def _target(self) -> np.ndarray:
        p = self.p
        P = self.weights.shape[1]
        sanctioned = self.sanction.max(axis=1)
        sanctioners = self.sanction.max(axis=0) > 0
        exposure = self.flows[:, :P][:, sanctioners].sum(axis=1) / self.flows.sum(axis=1)
        scores = align_m.attraction_scores(self._channels()[None], self._coef, self.coercion[None], sanctioned[None],
                                           exposure[None], p.coercion_weight, p.sanction_weight)
        hedging = np.minimum(np.maximum(p.hedging_base + self.hedging_extra, 0.0), 1.0)
        return align_m.target_weights(scores, p.temperature, hedging[None])[0]

    def _cohesion(self) -> float:
        intensity = self._recent.sum() / self.p.interaction_reference_per_year
        return float(align_m.regional_cohesion(self.weights[None], np.array([intensity]), np.array([self.institutions]),
                                               self.p.cohesion_similarity_weight, self.p.cohesion_intensity_weight)[0])

    def update_alignment(self):
        """Move every state's weights toward its target; update regional cohesion."""
        noise = self.rng.standard_normal(self.weights.shape)
        self.weights[:] = align_m.update_weights(self.weights[None], self._target()[None], self.p.adjustment_rate,
                                                 noise[None], self.p.noise_scale)[0]
        self.cohesion = self._cohesion()

    # ------------------------------------------------------------------ 7. record
    def record(self):
        """Copy this month's indicators into the preallocated arrays."""
        t = self.month - self.start
        r = self.rec
        r["weights"][t] = self.weights
        r["trade"][t] = self.flows
        r["remittances"][t] = self.remit
        r["investment"][t] = self.invest_flow.T
        vol = self.volume_m.sum(axis=0)
        r["volume"][t] = vol
        dem = self.volume_m.sum(axis=1, keepdims=True)
        r["share"][t] = np.divide(self.volume_m, dem, out=np.zeros_like(self.volume_m), where=dem > 0)
        r["capacity"][t] = self.capacity
        r["cohesion"][t] = self.cohesion
        r["transit_revenue"][t] = (vol * self.world.fee_usd_per_feu / 2.0) @ self.world.crosses / 1e9
        if self.month % 12 == 11 or self.month == self.end:
            self.membership_history[self.year] = self.membership.copy()  # status at the end of each year

