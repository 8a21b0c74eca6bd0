"""The observation model and the alignment decision rule's new terms (hand-computed expectations),
the observation record's loader, its targets, and the war-economy and re-export mechanics."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from alignment.errors import ConfigError
from alignment.mechanisms import alignment as al
from alignment.mechanisms import observation as ob
from alignment.world.observations import build_observations, load_observations

from strategies import assert_batch_matches_singles

STATES = ["KAZ", "UZB", "KGZ", "TJK", "TKM"]
POWERS = ["RUS", "CHN", "USA", "EU", "GBR", "TUR", "IRN"]
CATALOGUE = POWERS + ["JPN", "KOR", "IND", "GCC"]


# ----------------------------------------------------------------------------- measurement equations
def test_state_position_is_the_region_at_an_even_split_and_follows_the_weights():
    x = np.array([0.0, 3.0, -3.0])  # mean 0
    even = np.full((1, 1, 3), 1 / 3)
    np.testing.assert_allclose(ob.state_positions(even, x, -0.6, 2.0), [[-0.6]], atol=1e-12)
    # 0.5 on the power at 3, 0.25 on each other: -0.6 + 2 * (0.5 * 3 + 0.25 * 0 + 0.25 * -3) = -0.6 + 1.5
    np.testing.assert_allclose(ob.state_positions(np.array([[[0.25, 0.5, 0.25]]]), x, -0.6, 2.0), [[0.9]], atol=1e-12)
    # the positions are centred on the powers' mean: shifting every power leaves a state where it was
    np.testing.assert_allclose(ob.state_positions(np.array([[[0.25, 0.5, 0.25]]]), x + 5.0, -0.6, 2.0), [[0.9]], atol=1e-12)


def test_unga_agreement_falls_with_distance_through_the_fitted_link():
    # intercept ln 3, slope 1: at the power's own position odds 3 (0.75); one unit to the left odds 3 / e
    out = ob.unga_agreement(np.array([[0.0, -1.0]]), np.array([0.0]), np.array([math.log(3.0)]), np.array([1.0]))
    np.testing.assert_allclose(out[0, :, 0], [0.75, 3 / math.e / (1 + 3 / math.e)], atol=1e-12)


def test_the_link_fit_recovers_a_known_link():
    from alignment.world.observations import fit_unga_link

    rng = np.random.default_rng(0)
    xs, xp = rng.normal(-0.6, 0.3, (7, 5)), np.array([[0.1, -0.4, 2.6]] * 7) + rng.normal(0, 0.05, (7, 3))
    a0, g = np.array([1.5, 2.0, 1.6]), np.array([0.3, -0.35, 0.9])
    a = 1 / (1 + np.exp(-(a0 + g * (xs[:, :, None] - xp[:, None, :]))))
    a[0, 0, 0] = np.nan  # a missing dyad-year is skipped
    fit = fit_unga_link(a, xs, xp)
    np.testing.assert_allclose(fit[0], a0, atol=1e-9)
    np.testing.assert_allclose(fit[1], g, atol=1e-9)


def test_the_recorded_link_says_who_the_states_vote_with(block):
    """Fitted on the 2015-2021 record: the further right (toward the West) a state stands, the more it votes with the
    United States and the less with Iran; agreement with China is the highest of all at the C5's mean position."""
    obs = load_observations(block, STATES, POWERS, STATES, CATALOGUE)
    a0, g = obs.unga_link()
    slope = dict(zip(POWERS, g))
    assert slope["USA"] > 0.5 and slope["IRN"] < -0.5 and slope["GBR"] > 0 and slope["RUS"] > 0
    # the link reproduces the record's level within 0.03 on average
    pred = 1 / (1 + np.exp(-(a0 + g * (obs.state_position[:, :, None] - obs.power_position[:, None, :]))))
    assert np.nanmean(np.abs(pred - obs.unga)) < 0.03


