"""Scenario files and events: checked on load, applied as they say."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.world.calendar import parse_month
from alignment.errors import ConfigError
from alignment.runs import build_model, prepare
from alignment.world.scenario import KINDS, parse_event

CODES = {"states": ["KAZ", "UZB", "KGZ", "TJK", "TKM"], "powers": ["RUS", "CHN", "EU", "JPN"],
         "corridors": ["NORTHERN", "MIDDLE"], "markets": ["EAST_WEST"], "institutions": ["CSTO", "EAEU"]}
HORIZON = (parse_month("2015-01", "-"), parse_month("2035-12", "-"))


def test_parse_a_valid_event():
    ev = parse_event({"date": "2022-03", "kind": "sanctions", "target": "RUS", "by": ["EU"], "intensity": 0.8}, "e", CODES, HORIZON)
    assert ev.date == 2022 * 12 + 2 and ev.target == "RUS" and ev.by == ["EU"] and ev.intensity == 0.8


@pytest.mark.parametrize(
    "raw, key, words",
    [
        ({"date": "2016-01", "kind": "party"}, "e.kind", "allowed kinds"),
        ({"date": "2016-01", "kind": "stance", "power": "RUS", "colour": 1}, "e.colour", "unknown field"),
        ({"date": "2016-01", "kind": "stance", "power": "RUS", "coercion": "high"}, "e.coercion", "expected a number"),
        ({"date": "2016-01", "kind": "stance", "power": "XXX", "coercion": 0.1}, "e.power", "unknown power"),
        ({"date": "2016-01", "kind": "membership", "state": "AFG", "institution": "CSTO"}, "e.state", "unknown Central Asian state"),
        ({"date": "2040-01", "kind": "stance", "power": "RUS"}, "e.date", "outside the horizon"),
        ({"date": "2014-12", "kind": "stance", "power": "RUS"}, "e.date", "outside the horizon"),
        ({"date": "2016-1", "kind": "stance", "power": "RUS"}, "e.date", "YYYY-MM"),
        ({"kind": "stance", "power": "RUS"}, "e.date", "needs a date"),
        ({"date": "2016-01", "kind": "sanctions", "target": "RUS", "by": ["EU"], "intensity": 2.0}, "e.intensity", "[0, 1]"),
        ({"date": "2016-01", "kind": "investment", "power": "CHN", "amount_usd_bn": -1.0}, "e.amount_usd_bn", "must be in [0, 10000] (USD bn"),
        ({"date": "2016-01", "kind": "corridor", "corridor": "SILK"}, "e.corridor", "unknown corridor"),
        ({"date": "2016-01", "kind": "investment", "power": "CHN", "corridor": "MIDDLE", "construction_years": -2}, "e.construction_years", "must be in [0, 50] (years)"),
        ({"date": "2016-01", "kind": "investment", "power": "CHN", "amount_usd_bn": 1.0, "construction_years": 3}, "e.construction_years", "named corridor"),
        ({"date": "2016-01", "kind": "investment", "power": "CHN", "amount_usd_bn": 1.0, "schedule_usd_bn": [1.0]}, "e.schedule_usd_bn", "either amount_usd_bn and years, or a schedule"),
        ({"date": "2016-01", "kind": "investment", "power": "CHN", "schedule_usd_bn": [1.0, -2.0]}, "e.schedule_usd_bn[1]", "must be in [0, 10000] (USD bn per year)"),
        ({"date": "2016-01", "kind": "investment", "power": "CHN", "schedule_usd_bn": "lots"}, "e.schedule_usd_bn", "non-empty list of numbers"),
        ({"date": "2016-01", "kind": "summit", "format": "C5", "participants": ["KAZ"], "level": "king"}, "e.level", "president"),
        ({"date": "2016-01", "kind": "summit", "format": "C5", "participants": ["KAZ"], "mode": "hologram"}, "e.mode", "virtual"),
        ({"date": "2016-01", "kind": "summit", "format": "C5", "participants": ["KAZ"], "attention": -1}, "e.attention", "must be in [0, 1000] (interactions"),
        # issue 10: physically impossible values
        ({"date": "2016-01", "kind": "market", "market": "EAST_WEST", "demand_change_pct": -150}, "e.demand_change_pct", "must be in (-100, 1000] (%; a fall of 100 % or more"),
        ({"date": "2016-01", "kind": "economy", "power": "RUS", "gdp_change_pct": 1e6}, "e.gdp_change_pct", "must be in (-100, 1000]"),
        ({"date": "2016-01", "kind": "corridor", "corridor": "MIDDLE", "risk_change": 3}, "e.risk_change", "must be in [-1, 1] (share of cargo value"),
        ({"date": "2016-01", "kind": "threat", "level": 0.5, "decay_per_year": float("nan")}, "e.decay_per_year", "must be a finite number"),
        ({"date": "2016-01", "kind": "shock", "months": 12, "trade_factor": float("inf")}, "e.trade_factor", "must be a finite number"),
        ({"date": "2016-01", "kind": "trade_opening", "state": "KAZ", "cost_change": -2}, "e.cost_change", "must be in [-1, 5]"),
        ({"date": "2016-01", "kind": "summit", "format": "C5", "participants": ["KAZ"], "guests": ["germany"]}, "e.guests", "ISO3"),
    ],
)
def test_bad_events_name_key_value_and_what_is_allowed(raw, key, words):
    with pytest.raises(ConfigError) as err:
        parse_event(raw, "e", CODES, HORIZON)
    assert err.value.key == key and words in str(err.value)


def test_every_event_kind_is_documented_in_odd():
    from pathlib import Path

    odd = (Path(__file__).parent.parent / "docs" / "ODD.md").read_text()
    for kind in KINDS:
        assert f"`{kind}`" in odd, kind


def test_no_war_drops_exactly_the_war_and_the_responses_sourced_to_it(compose):
    """The war, its direct effects (the war economy included) and the EU responses the seeds tie to the war; not the
    Red Sea diversion, nor summits no source ties to the war."""
    h = prepare(compose(["scenario=historical"]))
    n = prepare(compose(["scenario=no_war_2022"]))
    dropped = {e.id for e in h.events} - {e.id for e in n.events}
    assert dropped == {"invasion_2022", "ukraine_agenda_2022", "russia_coercion_2022", "sanctions_2022", "northern_risk_2022",
                       "titr_plan_2022", "north_south_2022",
                       "remittances_2022", "russia_output_2022", "remittances_2023", "russia_output_2023",
                       "eu_ca_2023", "eu_titr_2024", "eu_ca_2025", "eu_global_gateway_2025"}
    assert len(h.events) - len(n.events) == 15
    assert [e.date for e in h.events] == sorted(e.date for e in h.events)


def test_exclude_of_an_unknown_id_is_an_error(compose):
    with pytest.raises(ConfigError) as err:
        prepare(compose(["scenario=no_war_2022", "scenario.exclude=[no_such_event]"]))
    assert err.value.key == "scenario.exclude[0]"


def test_overrides_are_checked_and_applied(compose):
    p = prepare(compose(["+scenario.overrides.hedging_base=0.3"]))
    assert p.params.hedging_base == 0.3
    with pytest.raises(ConfigError) as err:
        prepare(compose(["+scenario.overrides.hedgehog=0.3"]))
    assert err.value.key == "scenario.overrides.hedgehog"
    with pytest.raises(ConfigError):
        prepare(compose(["+scenario.overrides.hedging_base=3.0"]))


def test_sanctions_event_sets_intensity_and_diverts_trade_through_the_c5(compose):
    """After March 2022 the C5's trade with both Russia and the EU gains re-exports the counterfactual lacks."""
    h = build_model(compose(["scenario=historical", "horizon.end=2035-12"]))
    n = build_model(compose(["scenario=no_war_2022"]))
    for m in (h, n):
        while m.month < 2022 * 12 + 3:
            m.step()
    rus, eu = h.power_index["RUS"], h.power_index["EU"]
    assert h.sanction[rus, eu] == 0.8 and n.sanction.max() == 0.0
    # re-exports: the same month's KGZ trade with Russia is higher with the sanctions than without
    kgz = h.state_index["KGZ"]
    assert h.flows[kgz, rus] > n.flows[kgz, rus]


