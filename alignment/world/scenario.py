"""Scenarios: dated, declarative events plus parameter overrides.

An event is a small frozen dataclass with ``apply(engine, runs)``, which changes the
state of the runs ``runs`` (an index array) of an :class:`~alignment.engine.Engine`;
a scenario file is a list of them (configs/scenario/). ``load_events`` checks every field before a
run starts: an unknown kind, field or ISO3 code, a wrong type, or a date outside
the horizon is a :class:`ConfigError` naming the key, the value and what is
allowed.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field

import numpy as np

from alignment.checks import FRACTION, Range, bounded, check_fields
from alignment.world.calendar import format_month, parse_month
from alignment.errors import ConfigError
from alignment.mechanisms.diplomacy import LEVELS, MODES

_ISO3 = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Event:
    """Fields every event has."""

    date: int
    id: str = ""
    note: str = ""
    source: str = ""

    def apply(self, engine, runs) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class LeadershipChange(Event):
    """A new leader changes how open, active and hedged a state is."""

    state: str = ""
    openness_change: float = bounded(0.0, Range(-10, 10), "openness units (1 = as the data; never below 0.01)")
    activity_change: float = bounded(0.0, Range(-10, 10), "activity units (1 = as the data; never below 0)")
    hedging_change: float = bounded(0.0, Range(-1, 1), "fraction of the portfolio")

    def apply(self, engine, runs):
        i = engine.state_index[self.state]
        engine.openness[runs, i] = np.maximum(0.01, engine.openness[runs, i] + self.openness_change)
        engine.activity[runs, i] = np.maximum(0.0, engine.activity[runs, i] + self.activity_change)
        engine.hedging_extra[runs, i] += self.hedging_change


@dataclass(frozen=True)
class TradeOpening(Event):
    """A state lowers (or raises) trade costs with some partners (all if none are named), both ways for C5 partners."""

    state: str = ""
    partners: list = field(default_factory=list)
    cost_change: float = bounded(0.0, Range(-1, 5, why="a cut of more than the whole tariff-equivalent cost would make trade free"), "tariff-equivalent fraction")

    def apply(self, engine, runs):
        i = engine.state_index[self.state]
        partners = [p for p in self.partners if p in engine.partner_index] if self.partners else list(engine.partner_index)
        for p in partners:
            engine.trade_cost_extra[runs, i, engine.partner_index[p]] += self.cost_change
            if p in engine.state_index and p != self.state:  # a neighbour's reports see the same border
                engine.trade_cost_extra[runs, engine.state_index[p], engine.partner_index[self.state]] += self.cost_change


@dataclass(frozen=True)
class Membership(Event):
    """A state joins, leaves or observes an institution (status 1, 0 or 0.5)."""

    state: str = ""
    institution: str = ""
    status: float = bounded(1.0, FRACTION, "1 member, 0.5 observer, 0 none")

    def apply(self, engine, runs):
        engine.membership[runs, engine.state_index[self.state], engine.institution_index[self.institution]] = self.status


@dataclass(frozen=True)
class Sanctions(Event):
    """Powers sanction a target at an intensity in [0, 1] (0 lifts them)."""

    target: str = ""
    by: list = field(default_factory=list)
    intensity: float = bounded(1.0, FRACTION, "0-1")

    def apply(self, engine, runs):
        if self.target not in engine.power_index:
            return
        t = engine.power_index[self.target]
        for b in self.by:
            if b in engine.power_index:
                engine.sanction[runs, t, engine.power_index[b]] = self.intensity  # [run, target, by]: direction matters


@dataclass(frozen=True)
class Stance(Event):
    """A power's coercive pressure on the region changes (set, in [0, 1])."""

    power: str = ""
    coercion: float = bounded(0.0, FRACTION, "0-1")

    def apply(self, engine, runs):
        if self.power in engine.power_index:
            engine.coercion[runs, engine.power_index[self.power]] = self.coercion


@dataclass(frozen=True)
class CorridorChange(Event):
    """A corridor gets dearer, slower, riskier, opens or closes, or its operators add capacity
    (``capacity_change_teu`` > 0: ferries, wagons and terminal slots ordered now, usable after the
    model's construction lag; < 0: capacity lost at once, never below zero)."""

    corridor: str = ""
    price_change_usd_per_feu: float = bounded(0.0, Range(-100000, 100000), "USD per FEU (the price never falls below 0)")
    transit_days_change: float = bounded(0.0, Range(-365, 365), "days (never below 1 day)")
    risk_change: float = bounded(0.0, Range(-1, 1), "share of cargo value (kept in [0, 1])")
    open: typing.Optional[bool] = None
    capacity_change_teu: float = bounded(0.0, Range(-100000000, 100000000), "TEU per year (never below 0)")

    def apply(self, engine, runs):
        k = engine.corridor_index[self.corridor]
        if self.capacity_change_teu:
            engine.add_capacity(runs, k, self.capacity_change_teu)
        engine.corridor_price[runs, k] = np.maximum(0.0, engine.corridor_price[runs, k] + self.price_change_usd_per_feu)
        engine.corridor_days[runs, k] = np.maximum(1.0, engine.corridor_days[runs, k] + self.transit_days_change)
        engine.corridor_risk[runs, k] = np.clip(engine.corridor_risk[runs, k] + self.risk_change, 0.0, 1.0)
        if self.open is not None:
            engine.corridor_open[runs, k] = self.open