def test_arms_import_shares_hand_numbers():
    w = np.array([[[0.5, 0.3, 0.2]]])
    supplier = np.array([True, True, False])
    # elasticity 1, no alliance: the suppliers' weights renormalised; the non-supplier gets nothing
    np.testing.assert_allclose(ob.arms_import_shares(w, np.zeros_like(w), supplier, 1.0, 0.0), [[[0.625, 0.375, 0.0]]], atol=1e-12)
    # an alliance tie of 1 on the first with gain ln 3 triples its odds: 1.5 : 0.3
    alliance = np.array([[[1.0, 0.0, 0.0]]])
    np.testing.assert_allclose(ob.arms_import_shares(w, alliance, supplier, 1.0, math.log(3.0)),
                               [[[1.5 / 1.8, 0.3 / 1.8, 0.0]]], atol=1e-12)
    # elasticity 2 squares the weights: 0.25 : 0.09
    np.testing.assert_allclose(ob.arms_import_shares(w, np.zeros_like(w), supplier, 2.0, 0.0),
                               [[[0.25 / 0.34, 0.09 / 0.34, 0.0]]], atol=1e-12)


def test_observation_functions_take_per_run_parameters():
    rng = np.random.default_rng(1)
    B, N, P = 4, 3, 5
    w = rng.dirichlet(np.ones(P), size=(B, N))
    x = rng.normal(0, 1, (B, P))
    assert_batch_matches_singles(lambda w, x, r, s: ob.state_positions(w, x, r, s),
                                 [w, x, rng.uniform(-1, 0, B), rng.uniform(0.5, 3, B)])
    alliance = rng.uniform(0, 1.5, (B, N, P))
    assert_batch_matches_singles(lambda w, a, k, g: ob.arms_import_shares(w, a, [True] * 4 + [False], k, g),
                                 [w, alliance, rng.uniform(0.2, 3, B), rng.uniform(0, 5, B)])


# ----------------------------------------------------------------------------- the decision rule's new terms
def test_rivalry_pushes_away_from_the_rivals_of_the_power_one_is_pulled_to():
    channels = np.zeros((1, 6, 1, 3))
    channels[0, 0, 0] = [1.0, 0.0, 0.0]  # trade pull toward power 0 only
    rivalry = np.array([[0.0, 1.0, 0.2], [1.0, 0.0, 0.5], [0.2, 0.5, 0.0]])
    zero = np.zeros((1, 3))
    out = al.attraction_scores(channels, [1, 0, 0, 0, 0, 0], zero, zero, np.zeros((1, 1)), 0.0, 0.0, rivalry, 0.5)
    # push_p = 0.5 * sum_q pull_q * rivalry[q, p] / (P - 1) = 0.5 * [0, 1, 0.2] / 2
    np.testing.assert_allclose(out, [[[1.0, -0.25, -0.05]]], atol=1e-12)


def test_dependence_discounts_pull_by_the_weight_already_held():
    channels = np.zeros((1, 6, 1, 2))
    channels[0, 0, 0] = [1.0, 1.0]
    zero = np.zeros((1, 2))
    w = np.array([[[0.8, 0.2]]])
    out = al.attraction_scores(channels, [1, 0, 0, 0, 0, 0], zero, zero, np.zeros((1, 1)), 0.0, 0.0, weights=w, dependence_aversion=2.0)
    np.testing.assert_allclose(out, [[[1.0 - 1.6, 1.0 - 0.4]]], atol=1e-12)


def test_per_state_adjustment_rate_damps_without_freezing():
    w = np.array([[[0.5, 0.5], [0.5, 0.5]]])
    target = np.array([[[0.9, 0.1], [0.9, 0.1]]])
    rate = np.array([[[0.2], [0.1]]])  # the second state (neutral) adjusts at half the rate
    out = al.update_weights(w, target, rate, np.zeros_like(w), 0.0)
    np.testing.assert_allclose(out, [[[0.58, 0.42], [0.54, 0.46]]], atol=1e-12)


# ----------------------------------------------------------------------------- the record and its loader
@pytest.fixture(scope="module")
def block():
    from pathlib import Path

    return build_observations(Path(__file__).parent / "data" / "shared", STATES, CATALOGUE)


