"""The model as a whole: schedule, agents, determinism, invariants and the patterns of the brief."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.agents import CentralAsianState, ExternalPower
from alignment.engine import STEP_ORDER, Engine
from alignment.runs import build_model


def years_of(m, first, last):
    """Row slice of the recorders covering calendar years first..last."""
    return slice((first * 12) - m.start, (last + 1) * 12 - m.start)


def test_step_runs_phases_in_the_documented_order(compose, monkeypatch):
    """The Mesa model steps the engine, and the engine runs the phases in the order docs/ODD.md states."""
    calls = []
    for name in STEP_ORDER:
        original = getattr(Engine, name)
        monkeypatch.setattr(Engine, name, lambda self, _n=name, _o=original: (calls.append(_n), _o(self))[1])
    m = build_model(compose([]))
    calls.clear()  # the constructor's warm start computes trade once
    m.step()
    assert tuple(calls) == STEP_ORDER
    assert STEP_ORDER == ("apply_events", "allocate_engagement", "trade", "route_freight", "hold_diplomacy", "update_alignment", "record")


def test_agents_are_mesa_agents_by_type(runs):
    m = runs()
    states = m.agents_by_type[CentralAsianState]
    powers = m.agents_by_type[ExternalPower]
    assert sorted(a.code for a in states) == sorted(["KAZ", "UZB", "KGZ", "TJK", "TKM"])
    assert sorted(a.code for a in powers) == sorted(["RUS", "CHN", "USA", "EU", "GBR", "TUR", "IRN"])
    (kaz,) = states.select(lambda a: a.code == "KAZ")  # iteration, not AgentSet indexing (deprecated in Mesa 3.4)
    assert np.shares_memory(kaz.weights, m.weights)  # agents are views onto the model's arrays


def test_extra_powers_come_from_config_alone(compose):
    cfg = compose(["world.powers=[RUS,CHN,USA,EU,GBR,TUR,IRN,JPN,KOR,IND,GCC]"])
    m = build_model(cfg).run()
    assert m.weights.shape == (5, 11)
    assert np.allclose(m.rec["weights"].sum(axis=2), 1.0)
    # the Japan-CA summit of Dec 2025 now reaches an active power and raises its attention stock
    assert {a.code for a in m.agents_by_type[ExternalPower]} >= {"JPN", "KOR", "IND", "GCC"}
    assert np.isfinite(m.rec["trade"]).all() and (m.rec["trade"][:, :, m.world.partners.index("GCC")] > 0).all()


def test_same_seed_same_run_and_other_seed_differs(compose):
    a = build_model(compose(["seed=5"])).run()
    b = build_model(compose(["seed=5"])).run()
    c = build_model(compose(["seed=6"])).run()
    for key in a.rec:
        np.testing.assert_array_equal(a.rec[key], b.rec[key])
    assert a.ledger == b.ledger
    assert not np.array_equal(a.rec["weights"], c.rec["weights"])
    assert a.ledger != c.ledger


def test_invariants_over_a_run(runs):
    for scenario in ("historical", "no_war_2022"):
        m = runs(scenario)
        w = m.rec["weights"]
        assert (w >= 0).all() and np.allclose(w.sum(axis=2), 1.0, atol=1e-12)
        share = m.rec["share"]
        assert np.allclose(share.sum(axis=2), 1.0, atol=1e-9)  # every market's demand is carried somewhere
        for key, arr in m.rec.items():
            assert not np.isnan(arr).any(), key
        cap = m.rec["capacity"]
        finite = np.isfinite(cap)
        assert (m.rec["volume"][finite] <= cap[finite] * (1 + 1e-9) + 1e-6).all()


def test_p1_multialignment_no_state_above_one_half(runs):
    """P1: no C5 state puts half its weight on one partner (the mean over seeds of each year's weights), TKM least
    engaged, TJK/KGZ most tied to Russia."""
    from alignment.fit.targets import yearly_weights

    assert np.mean([yearly_weights(runs("historical", seed)) for seed in range(4)], axis=0).max() < 0.5
    m = runs()
    s = {c: i for i, c in enumerate(m.world.states)}
    rus = m.world.powers.index("RUS")
    w = m.rec["weights"][years_of(m, 2015, 2021)].mean(axis=0)
    russia = w[:, rus]
    assert set(np.argsort(russia)[-2:]) == {s["TJK"], s["KGZ"]}
    engagement = m.rec["investment"][years_of(m, 2015, 2021)].sum(axis=(0, 2))
    assert np.argmin(engagement) == s["TKM"]
    mai = -(w * np.log(w)).sum(axis=1) / np.log(w.shape[1])
    assert mai.min() > 0.7  # diversified portfolios everywhere


def test_p3_china_share_of_c5_trade_rises(runs):
    """P3 over the decade of the record, in every seed. (After 2021 every economy grows at the same rate and
    China's share settles back near its 2015 level, +0.001 +- 0.001 over seeds for 2030-35: a claim about
    2030 would be a coin flip, so none is made here.)"""
    for seed in range(3):
        m = runs("historical", seed)
        c = m.world.partners.index("CHN")
        t = m.rec["trade"]

        def share(first, last):
            x = t[years_of(m, first, last)]
            return x[:, :, c].sum() / x.sum()

        assert share(2019, 2021) > share(2015, 2015) + 0.01


def test_p2_corridor_shift_after_2022(runs):
    """The war's corridor shift (issue 3): over 2023-2025 the Middle Corridor carries at least twice the no-war
    volume, and in 2023, before the Red Sea diversion (2023-12) reaches both worlds, more than twice; the northern
    route carries less. The no-war world keeps the Red Sea diversion but not the EU's war-driven Middle Corridor
    money (configs/scenario/no_war_2022.yaml)."""
    h, n = runs("historical"), runs("no_war_2022")
    k_mid, k_north = h.world.corridors.index("MIDDLE"), h.world.corridors.index("NORTHERN")
    first = years_of(h, 2023, 2023)
    assert h.rec["volume"][first, k_mid].mean() >= 2.0 * n.rec["volume"][first, k_mid].mean()
    sl = years_of(h, 2023, 2025)
    assert h.rec["volume"][sl, k_mid].mean() >= 2.0 * n.rec["volume"][sl, k_mid].mean()
    assert h.rec["volume"][sl, k_north].mean() < n.rec["volume"][sl, k_north].mean()
    before = years_of(h, 2015, 2021)  # identical until the war
    np.testing.assert_allclose(h.rec["volume"][before], n.rec["volume"][before])
    # the Middle Corridor grows several-fold over its 2021 level
    assert h.rec["volume"][years_of(h, 2025, 2025), k_mid].mean() > 3 * h.rec["volume"][years_of(h, 2021, 2021), k_mid].mean()


def test_capacity_limits_how_fast_the_middle_corridor_grows(runs):
    """P2: capacity, not demand, caps the Middle Corridor in 2022-2023 (it runs full)."""
    h = runs("historical")
    k = h.world.corridors.index("MIDDLE")
    sl = slice(2022 * 12 + 6 - h.start, 2024 * 12 - h.start)  # 2022-07 .. 2023-12
    utilisation = h.rec["volume"][sl, k] / h.rec["capacity"][sl, k]
    assert utilisation.mean() > 0.85 and utilisation.min() > 0.8
    cap = h.rec["capacity"][years_of(h, 2022, 2023), k]
    over = np.flatnonzero(cap[1:] > cap[:-1] * (1 + h.p.max_capacity_growth_share) + 1e-6) + 1
    # the only step beyond the monthly growth limit is the operators' plan of May 2022 (titr_plan_2022, 24,800 TEU),
    # usable after the construction lag, in 2022-11
    plan = next(e for e in h.events if e.id == "titr_plan_2022")
    assert list(over) == [plan.date + h.p.construction_lag_months - 2022 * 12]
    assert cap[over[0]] - cap[over[0] - 1] >= plan.capacity_change_teu


def test_sanctions_mark_the_target_not_the_sanctioners(runs):
    m = runs("historical")
    P = m.power_index
    sanctioned = m.sanction.max(axis=1)  # [target, by]
    assert sanctioned[P["RUS"]] == 0.8
    assert sanctioned[P["EU"]] == sanctioned[P["USA"]] == sanctioned[P["GBR"]] == 0.0
    sanctioners = m.sanction.max(axis=0) > 0
    assert {m.world.powers[j] for j in np.flatnonzero(sanctioners)} == {"EU", "USA", "GBR"}


def test_summits_count_toward_recent_regional_contact(compose):
    """A C5 summit and the month's drawn contacts both count in the 12-month window that feeds cohesion."""
    m = build_model(compose([]))
    while m.month < 2019 * 12 + 10:  # up to 2019-10
        m.step()
    m.step()  # 2019-11: Tashkent consultative meeting
    drawn = sum(1 for r in m.ledger if r[6] and r[0] == 2019 * 12 + 10 and r[1] != "summit")
    assert m._recent[(2019 * 12 + 10) % 12] == drawn + 1


def test_capacity_arrives_exactly_construction_lag_months_after_the_order(compose):
    """Money for rolling stock on a route (no construction_years) is usable construction_lag_months after it is
    spent: a 12-month pledge of USD 1.2bn to the CKU from 2016-01 adds 0.1bn x 30,000 TEU per USD bn = 3,000 TEU a
    month from 2016-01 + lag."""
    pledge = ("scenario.events=[{id: rolling_stock, date: '2016-01', kind: investment, power: CHN, amount_usd_bn: 1.2, "
              "years: 1, corridor: CKU}]")
    for lag in (1, 6):
        m = build_model(compose([f"model.construction_lag_months={lag}", pledge, "horizon.end=2017-12"])).run()
        k = m.world.corridors.index("CKU")
        first_order = 2016 * 12 - m.start
        cap = m.rec["capacity"][:, k]
        assert cap[first_order + lag - 1] == 0.0
        assert cap[first_order + lag] == pytest.approx(3000.0)


def test_greenfield_railway_carries_nothing_until_it_is_built(compose):
    """The CKU railway (historical: USD 4.665bn from 2024-12, construction_years 5.5 from its sources' 5-6) has no
    capacity until 2030-06, 66 months on, and then its whole first phase at once: 4.665 x 30,000 = 139,950 TEU a year."""
    m = build_model(compose([])).run()
    k = m.world.corridors.index("CKU")
    opens = 2030 * 12 + 5 - m.start
    cap, vol = m.rec["capacity"][:, k], m.rec["volume"][:, k]
    assert (cap[:opens] == 0.0).all() and (vol[:opens] == 0.0).all()
    assert cap[opens] == pytest.approx(4.665 * 30000)
    assert vol[opens] > 0.0


def test_the_route_growth_limit_is_the_routes_own(compose):
    """NORTHERN (gauge-change terminals) grows at most its configs/corridors max_growth_share_per_month (3.8 %) a
    month, the Middle Corridor at the model's max_capacity_growth_share (8 %): an override of either moves only its own."""
    m = build_model(compose(["corridors.routes.NORTHERN.max_growth_share_per_month=0.01"])).run()
    north = m.world.corridors.index("NORTHERN")
    cap = m.rec["capacity"][: 2022 * 12 - m.start]
    assert (cap[1:, north] <= cap[:-1, north] * 1.01 + 1e-6).all()
    base = build_model(compose([])).run().rec["capacity"][: 2022 * 12 - m.start]
    assert base[-1, north] > 5 * cap[-1, north]  # 3.8 % a month against 1 %: the 2021 capacity differs several-fold

def test_a_later_start_is_calibrated_at_base_year_gdp(compose):
    """Starting in 2018 (no earlier events), trade starts near the 2018 record, not at the 2015 level."""
    m = build_model(compose(["horizon.start=2018-01", "scenario.events=[]"])).run()
    y = 2018
    model = m.rec["trade"][: 12].mean(axis=0).sum(axis=1)
    data = np.nansum(m.world.trade_record[list(m.world.trade_years).index(y)], axis=1)
    kaz = m.state_index["KAZ"]
    assert abs(model[kaz] / data[kaz] - 1) < 0.1  # 2015 level would be 14 % low


def test_pandemic_moves_external_contact_from_visits_to_calls(runs):
    share = {}
    for seed in range(4):
        for period, (a, b) in {"2019": (2019 * 12, 2020 * 12), "covid": (2020 * 12 + 3, 2021 * 12 + 8)}.items():
            rows = [r for r in runs("historical", seed).ledger if not r[6] and r[1] != "summit" and a <= r[0] < b]
            share.setdefault(period, []).append(np.mean([r[1] in ("visit", "meeting") for r in rows]))
    # form probabilities (call, visit, meeting) = (0.35, 0.35, 0.30): in person 0.65 normally; with in_person_factor 0.3
    # it is (0.35 + 0.30) * 0.3 / (0.35 + (0.35 + 0.30) * 0.3) = 0.195 / 0.545 = 0.358
    assert abs(np.mean(share["2019"]) - 0.65) < 0.06
    assert abs(np.mean(share["covid"]) - 0.358) < 0.06


def test_initial_stocks_are_at_their_steady_state(compose):
    m = build_model(compose(["scenario.events=[]"]))
    before = m.attention_stock.copy()
    keep = (1 - m.p.attention_depreciation_per_year) ** (1 / 12)
    # without contacts drawn, one month's update of the steady state is the steady state
    flow = before * 12 * (1 - keep)
    np.testing.assert_allclose(before * keep + flow / 12, before)
    assert m.investment_stock.sum() > 0


def test_dominant_partner_reads_the_weights(runs):
    m = runs()
    for a in m.agents_by_type[CentralAsianState]:
        assert a.dominant_partner == m.world.powers[int(np.argmax(m.weights[a.index]))]


def test_a_states_adjustment_rate_reads_neutrality_and_threat(compose):
    """Kazakhstan's rate is adjustment_rate before the 2021 threat and (1 + 4 x 0.5) times it in the invasion month;
    Turkmenistan's is damped by half (neutrality_damping 0.5) in both."""
    from alignment.agents import CentralAsianState

    m = build_model(compose([]))
    states = {a.code: a for a in m.agents_by_type[CentralAsianState]}
    r, d = m.p.adjustment_rate, m.p.neutrality_damping
    assert states["KAZ"].adjustment_rate == pytest.approx(r) and states["TKM"].adjustment_rate == pytest.approx(r * (1 - d))
    while m.month <= 2022 * 12 + 1:  # through February 2022: the invasion sets the threat to 0.5
        m.step()
    threat = m.engine.threat[0]
    assert threat == pytest.approx(0.5)
    assert states["KAZ"].adjustment_rate == pytest.approx(r * (1 + m.p.threat_urgency * threat))
    assert states["TKM"].adjustment_rate == pytest.approx(r * (1 - d) * (1 + m.p.threat_urgency * threat))


def test_a_powers_rivals_presence_is_its_rivals_share_of_the_investment(runs):
    """Russia's rivals' presence in a state: the others' shares of the investment there, each weighted by its
    distance from Russia in UN votes (China, close, counts little; the USA, far, counts fully)."""
    from alignment.agents import ExternalPower

    m = runs()
    rus = next(a for a in m.agents_by_type[ExternalPower] if a.code == "RUS")
    stock = m.engine.investment_stock[0]
    share = stock / stock.sum(axis=0, keepdims=True)
    expected = m.world.rivalry[rus.index] @ share
    np.testing.assert_allclose(rus.rivals_presence, expected)
    assert (0 <= rus.rivals_presence).all() and (rus.rivals_presence <= 1).all()


def test_a_later_start_starts_the_northern_route_from_its_record(compose):
    """capacity_teu (55,000) is the capacity at 2015-01. A run starting in 2016-01 starts NORTHERN log-linearly between
    that and the 2016 ERA record (100,983 TEU, placed mid-year): 55,000 x (100,983 / 55,000)^(1 / 1.5) = 82,468 TEU.
    A run starting in 2019-01 (no earlier events) then carries the 2019-2021 record within its tolerance (0.2 in logs),
    where starting from the 2014 size it carried a fifth of it."""
    m = build_model(compose(["horizon.start=2016-01", "scenario.events=[]", "horizon.end=2016-01"]))
    k = m.world.corridors.index("NORTHERN")
    assert m.world.capacity_at(2016 * 12)[k] == pytest.approx(55000 * (100983 / 55000) ** (1 / 1.5))
    assert m.world.capacity_at(2015 * 12)[k] == 55000 and m.world.capacity_at(2040 * 12)[k] == pytest.approx(692500)
    assert m.world.capacity_at(2019 * 12)[m.world.corridors.index("MIDDLE")] == 100000  # no record: its config value
    m = build_model(compose(["horizon.start=2019-01", "scenario.events=[]", "horizon.end=2021-12"])).run()
    for year, record in ((2019, 333000), (2020, 546900), (2021, 692500)):
        carried = m.rec["volume"][years_of(m, year, year), k].mean()
        assert abs(np.log(carried / record)) < 0.2, (year, carried)


def test_what_each_state_does_when_russia_threatens(compose):
    """The agent reads its own rule: under Russian coercion a balancer (KAZ, UZB) is pushed away, a bandwagoner (TJK,
    KGZ) drawn toward; a threat draws the CSTO members to Russia as a security partner; Turkmenistan answers neither."""
    m = build_model(compose(["horizon.end=2022-12", "horizon.drop_later_events=true"]))
    while m.month < 2022 * 12 + 3:  # into 2022-03: the invasion (threat) and Russia's coercion are in force
        m.step()
    kaz, tjk, tkm = m.state("KAZ").answer("RUS"), m.state("TJK").answer("RUS"), m.state("TKM").answer("RUS")
    assert m.state("KAZ").rule == {"threat_response": 0.5, "regime_security": 0.8, "neutral": False}
    assert kaz["coercion"] < 0 < tjk["coercion"]
    # the coercion term is -coercion_weight x threat_response x coercion: KAZ's 0.5 against TJK's -0.6
    assert kaz["coercion"] / tjk["coercion"] == pytest.approx(0.5 / -0.6)
    assert tjk["security"] > kaz["security"] > 0  # TJK: concern 1 and a base; KAZ: concern 0.8, CSTO without a base
    assert tkm["coercion"] == 0.0 and tkm["security"] == 0.0
    assert m.state("TKM").rule["neutral"]