@dataclass(frozen=True)
class MarketChange(Event):
    """A freight market's demand jumps by a percentage (trade re-oriented)."""

    market: str = ""
    demand_change_pct: float = bounded(0.0, Range(-100, 1000, lo_open=True, why="a fall of 100 % or more leaves nothing"), "%")

    def apply(self, engine, runs):
        engine.market_factor[runs, engine.market_index[self.market]] *= 1.0 + self.demand_change_pct / 100.0


@dataclass(frozen=True)
class Investment(Event):
    """A power pledges money, disbursed evenly over some years to some states, or year by year as its
    ``schedule_usd_bn`` says (a back-loaded programme, one that stalls after its first tranche).

    If a corridor is named, the money becomes its capacity: month by month after the model's
    construction lag (rolling stock, ferries, terminals on a working route) when ``construction_years``
    is 0; all at once ``construction_years`` after the event for greenfield infrastructure, which
    carries nothing until it is built."""

    power: str = ""
    amount_usd_bn: float = bounded(0.0, Range(0, 10000, why="a tenth of world output"), "USD bn")
    years: float = bounded(1.0, Range(0, 100, lo_open=True), "years")
    states: list = field(default_factory=list)
    corridor: str = ""
    construction_years: float = bounded(0.0, Range(0, 50), "years")
    schedule_usd_bn: typing.List[float] = bounded([], Range(0, 10000), "USD bn per year")  # USD bn disbursed in year 1, 2, ... (instead of amount and years)

    def apply(self, engine, runs):
        engine.add_pledge(runs, self.power, self.amount_usd_bn, self.years, self.states, self.corridor,
                          self.construction_years, self.schedule_usd_bn)


@dataclass(frozen=True)
class Summit(Event):
    """A scheduled meeting: a ledger row, attention for its convenor, standing for C5 formats."""

    format: str = ""
    participants: list = field(default_factory=list)
    convenor: str = ""
    level: str = "president"
    mode: str = "in_person"
    guests: list = field(default_factory=list)
    attention: typing.Optional[float] = bounded(None, Range(0, 1000), "interactions (null: sized by level and mode, mechanisms.diplomacy.summit_attention)")
    institutions_change: float = bounded(0.0, Range(-1, 1), "0-1 standing (kept in [0, 1])")

    def apply(self, engine, runs):
        engine.hold_summit(self, runs)


@dataclass(frozen=True)
class Agreement(Event):
    """A treaty or exercise that ties states to a power or to each other."""

    states: list = field(default_factory=list)
    power: str = ""
    ties_change: float = bounded(0.0, Range(-2, 2, why="the security channel is kept in [0, 2]"), "alliance-tie units")
    institutions_change: float = bounded(0.0, Range(-1, 1), "0-1 standing (kept in [0, 1])")

    def apply(self, engine, runs):
        if self.power and self.power in engine.power_index:
            j = engine.power_index[self.power]
            for s in self.states:
                engine.ties_extra[runs, engine.state_index[s], j] += self.ties_change
        engine.institutions[runs] = np.clip(engine.institutions[runs] + self.institutions_change, 0.0, 1.0)


@dataclass(frozen=True)
class Shock(Event):
    """A temporary shock (e.g. a pandemic) to in-person contact and trade, for ``months`` >= 1 months."""

    months: int = bounded(12, Range(1, 600), "months")
    in_person_factor: float = bounded(1.0, Range(0, 10), "factor on in-person contact")
    trade_factor: float = bounded(1.0, Range(0.01, 10, why="a shock that stops trade altogether leaves trade shares undefined"), "factor on trade")

    def apply(self, engine, runs):
        engine.shock_until[runs] = self.date + self.months
        engine.in_person_factor[runs] = self.in_person_factor
        engine.trade_factor[runs] = self.trade_factor


@dataclass(frozen=True)
class Threat(Event):
    """A shared external threat that draws the C5 together, fading over time."""

    level: float = bounded(0.0, FRACTION, "0-1")
    decay_per_year: float = bounded(0.5, FRACTION, "fraction per year")

    def apply(self, engine, runs):
        engine.threat[runs] = np.maximum(engine.threat[runs], self.level)
        engine.threat_decay_per_year[runs] = self.decay_per_year