def test_record_read_as_the_source_gives_it(block):
    obs = load_observations(block, STATES, POWERS, STATES, CATALOGUE)
    i, j = STATES.index("KAZ"), POWERS.index("RUS")
    assert obs.unga[0, i, j] == pytest.approx(0.724) and obs.unga_votes[0, i, j] == 78  # weighted measure, 2015, n = 78
    # the EU is the mean of France and Germany: KAZ 2015 FRA 0.56, DEU 0.62 (EU_FRA_DEU 0.59)
    assert obs.unga[0, i, POWERS.index("EU")] == pytest.approx(0.59, abs=0.006)
    # SIPRI: KAZ imported TIV 442.5 from Russia in 2015; EU member states' deliveries count as the EU's
    assert obs.arms_tiv[0, i, j] == pytest.approx(442.5)
    assert obs.arms_shares()[i, j] == pytest.approx(0.932 / (1 - 0.020), abs=0.002)  # window share among the model's powers
    assert not obs.supplier[POWERS.index("IRN")] and obs.supplier[POWERS.index("TUR")]
    # ideal points: the USA far from Russia, Russia closer to China than to the USA
    x = dict(zip(POWERS, obs.ideal_point))
    assert x["USA"] - x["RUS"] > 2.0 and abs(x["RUS"] - x["CHN"]) < abs(x["RUS"] - x["USA"]) / 3
    # the states' positions and their uncertainty: KAZ 2015 -0.588, 90 % interval -0.87 to -0.33
    assert obs.state_position[0, 0] == pytest.approx(-0.588) and obs.state_position_se[0, 0] == pytest.approx(0.54 / 3.29)
    # co-sponsorship 2020: KAZ with Russia 0.318; none recorded before 2020
    assert obs.cosponsorship[5, 0, j] == pytest.approx(0.318) and np.isnan(obs.cosponsorship[:5]).all()
    # spring 2022: KAZ abstained twice and voted no once, as Russia voted no three times: agreement (0.5 + 0.5 + 1) / 3
    assert obs.spring_agreement()[0, j] == pytest.approx(2 / 3)
    assert np.isnan(obs.spring_agreement()[STATES.index("TKM")]).all()  # Turkmenistan cast none of the three


def test_a_run_without_a_power_skips_its_records(block):
    obs = load_observations(block, STATES, ["RUS", "CHN"], STATES, CATALOGUE)
    assert obs.unga.shape == (7, 5, 2)
    # deliveries from the powers left out count as "other"
    full = load_observations(block, STATES, POWERS, STATES, CATALOGUE)
    np.testing.assert_allclose(obs.arms_tiv.sum(axis=2), full.arms_tiv.sum(axis=2))


@pytest.mark.parametrize("edit, key, words", [
    (lambda b: b["unga_agreement"]["values"].__setitem__("AFG", {}), "world.observations.unga_agreement.values", "unknown"),
    (lambda b: b["unga_agreement"]["values"]["KAZ"].__setitem__("XXX", {}), "world.observations.unga_agreement.values.KAZ", "unknown"),
    (lambda b: b["unga_agreement"].__setitem__("measure", "vibes"), "world.observations.unga_agreement.measure", "known measures"),
    (lambda b: b.pop("arms_imports_tiv"), "world.observations.arms_imports_tiv", "missing"),
    (lambda b: b["unga_agreement"]["values"]["KAZ"]["RUS"].__setitem__(2016, [1.4, 70]), "world.observations.unga_agreement.values.KAZ.RUS.2016", "[0, 1]"),
    (lambda b: b["ideal_points"]["values"].__setitem__("ATL", {2015: 0.1}), "world.observations.ideal_points.values", "unknown actor"),
    (lambda b: b["ideal_points"]["values"].pop("UZB"), "world.observations.ideal_points.values.UZB", "every state needs"),
    (lambda b: b["ideal_points"]["values"]["KAZ"].__setitem__(2016, [0.2, -0.5, 0.1]), "world.observations.ideal_points.values.KAZ.2016", "low <= ideal point"),
    (lambda b: b["unga_spring_2022"]["resolutions"][0]["votes"].__setitem__("ATL", "yes"), "world.observations.unga_spring_2022.resolutions[0].votes", "unknown actor"),
    (lambda b: b["unga_spring_2022"]["resolutions"][1]["votes"].__setitem__("KAZ", "maybe"), "world.observations.unga_spring_2022.resolutions[1].votes.KAZ", "allowed"),
    (lambda b: b.pop("unga_spring_2022"), "world.observations.unga_spring_2022", "missing"),
])
def test_bad_observation_record_is_one_line_error(block, edit, key, words):
    b = copy.deepcopy(block)
    edit(b)
    with pytest.raises(ConfigError) as err:
        load_observations(b, STATES, POWERS, STATES, CATALOGUE)
    assert err.value.key == key and words in str(err.value) and "\n" not in str(err.value)