def test_investment_pledge_disburses_evenly_then_stops(compose):
    m = build_model(compose(["scenario=no_war_2022"]))
    chn = m.power_index["CHN"]
    while m.month < 2023 * 12 + 4:  # the Xi'an pledge (USD 3.7bn over 3 years) is dated 2023-05
        m.step()
    assert m.earmarked[chn].sum() == 0.0
    m.step()
    assert m.earmarked[chn].sum() == pytest.approx(3.7 / 3)  # USD bn per year
    while m.month <= 2026 * 12 + 4:  # through 2026-05, the last month of the 2025 grants (USD 0.208bn, 1 year)
        m.step()
    # the Xi'an pledge ran 36 months, 2023-05..2026-04; the CKU money (2024-12, 6 years) and the grants flow
    assert m.earmarked[chn].sum() == pytest.approx(4.665 / 6 + 0.208)
    m.step()  # 2026-06: the grants have ended too
    assert m.earmarked[chn].sum() == pytest.approx(4.665 / 6)


def test_leadership_change_raises_uzbek_openness_and_activity(compose):
    m = build_model(compose([]))
    u = m.state_index["UZB"]
    before = m.openness[u], m.activity[u]
    while m.month <= 2016 * 12 + 8:
        m.step()
    assert m.openness[u] == pytest.approx(before[0] + 0.4) and m.activity[u] == pytest.approx(before[1] + 0.8)


