"""The 2015-2021 record: trade within a stated tolerance, intraregional interactions near 60 and 87.

Tolerance for trade: the record disagrees with itself. For the same pairs and
years, the C5's own customs reports and the partners' mirror reports in
../shared/data differ; their trade-weighted mean absolute discrepancy (sum of
|mirror - reporter| over sum of reporter) is about 0.24 for 2016-2020. A model
cannot be held closer to one view than the two views are to each other, so the
model's trade-weighted mean absolute error against the reporter view, on the
same pairs and years (out of the 2015 base year it is calibrated on), must not
exceed the record's own discrepancy. Trade-weighted, because flows under USD
0.1bn jump by factors of ten from year to year (e.g. KGZ-GBR gold) and no
gravity model predicts them.
"""

from __future__ import annotations

import numpy as np
import pytest

from alignment.world.source import world_data


def _annual(m, key, year):
    sl = slice(year * 12 - m.start, (year + 1) * 12 - m.start)
    return m.rec[key][sl].mean(axis=0)


def _weighted_errors(m, cfg):
    """(model error, mirror discrepancy), trade-weighted, on pairs and years 2016+ with both views."""
    w = m.world
    mir = world_data(cfg.world)["trade_mirror_usd_bn"]["values"]
    err_model = err_mirror = total = 0.0
    for k, y in enumerate(w.trade_years):
        if y == w.base_year:
            continue
        model = _annual(m, "trade", int(y))
        for i, s in enumerate(w.states):
            for q, p in enumerate(w.partners):
                rep = w.trade_record[k, i, q]
                mv = mir.get(s, {}).get(p, {}).get(int(y))
                if mv is None or not np.isfinite(rep):
                    continue
                err_model += abs(model[i, q] - rep)
                err_mirror += abs(mv - rep)
                total += rep
    return err_model / total, err_mirror / total


def test_trade_2016_2020_within_the_records_own_discrepancy(runs, compose):
    m = runs()
    err, tolerance = _weighted_errors(m, compose([]))
    assert 0.1 < tolerance < 0.5  # sanity of the yardstick itself
    assert err <= tolerance, f"model error {err:.3f} > reporter-mirror discrepancy {tolerance:.3f}"


def test_trade_totals_by_state(runs):
    """State totals 2016-2020: KAZ, KGZ, TJK within 15 %; UZB within 35 % (its 2016 record dips 25 % below
    both 2015 and 2017); TKM untested: its trade halved with gas prices, a channel the model does not have."""
    m = runs()
    limits = {"KAZ": 0.15, "KGZ": 0.15, "TJK": 0.15, "UZB": 0.35}
    for k, y in enumerate(m.world.trade_years):
        model = _annual(m, "trade", int(y)).sum(axis=1)
        data = np.nansum(m.world.trade_record[k], axis=1)
        for i, s in enumerate(m.world.states):
            if s in limits:
                assert abs(model[i] / data[i] - 1) < limits[s], (s, int(y), model[i], data[i])


def test_base_year_trade_is_reproduced(runs):
    m = runs()
    model = _annual(m, "trade", 2015)
    data = m.world.trade_base
    ok = np.isfinite(data)
    # only month-to-month noise in alignment moves trade within 2015
    np.testing.assert_allclose(model[ok], data[ok], rtol=0.05)


@pytest.mark.parametrize("year, target", [(2015, 60), (2019, 87)])
def test_intraregional_interactions_near_record(runs, year, target):
    """Mean over 8 seeds within 15 % of the record; mostly bilateral; about two-thirds presidential."""
    totals, pres, bilateral = [], [], []
    for seed in range(8):
        rows = [r for r in runs("historical", seed).ledger if r[6] and r[0] // 12 == year]
        totals.append(len(rows))
        pres.append(np.mean([r[2] == "president" for r in rows]))
        bilateral.append(np.mean([not r[5] for r in rows]))
    assert abs(np.mean(totals) / target - 1) < 0.15, np.mean(totals)
    assert 0.58 <= np.mean(pres) <= 0.76
    assert np.mean(bilateral) > 0.95


def test_forms_shift_from_telegrams_to_substance(runs):
    tel = {2015: [], 2025: []}
    for seed in range(8):
        for y in tel:
            rows = [r for r in runs("historical", seed).ledger if r[6] and r[0] // 12 == y]
            tel[y].append(np.mean([r[1] == "telegram" for r in rows]))
    assert 0.4 < np.mean(tel[2015]) < 0.6  # 34 of 66 records in 2015
    assert np.mean(tel[2025]) < np.mean(tel[2015]) - 0.05


def test_c5_consultative_meetings_yearly_from_2018(runs):
    m = runs()
    years = sorted({r[0] // 12 for r in m.ledger if r[1] == "summit" and r[3] == "C5"})
    assert years == [2018, 2019, 2021, 2022, 2023, 2024, 2025]  # 2020 lost to COVID-19, as in the record