def test_missing_observation_file_is_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        build_observations(tmp_path, STATES, POWERS)
    assert "no such file" in str(err.value) and "alignment_observables_2015_2021.yaml" in str(err.value)


def test_missing_or_bad_spring_votes_file_is_one_line_error(tmp_path):
    import shutil

    import yaml
    from pathlib import Path

    shutil.copy(Path(__file__).parent / "data" / "shared" / "alignment_observables_2015_2021.yaml", tmp_path)
    with pytest.raises(ConfigError) as err:
        build_observations(tmp_path, STATES, POWERS)
    assert "unga_spring_2022_votes.yaml" in str(err.value) and "no such file" in str(err.value)
    votes = yaml.safe_load((Path(__file__).parent / "data" / "shared" / "unga_spring_2022_votes.yaml").read_text())
    votes["votes"][0]["votes"]["KAZ"] = "perhaps"
    (tmp_path / "unga_spring_2022_votes.yaml").write_text(yaml.safe_dump(votes))
    with pytest.raises(ConfigError) as err:
        build_observations(tmp_path, STATES, POWERS)
    assert err.value.key.endswith("votes[0].votes.KAZ") and "did_not_vote" in str(err.value)
    del votes["votes"][0]["votes"]["KAZ"]
    (tmp_path / "unga_spring_2022_votes.yaml").write_text(yaml.safe_dump(votes))
    with pytest.raises(ConfigError, match="every state and power"):
        build_observations(tmp_path, STATES, POWERS)


def test_unknown_measure_in_the_source_file_is_an_error(tmp_path):
    import yaml

    (tmp_path / "alignment_observables_2015_2021.yaml").write_text(yaml.safe_dump({
        "unga_agreement_adopted_resolutions": {"records": [{"state": "KAZ", "power": "RUS", "year": 2015, "measure": "unga_mood", "value": 0.5, "n": 3, "source": "x"}]},
        "arms_imports_sipri": {"annual": []}, "unga_ideal_points": {"records": []}}))
    with pytest.raises(ConfigError, match="known measures"):
        build_observations(tmp_path, STATES, POWERS)


# ----------------------------------------------------------------------------- targets on the record
def test_observation_targets_take_their_values_and_tolerances_from_the_record(compose):
    from alignment.fit.targets import load_targets
    from alignment.runs import prepare

    cfg = compose()
    world = prepare(cfg).world
    from alignment.cli import compose_config

    targets = {t.name: t for t in load_targets(compose_config([], config_name="calibrate").targets, world, cfg.world)}
    obs = world.observations
    j = POWERS.index("USA")
    t = targets["unga_agreement.KAZ.USA.2016"]
    assert t.value == pytest.approx(obs.unga[1, 0, j])
    # tolerance: one year's contrast among the five around the state's own level, by hand
    a = obs.unga[:, :, j]
    c = a - a.mean(axis=1, keepdims=True)
    r = c - c.mean(axis=0, keepdims=True)
    assert t.tolerance == pytest.approx(max(math.sqrt((r ** 2).sum() / (r.size - 5)), 0.01))
    assert 0.005 < t.tolerance < 0.03  # much tighter than the one-year SD of a level (0.03-0.05)
    assert sum(k.startswith("unga_agreement.") for k in targets) == 7 * 5 * 7  # every dyad-year
    p = targets["unga_positions.KAZ.2015"]
    assert p.value == pytest.approx(-0.588) and p.tolerance == pytest.approx(0.54 / 3.29)
    assert targets["unga_cosponsorship.UZB.RUS.2021"].value == pytest.approx(obs.cosponsorship[6, 1, POWERS.index("RUS")])
    # lumpy small importers get wide arms tolerances, the large steady one the floor
    assert targets["arms_shares.TJK.RUS"].tolerance > 0.1 and targets["arms_shares.KAZ.RUS"].tolerance == pytest.approx(0.05)
    assert "arms_shares.KAZ.GBR" not in targets  # GBR sold no major arms to the region: nothing to predict