def test_summit_goes_to_the_ledger_and_raises_the_convenors_attention(compose):
    m = build_model(compose([]))
    usa = m.power_index["USA"]
    while m.month < 2023 * 12 + 8:
        m.step()
    before = m.attention_stock[usa].copy()
    m.step()  # 2023-09: C5+1 in New York
    rows = [r for r in m.ledger if r[3] == "C5+1"]
    assert len(rows) == 1 and rows[0][4].startswith("USA|") and rows[0][5] and not rows[0][6]
    # the summit adds 3 units per state; the stock then fades by keep = (1 - d)^(1/12) and gains this month's visits
    keep = (1 - m.p.attention_depreciation_per_year) ** (1 / 12)
    assert (m.attention_stock[usa] - before * keep >= 3.0 * keep - 1e-9).all()


def test_corridor_capacity_change_is_ordered_then_usable_after_the_lag(compose):
    """An operator adds 50,000 TEU to the Middle Corridor in 2016-01: usable construction_lag_months (2) later, on top
    of whatever the route had; a loss of 30,000 TEU in 2017-01 applies at once."""
    events = ("scenario.events=[{id: ferries, date: '2016-01', kind: corridor, corridor: MIDDLE, capacity_change_teu: 50000},"
              " {id: port_fire, date: '2017-01', kind: corridor, corridor: MIDDLE, capacity_change_teu: -30000}]")
    base = build_model(compose(["model.construction_lag_months=2", "horizon.end=2017-06", "scenario.events=[]"])).run()
    m = build_model(compose(["model.construction_lag_months=2", "horizon.end=2017-06", events])).run()
    k = m.world.corridors.index("MIDDLE")
    gap = m.rec["capacity"][:, k] - base.rec["capacity"][:, k]
    t = 2016 * 12 - m.start
    assert gap[t + 1] == pytest.approx(0.0) and gap[t + 2] == pytest.approx(50000.0)
    u = 2017 * 12 - m.start
    assert m.rec["capacity"][u, k] == pytest.approx(m.rec["capacity"][u - 1, k] - 30000.0, rel=0.05)


@pytest.mark.parametrize("level, mode, contacts", [("president", "in_person", 3.0), ("prime_minister", "in_person", 1.5),
                                                   ("foreign_minister", "virtual", 1.0 / 3.0), ("president", "informal", 2.0)])