@dataclass(frozen=True)
class UngaAgenda(Event):
    """A new item takes a share of the UN General Assembly's recorded votes. On it every actor stands as it voted on
    the spring-2022 Ukraine resolutions (world.observations.unga_spring_2022; a state that cast none stands with the
    C5's mean): agreement on that share is the recorded one, on the rest it follows the positions as before."""

    share: float = bounded(0.0, FRACTION, "share of a year's recorded votes")

    def apply(self, engine, runs):
        engine.agenda_share[runs] = self.share


@dataclass(frozen=True)
class RemittanceCut(Event):
    """A share of remittances from Russia is blocked (set, in [0, 1])."""

    cut: float = bounded(0.0, FRACTION, "share of remittances from Russia blocked")

    def apply(self, engine, runs):
        engine.remittance_cut[runs] = self.cut


@dataclass(frozen=True)
class EconomyShock(Event):
    """A lasting change in the level of a power's USD output (war, sanctions, the rouble), in per cent of its path.

    Everything that reads the economy follows: gravity trade with it, remittances sent from it, and its
    weight as a market. Sized from forecasts published before the outcome (e.g. the IMF's April 2022 WEO)."""

    power: str = ""
    gdp_change_pct: float = bounded(0.0, Range(-100, 1000, lo_open=True, why="a fall of 100 % or more leaves nothing"), "%")

    def apply(self, engine, runs):
        if self.power not in engine.partner_index:  # a catalogued power this run leaves out
            return
        q = engine.partner_index[self.power]
        engine.gdp_factor[runs, q] *= 1.0 + self.gdp_change_pct / 100.0


KINDS: dict[str, type[Event]] = {
    "leadership_change": LeadershipChange,
    "trade_opening": TradeOpening,
    "membership": Membership,
    "sanctions": Sanctions,
    "stance": Stance,
    "corridor": CorridorChange,
    "market": MarketChange,
    "investment": Investment,
    "summit": Summit,
    "agreement": Agreement,
    "shock": Shock,
    "threat": Threat,
    "unga_agenda": UngaAgenda,
    "remittances": RemittanceCut,
    "economy": EconomyShock,
}

# fields whose values are ISO3 codes, and which codes they admit
_STATE_FIELDS = {"state", "states"}
_POWER_FIELDS = {"power", "target", "by", "convenor"}


def _check_type(key, value, annotation):
    origin = typing.get_origin(annotation)
    if annotation in ("float", float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, value, "expected a number")
        return float(value)
    if annotation in ("int", int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, "expected an integer")
        return value
    if annotation in ("str", str):
        if not isinstance(value, str):
            raise ConfigError(key, value, "expected a string")
        return value
    if annotation in ("typing.List[float]",) or annotation == typing.List[float]:
        if not isinstance(value, (list, tuple)) or not value or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
            raise ConfigError(key, value, "expected a non-empty list of numbers (USD bn per year)")
        return [float(v) for v in value]
    if annotation in ("list", list) or origin is list:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, value, "expected a list of codes")
        return list(value)
    if annotation in ("typing.Optional[float]",) or annotation == typing.Optional[float]:
        return None if value is None else _check_type(key, value, float)
    if annotation in ("typing.Optional[bool]",) or annotation == typing.Optional[bool]:
        if value is not None and not isinstance(value, bool):
            raise ConfigError(key, value, "expected true or false")
        return value
    raise AssertionError(f"unhandled annotation {annotation}")  # pragma: no cover