@pytest.mark.parametrize("override, key, words", [
    ("+targets.arms_shares.powers=[GBR]", "targets.arms_shares.powers", "predicts no arms_share"),
    ("+targets.unga_agreement.powers=[JPN]", "targets.unga_agreement.powers", "predicts no unga_agreement"),
    ("targets.unga_agreement.tolerance=guess", "targets.unga_agreement.tolerance", "contrast_noise"),
    ("targets.unga_positions.years=[2030,2031]", "targets.unga_positions.years", "no unga_position record"),
    ("targets.unga_agreement.years=[2030,2031]", "targets.unga_agreement.years", "no observation record"),
])
def test_target_on_an_observable_the_model_does_not_produce_is_one_line_error(override, key, words):
    from alignment.cli import compose_config
    from alignment.fit.targets import load_targets
    from alignment.runs import prepare

    cfg = compose_config([override], config_name="calibrate")
    with pytest.raises(ConfigError) as err:
        load_targets(cfg.targets, prepare(cfg).world, cfg.world)
    assert err.value.key == key and words in str(err.value)


# ----------------------------------------------------------------------------- war economy and re-exports
def _engine(compose, events, overrides=(), B=1):
    from alignment.engine import Engine
    from alignment.runs import prepare

    p = prepare(compose(["horizon.end=2015-12", "horizon.drop_later_events=true", *overrides]))
    return Engine(p.world, [p.params] * B, [events] * B, p.start, p.end, list(range(B)))


def test_economy_shock_scales_the_power_and_what_reads_it(compose):
    from alignment.world.scenario import EconomyShock

    base = _engine(compose, [])
    shocked = _engine(compose, [EconomyShock(date=base.start, power="RUS", gdp_change_pct=-20.0)])
    base.step(), shocked.step()
    rus = base.partner_index["RUS"]
    assert shocked._gdp()[0, rus] == pytest.approx(0.8 * base._gdp()[0, rus])
    # remittances follow Russia's USD output with elasticity 1 (model.remittance_gdp_elasticity)
    np.testing.assert_allclose(shocked.remit, 0.8 * base.remit, rtol=1e-12)
    # gravity: trade with Russia falls, by about the GDP elasticity times the shock
    ratio = shocked.flows[0, :, rus] / base.flows[0, :, rus]
    assert np.all(ratio < 1.0) and np.all(ratio > 0.8 ** 1.2 * 0.95)


def test_economy_shock_below_minus_100_pct_is_refused(compose):
    from alignment.runs import prepare

    with pytest.raises(ConfigError, match=r"must be in \(-100, 1000\] \(%; a fall of 100 % or more leaves nothing\)"):
        prepare(compose(['+scenario.events=[{date: "2022-03", kind: economy, power: RUS, gdp_change_pct: -100}]']))


def _sanctioned_without_and_with_re_exports(compose):
    """Two engines one month into Western sanctions on Russia (intensity 0.8): no diversion, and half diverted."""
    from alignment.world.scenario import Sanctions

    start = _engine(compose, []).start
    events = [Sanctions(date=start, target="RUS", by=["EU", "USA", "GBR"], intensity=0.8)]
    a = _engine(compose, events, ["model.diversion_share=0.0"])
    b = _engine(compose, events, ["model.diversion_share=0.5"])
    a.step(), b.step()
    return a, b


def test_re_exports_do_not_push_away_from_the_sanctioned_power(compose):
    a, b = _sanctioned_without_and_with_re_exports(compose)
    rus = a.power_index["RUS"]
    assert (b.flows[0, :, rus] > a.flows[0, :, rus]).any()  # re-exports flow...
    np.testing.assert_allclose(b._exposure, a._exposure, rtol=1e-12)  # ...but exposure reads ordinary trade only


def test_re_export_access_runs_through_the_customs_union(compose):
    a, b = _sanctioned_without_and_with_re_exports(compose)
    rus = a.power_index["RUS"]
    gain = (b.flows[0, :, rus] - a.flows[0, :, rus]) / a._gdp()[0, len(a.world.powers):]
    s = a.state_index
    # EAEU members (KAZ, KGZ) re-export per unit of GDP far more than Tajikistan, outside the union
    assert gain[s["KGZ"]] > 3 * gain[s["TJK"]] and gain[s["KAZ"]] > 3 * gain[s["TJK"]]
