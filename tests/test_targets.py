"""Calibration targets: loaded and checked from config, evaluated on runs, combined into a loss."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from alignment.cli import CONFIG_DIR
from alignment.errors import ConfigError
from alignment.runs import prepare
from alignment.world.source import world_data
from alignment.fit.targets import TERM_CAP, Target, evaluate, load_targets, loss

TARGETS = OmegaConf.load(CONFIG_DIR / "targets" / "default.yaml")


@pytest.fixture(scope="module")
def window(compose_module):
    cfg = compose_module(["horizon.end=2021-12", "horizon.drop_later_events=true"])
    return cfg, prepare(cfg)


@pytest.fixture(scope="module")
def compose_module():
    from alignment.cli import compose_config

    return lambda overrides: compose_config(overrides)


def test_default_targets_load_each_with_a_source(window):
    cfg, p = window
    targets = load_targets(TARGETS, p.world, cfg.world)
    names = [t.name for t in targets]
    assert len(names) == len(set(names)) and all(t.source for t in targets)
    assert {"trade.KAZ.RUS", "china_share.2019", "interactions_2015_total", "p1_no_state_above_half"} <= set(names)
    # nothing from 2022 on is a target
    assert not [n for n in names if any(str(y) in n for y in range(2022, 2036))]


def test_trade_pair_tolerance_is_the_pairs_own_reporter_mirror_gap(window):
    cfg, p = window
    t = {x.name: x for x in load_targets(TARGETS, p.world, cfg.world)}["trade.KAZ.RUS"]
    rep = world_data(cfg.world)["trade_usd_bn"]["values"]["KAZ"]["RUS"]
    mir = world_data(cfg.world)["trade_mirror_usd_bn"]["values"]["KAZ"]["RUS"]
    gaps = [abs(np.log(rep[y] / mir[y])) for y in range(2016, 2021)]
    assert t.tolerance == pytest.approx(max(0.15, float(np.mean(gaps))))
    assert t.value == pytest.approx(np.mean([rep[y] for y in range(2016, 2021)]))
    assert t.relative


@pytest.mark.parametrize(
    "entry, key, words",
    [
        ({"kind": "vibes", "source": "x"}, "targets.bad.kind", "allowed kinds"),
        ({"kind": "interactions", "year": 2015, "measure": "total", "value": 60, "tolerance": 8}, "targets.bad.source", "needs 'source'"),
        ({"kind": "pattern", "check": "world_peace", "source": "x"}, "targets.bad.check", "known checks"),
        ({"kind": "remittances", "state": "AFG", "year": 2018, "value": 1, "tolerance": 1, "source": "x"}, "targets.bad.state", "known states"),
        ({"kind": "interactions", "year": 2015, "measure": "smiles", "value": 1, "tolerance": 1, "source": "x"}, "targets.bad.measure", "known measures"),
        ({"kind": "trade_by_pair", "years": [2016, 2020], "partners": ["XXX"], "tolerance": 0.2, "source": "x"}, "targets.bad.partners", "unknown partner"),
        ({"kind": "corridor_volume", "corridor": "SILK", "unit": "teu", "year": 2019, "value": 1e5, "tolerance": 0.2, "source": "x"},
         "targets.bad.corridor", "known corridors"),
        ({"kind": "corridor_volume", "corridor": "MIDDLE", "unit": "boxes", "year": 2019, "value": 1e5, "tolerance": 0.2, "source": "x"},
         "targets.bad.unit", "allowed units"),
        ({"kind": "corridor_volume", "corridor": "MIDDLE", "unit": "teu", "year": 2019, "value": 0, "tolerance": 0.2, "source": "x"},
         "targets.bad", "must be > 0"),
    ],
)
def test_bad_targets_are_named(window, entry, key, words):
    cfg, p = window
    with pytest.raises(ConfigError) as err:
        load_targets({"bad": entry}, p.world, cfg.world)
    assert err.value.key == key and words in str(err.value)


def test_loss_is_zero_on_the_record_and_capped_far_from_it():
    hit = Target("hit", "interactions", 60.0, 8.0, False, 2.0, "s", lambda m: 60.0)
    near = Target("near", "interactions", 60.0, 8.0, False, 1.0, "s", lambda m: 64.0)  # half a tolerance: (4/8)^2 = 0.25
    far = Target("far", "interactions", 60.0, 8.0, False, 1.0, "s", lambda m: 600.0)  # 67 tolerances: capped
    rel = Target("rel", "trade_by_pair", 1.0, 0.2, True, 1.0, "s", lambda m: np.exp(0.1))  # log error 0.1: (0.1/0.2)^2
    pat = Target("pat", "pattern", float("nan"), 0.0, False, 3.0, "s", lambda m: 0.0)  # failed: counts as missed by the cap
    tab = evaluate([hit, near, far, rel, pat], models=[None, None])
    assert tab["loss_term"].tolist() == pytest.approx([0.0, 0.25, TERM_CAP, 0.25, 3.0 * TERM_CAP])
    assert tab["met"].tolist() == [True, True, False, True, False]
    assert loss(tab) == pytest.approx((0 + 0.25 + 25 + 0.25 + 3.0 * 25) / (2 + 1 + 1 + 1 + 3))


def test_default_model_meets_the_patterns_and_memberships(window):
    """Each pattern holds in at least half of 8 replicates (the definition of a met pattern), memberships in all."""
    from alignment.runs import run_replicates

    cfg, p = window
    tab = evaluate(load_targets(TARGETS, p.world, cfg.world), run_replicates(p, 8))
    assert tab.loc[tab["kind"].isin(["pattern", "membership"]), "met"].all()
    assert (tab.loc[tab["kind"] == "membership", "model_mean"] == tab.loc[tab["kind"] == "membership", "value"]).all()
    assert np.isfinite(loss(tab)) and (tab["model_p05"] <= tab["model_p95"]).all()


def test_corridor_volume_target_reads_the_years_mean_in_teu_or_tonnes(window):
    """A corridor target compares the year's mean volume in logs: a run carrying a steady 60,000 TEU a year on the
    Middle Corridor has 600,000 t at 10 t per TEU, so the 2021 record of 586,000 t is log(600/586) = 0.024 off (met)."""
    from types import SimpleNamespace

    cfg, p = window
    targets = {t.name: t for t in load_targets(TARGETS, p.world, cfg.world)}
    t = targets["middle_tonnes_2021"]
    assert t.relative and t.value == 586000 and t.tolerance == 0.25
    k = p.world.corridors.index("MIDDLE")
    volume = np.zeros((7 * 12, len(p.world.corridors)))
    volume[:, k] = 60000.0
    run = SimpleNamespace(start=2015 * 12, world=p.world, p=SimpleNamespace(tonnes_per_teu=10.0), rec={"volume": volume})
    assert t.statistic(run) == pytest.approx(600000.0)
    row = evaluate([t], [run]).iloc[0]
    assert row["error"] == pytest.approx(np.log(600 / 586)) and row["met"]
    assert targets["northern_teu_2019"].statistic(run) == 0.0  # the other corridor carries nothing in this run