def parse_event(raw, key: str, codes: dict, horizon: tuple[int, int], drop_later: bool = False) -> Event | None:
    """Build one event from its config mapping, checking every field.

    Args:
        raw: mapping from the scenario file.
        key: the config path of this event, for error messages.
        codes: allowed codes: ``states``, ``powers`` (every catalogued power),
            ``corridors``, ``markets``, ``institutions``.
        horizon: (first, last) month index of the run.
        drop_later: return None for an event after the horizon instead of raising.
    """
    if not isinstance(raw, dict):
        raise ConfigError(key, raw, "expected a mapping with at least 'date' and 'kind'")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{key}.kind", kind, "allowed kinds: " + ", ".join(sorted(KINDS)))
    cls = KINDS[kind]
    hints = {f.name: f for f in dataclasses.fields(cls)}
    allowed = [n for n in hints] + ["kind"]
    values = {}
    for name, value in raw.items():
        if name == "kind":
            continue
        if name not in hints:
            raise ConfigError(f"{key}.{name}", value, f"unknown field for kind '{kind}'; allowed: " + ", ".join(allowed))
        if name == "date":
            continue
        values[name] = _check_type(f"{key}.{name}", value, hints[name].type)
    if "date" not in raw:
        raise ConfigError(f"{key}.date", None, "every event needs a date, YYYY-MM")
    month = parse_month(raw["date"], f"{key}.date")
    if not horizon[0] <= month <= horizon[1]:
        if drop_later and month > horizon[1]:
            return None
        hint = " (to leave out events after the end, set horizon.drop_later_events=true)" if month > horizon[1] else ""
        raise ConfigError(f"{key}.date", raw["date"], f"outside the horizon {format_month(horizon[0])}..{format_month(horizon[1])}{hint}")
    for name, value in values.items():
        vals = value if isinstance(value, list) else [value]
        if name in _STATE_FIELDS:
            pool, what = codes["states"], "Central Asian state"
        elif name in _POWER_FIELDS:
            pool, what = codes["powers"], "power"
        elif name == "participants":
            pool, what = codes["states"] + codes["powers"], "state or power"
        elif name == "partners":
            pool, what = codes["states"] + codes["powers"], "state or power"
        elif name == "corridor":
            pool, what = codes["corridors"], "corridor"
        elif name == "market":
            pool, what = codes["markets"], "market"
        elif name == "institution":
            pool, what = codes["institutions"], "institution"
        elif name == "guests":
            bad = [v for v in vals if not _ISO3.match(v)]
            if bad:
                raise ConfigError(f"{key}.guests", bad[0], "expected ISO3 codes (three capital letters)")
            continue
        elif name == "level" and kind == "summit":
            if value not in LEVELS:
                raise ConfigError(f"{key}.level", value, "allowed: " + ", ".join(LEVELS))
            continue
        elif name == "mode" and kind == "summit":
            if value not in MODES:
                raise ConfigError(f"{key}.mode", value, "allowed: " + ", ".join(MODES))
            continue
        else:
            continue
        for v in vals:
            if v == "" and name in ("convenor", "corridor", "power"):
                continue
            if v not in pool:
                raise ConfigError(f"{key}.{name}", v, f"unknown {what}; known: " + ", ".join(pool))
    check_fields(values, cls, key)  # every number in the range stated beside its field above
    if kind == "investment" and "schedule_usd_bn" in values:
        if "amount_usd_bn" in values or "years" in values:
            raise ConfigError(f"{key}.schedule_usd_bn", values["schedule_usd_bn"],
                              "give either amount_usd_bn and years, or a schedule (its sum and length are the amount and years)")
    if kind == "investment" and values.get("construction_years", 0.0) > 0 and not values.get("corridor"):
        raise ConfigError(f"{key}.construction_years", values["construction_years"],
                          "only money for a named corridor is built (set corridor, or leave construction_years out)")
    if kind == "corridor" and values.get("capacity_change_teu", 0.0) != 0.0 and \
            values.get("corridor") not in codes.get("bounded_corridors", codes["corridors"]):
        raise ConfigError(f"{key}.capacity_change_teu", values["capacity_change_teu"],
                          f"corridor {values.get('corridor')} has unbounded capacity; bounded: " + ", ".join(codes.get("bounded_corridors", [])))
    return cls(date=month, **values)


def load_events(scenario, codes: dict, horizon: tuple[int, int], drop_later: bool = False) -> list[Event]:
    """All events of a scenario config (its ``events``, then each of its ``layers`` in order), checked, without
    the excluded ids, sorted by date (stable).

    With ``drop_later`` events after the horizon are checked like the rest and then left out."""
    from omegaconf import OmegaConf

    def plain(node):
        return OmegaConf.to_container(node) if OmegaConf.is_config(node) else node

    raw_events = list(plain(scenario.events))
    keys = [f"scenario.events[{n}]" for n in range(len(raw_events))]
    layers = plain(getattr(scenario, "layers", None) or {})
    for layer, items in layers.items():  # each forward scenario adds its own layer; Hydra merges the mapping
        if not isinstance(items, list):
            raise ConfigError(f"scenario.layers.{layer}", items, "must be a list of events ([] for none)")
        raw_events += items
        keys += [f"scenario.layers.{layer}[{n}]" for n in range(len(items))]
    exclude = list(scenario.exclude)
    parsed = [parse_event(raw, key, codes, horizon, drop_later) for key, raw in zip(keys, raw_events)]
    events = [e for e in parsed if e is not None]
    late_ids = {raw.get("id") for raw, e in zip(raw_events, parsed) if e is None}
    ids = [e.id for e in events if e.id]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ConfigError("scenario.events.id", sorted(dup)[0], "event ids must be unique")
    for n, drop in enumerate(exclude):
        if drop not in ids and drop not in late_ids:
            raise ConfigError(f"scenario.exclude[{n}]", drop, "no event has this id; known ids: " + ", ".join(ids))
    kept = [e for e in events if e.id not in set(exclude)]
    return sorted(kept, key=lambda e: e.date)