def test_summit_attention_follows_level_and_mode(compose, level, mode, contacts):
    """A US summit with KAZ and UZB in 2016-01: each gets the contacts its level and mode are worth (a president in
    person 3, a prime minister 1.5, a foreign minister online 1 x 1/3, an informal presidential summit 3 x 2/3);
    a state not at the table gets none."""
    event = (f"scenario.events=[{{id: s, date: '2016-01', kind: summit, format: C5+1, convenor: USA, participants: [KAZ, UZB], "
             f"level: {level}, mode: {mode}}}]")
    m = build_model(compose([event, "horizon.end=2016-03"]))
    base = build_model(compose(["scenario.events=[]", "horizon.end=2016-03"]))
    while m.month < 2016 * 12:
        m.step(), base.step()
    m.step(), base.step()  # 2016-01: the summit, then this month's fading and routine contacts (the same draws in both)
    usa = m.power_index["USA"]
    keep = (1 - m.p.attention_depreciation_per_year) ** (1 / 12)
    gap = m.attention_stock[usa] - base.attention_stock[usa]
    s = m.state_index
    assert gap[s["KAZ"]] == pytest.approx(contacts * keep) and gap[s["UZB"]] == pytest.approx(contacts * keep)
    assert gap[s["TJK"]] == pytest.approx(0.0)


def test_a_rivals_pledge_draws_counter_spending(compose):
    """USD 20bn of EU money into Kazakhstan over 2016-2017: Russia (far from the EU in UN votes) moves more of its
    budget to Kazakhstan by the end of 2017 when powers answer each other (engagement_rivalry 1) than when they
    do not (0), where only Kazakhstan's own shift of weights moves it."""
    pledge = "scenario.events=[{id: eu_money, date: '2016-01', kind: investment, power: EU, amount_usd_bn: 20, years: 2, states: [KAZ]}]"
    effect = {}
    for r in (0.0, 1.0):
        common = [f"model.engagement_rivalry={r}", "horizon.end=2017-12", "model.noise_scale=0"]
        a, b = (build_model(compose(common + ev)).run() for ev in (["scenario.events=[]"], [pledge]))
        rus, kaz = a.power_index["RUS"], a.state_index["KAZ"]
        effect[r] = b.engine.invest_flow[0, rus, kaz] / b.engine.budget[0, rus] - a.engine.invest_flow[0, rus, kaz] / a.engine.budget[0, rus]
    assert effect[1.0] > 0 and effect[1.0] > effect[0.0] + 0.005


def test_a_pledge_schedule_disburses_year_by_year(compose):
    """A US programme of USD 1bn, nothing, then 3bn (years 1-3 from 2016-01), to Kazakhstan and Uzbekistan: earmarked
    1.0 a year in 2016, nothing in 2017, 3.0 in 2018, nothing after; the power's view lists the two tranches with
    their months. The money is split between the two as the power splits its budget (size, openness, room), the
    same way in every tranche: Kazakhstan, the larger and more open economy, gets more."""
    from alignment.agents import ExternalPower

    event = ("scenario.events=[{id: plan, date: '2016-01', kind: investment, power: USA, states: [KAZ, UZB], "
             "schedule_usd_bn: [1.0, 0.0, 3.0]}]")
    m = build_model(compose([event, "horizon.end=2019-06"]))
    usa, kaz, uzb = m.power_index["USA"], m.state_index["KAZ"], m.state_index["UZB"]
    seen, split = {}, None
    while m.month <= 2019 * 12 + 1:
        m.step()
        seen[m.month - 1] = m.earmarked[usa].copy()
        if m.month - 1 == 2016 * 12:
            us = next(a for a in m.agents_by_type[ExternalPower] if a.code == "USA")
            assert [(f, last, a) for f, last, a, _, _ in us.pledges] == [(2016 * 12, 2016 * 12 + 11, 1.0),
                                                                          (2018 * 12, 2018 * 12 + 11, 3.0)]
            split = us.pledges[0][3]
            np.testing.assert_allclose(us.pledges[1][3], split)
    assert split.sum() == pytest.approx(1.0) and split[kaz] > split[uzb] > 0 and split[kaz] + split[uzb] == pytest.approx(1.0)
    for month, total in ((2016 * 12, 1.0), (2016 * 12 + 11, 1.0), (2017 * 12 + 5, 0.0), (2018 * 12, 3.0),
                         (2018 * 12 + 11, 3.0), (2019 * 12, 0.0)):
        assert seen[month].sum() == pytest.approx(total)
        assert seen[month][kaz] == pytest.approx(total * split[kaz]) and seen[month][uzb] == pytest.approx(total * split[uzb])
