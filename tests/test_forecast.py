"""alignment-forecast: the baselines, the scores, bad input, and a small rolling-origin forecast end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.fit import forecast as F


def _item(series, year, value, family="UN agreement", relative=False):
    return F.Item(family, series, year, value, 0.01, relative, lambda m: m)


def test_persistence_carries_the_last_value_forward_with_the_family_s_yearly_changes():
    history = {"a": {2015: 0.50, 2016: 0.60, 2017: 0.55, 2019: 0.9}, "b": {2016: 0.2, 2017: 0.3}}
    its = [_item("a", 2019, 0.9), _item("b", 2019, 0.1)]
    persistence, constant = F.baselines(its, history, 2017, 4000, np.random.default_rng(0))
    # yearly changes up to 2017 of the family: +0.10, -0.05 (a) and +0.10 (b); two years ahead: two of them summed
    assert set(np.round(persistence[0], 6)) == {0.75, 0.6, 0.45}
    assert abs(np.mean(persistence[0]) - (0.55 + 2 * 0.05)) < 0.01
    np.testing.assert_allclose(constant[0], [0.50, 0.60, 0.55])  # the record up to the origin, never 2019's
    np.testing.assert_allclose(constant[1], [0.2, 0.3])


def test_a_series_without_record_before_the_origin_has_no_baseline():
    p, c = F.baselines([_item("new", 2021, 0.3)], {"new": {2020: 0.2, 2021: 0.3}}, 2019, 10, np.random.default_rng(0))
    assert p == [None] and c == [None]


def test_crps_of_a_point_ensemble_is_the_absolute_error_and_pit_splits_ties():
    assert F.crps(1.0, np.array([3.0, 3.0])) == pytest.approx(2.0)
    assert F.pit(0.5, np.array([0.0, 0.5, 0.5, 1.0]), u=0.5) == pytest.approx(0.5)
    assert F.pit(2.0, np.array([0.0, 1.0]), u=0.3) == 1.0


def test_skill_compares_mean_crps_and_its_interval_holds_the_estimate():
    scores = pd.DataFrame({"family": ["UN agreement"] * 4, "year": [2019] * 4, "crps_model": [1.0, 1.0, 1.0, 1.0],
                           "crps_persistence": [2.0, 2.0, 2.0, 2.0], "crps_constant": [1.0, 1.0, 0.5, 0.5],
                           "in_50": [True, False, True, False], "in_90": [True] * 4})
    t = F.skill_table(scores, 2018, 500, np.random.default_rng(0)).iloc[0]
    assert t.skill_persistence == pytest.approx(0.5) and t.ci_low == pytest.approx(0.5) and t.ci_high == pytest.approx(0.5)
    assert t.skill_constant == pytest.approx(1 - 1 / 0.75) and t.ci_low_constant <= t.skill_constant <= t.ci_high_constant
    assert t.coverage_50 == 0.5 and t.coverage_90 == 1.0 and t["items"] == 4


INFER = ["infer.simulations=300", "infer.chunk=150", "infer.sbc_simulations=20", "infer.predictive_simulations=20",
         "infer.draws=100", "infer.sbc_samples=20", "infer.max_epochs=5"]


def small(tmp_path, *extra):
    return compose_config([f"results_dir={tmp_path}", "progress=false", "executor.workers=1", "forecast.origins=[2019]",
                           "forecast.draws=20", "forecast.bootstrap=200",
                           "forecast.infer=[" + ",".join(f"'{o}'" for o in INFER) + "]",
                           "forecast.frozen.draws=20", "forecast.frozen.years=[2026,2027]",
                           f"forecast.frozen.posterior={tmp_path}/inference/origin_2019/posterior.parquet", *extra],
                          config_name="forecast")


@pytest.mark.parametrize("override, key, words", [
    ("forecast.origins=[2015]", "forecast.origins[0]", "2016-2020"),
    ("forecast.origins=[2021]", "forecast.origins[0]", "2016-2020"),
    ("forecast.origins=[]", "forecast.origins", "at least one"),
    ("forecast.draws=5", "forecast.draws", ">= 20"),
    ("forecast.frozen.posterior=/no/such.parquet", "forecast.frozen.posterior", "no such posterior"),
    ("forecast.frozen.years=[2020,2030]", "forecast.frozen.years", "2022-2035"),
])
def test_bad_forecast_input_is_one_line_before_anything_runs(tmp_path, override, key, words):
    cfg = small(tmp_path, override, "forecast.frozen.enabled=" + ("true" if "frozen" in override else "false"))
    with pytest.raises(ConfigError) as err:
        F.prepare_forecast(cfg)
    assert str(err.value).startswith(key) and words in str(err.value)
    assert not (tmp_path / "forecasts").exists() and not (tmp_path / "inference").exists()


def test_fewer_draws_than_asked_is_refused(tmp_path):
    path = tmp_path / "post.parquet"
    pd.DataFrame({"model.temperature": [1.0, 2.0]}).to_parquet(path)
    with pytest.raises(ConfigError, match="only 2 draws"):
        F.prepare_forecast(small(tmp_path, f"forecast.frozen.posterior={path}"))


@pytest.mark.slow
def test_a_small_rolling_origin_forecast_and_frozen_forecast(tmp_path):
    # the frozen forecast reads a small posterior of two parameters around their defaults (the origin study's
    # own posterior is covered by the rolling origin)
    rng = np.random.default_rng(0)
    post = tmp_path / "post" / "posterior.parquet"
    post.parent.mkdir()
    pd.DataFrame({"model.temperature": rng.uniform(1.4, 1.8, 30), "model.noise_scale": rng.uniform(0.03, 0.06, 30),
                  "discrepancy.un": rng.uniform(0.1, 1, 30)}).to_parquet(post)
    out = F.run_forecast(small(tmp_path, f"forecast.frozen.posterior={post}"))
    skill = pd.read_csv(tmp_path / "forecasts" / "skill.csv")
    for col in ("origin", "target", "crps_model", "crps_persistence", "crps_constant", "skill_persistence", "ci_low", "ci_high"):
        assert col in skill.columns
    assert set(skill.origin) == {2019} and {"UN agreement", "trade shares", "corridor volumes"} <= set(skill.target)
    assert (skill.ci_low <= skill.skill_persistence + 1e-12).all() and (skill.skill_persistence <= skill.ci_high + 1e-12).all()
    scores = out["scores"]
    assert scores.year.min() == 2020 and scores.year.max() == 2021  # only years after the origin are scored
    assert (tmp_path / "figures" / "forecast_skill.png").stat().st_size > 10_000
    frozen = pd.read_parquet(tmp_path / "forecasts" / "forecast_2026_2027.parquet")
    assert {"q05", "q25", "q50", "q75", "q95"} <= set(frozen.columns) and set(frozen.year) == {2026, 2027}
    assert len(set(frozen.scenario)) == 8 and {"alignment_weight", "unga_agreement", "trade_share", "corridor_volume_teu"} <= set(frozen.indicator)
    q = frozen[["q05", "q25", "q50", "q75", "q95"]].to_numpy()
    assert (np.diff(q, axis=1) >= -1e-12).all()
    meta = json.loads((tmp_path / "forecasts" / "forecast_2026_2027.json").read_text())
    assert meta["draws"] == 20 and meta["command"].startswith("alignment-forecast") and len(meta["posterior_sha256"]) == 16
    assert (frozen.runs == 20 * meta["replicates"]).all()
    # frozen: a forecast from the same posterior and settings stands; another posterior or size does not
    cfg = small(tmp_path, f"forecast.frozen.posterior={post}")
    assert F._standing(tmp_path / "forecasts" / "forecast_2026_2027.json", tmp_path / "forecasts" / "forecast_2026_2027.parquet",
                       cfg)["made"] == meta["made"]
    assert F._standing(tmp_path / "forecasts" / "forecast_2026_2027.json", tmp_path / "forecasts" / "forecast_2026_2027.parquet",
                       small(tmp_path, f"forecast.frozen.posterior={post}", "forecast.frozen.draws=30")) is None
