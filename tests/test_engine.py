"""The batched engine: a run inside a batch is the run alone, random streams belong to runs, memory stays flat."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignment.cli import compose_config
from alignment.engine import Engine, simulate
from alignment.engine.streams import EXTERNAL_FORMS as EXTERNAL, NOISE, Stream, generator, poisson_counts
from alignment.model import AlignmentModel
from alignment.runs import prepare


@lru_cache(maxsize=4)
def prepared(scenario):
    return prepare(compose_config([f"scenario={scenario}"]))


# Parameters a sweep may vary, over wide ranges; the scenario and seed too
CONFIG = st.fixed_dictionaries(
    {
        "hedging_base": st.floats(0.0, 1.0),
        "dependence_aversion": st.floats(0.0, 15.0),
        "rivalry_weight": st.floats(0.0, 3.0),
        "unga_region_position": st.floats(-1.5, 0.5),
        "unga_nonaligned_position": st.floats(-2.5, 0.0),
        "hysteresis": st.floats(0.0, 10.0),
        "regime_security_weight": st.floats(0.0, 8.0),
        "budget_response": st.floats(0.0, 8.0),
        "multilateral_resistance": st.floats(0.0, 1.0),
        "arms_alliance_gain": st.floats(0.0, 8.0),
        "temperature": st.floats(0.3, 5.0),
        "adjustment_rate": st.floats(0.0, 0.5),
        "noise_scale": st.floats(0.0, 0.2),
        "channel_trade": st.floats(0.0, 8.0),
        "channel_security": st.floats(0.0, 8.0),
        "gdp_elasticity": st.floats(0.5, 1.3),
        "cost_elasticity": st.floats(1.0, 8.0),
        "gdp_growth_pct_per_year": st.floats(-3.0, 8.0),
        "logit_scale_usd": st.floats(300.0, 3000.0),
        "construction_lag_months": st.integers(1, 24),
        "max_capacity_growth_share": st.floats(0.0, 0.3),
        "base_rate_per_pair_month": st.floats(0.0, 2.0),
        "cohesion_gain": st.floats(0.0, 2.0),
        "engagement_focus": st.floats(0.0, 3.0),
        "engagement_rivalry": st.floats(0.0, 3.0),
        "threat_urgency": st.floats(0.0, 10.0),
        "expansion_response_share": st.floats(0.0, 1.0),
        "diversion_share": st.floats(0.0, 0.5),
        "kind_base_logits": st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4),
        "external_kind_probabilities": st.sampled_from([[0.0, 0.35, 0.35, 0.3], [0.1, 0.2, 0.3, 0.4]]),
    }
)
RUN = st.tuples(CONFIG, st.sampled_from(["historical", "no_war_2022"]), st.integers(0, 2**32 - 1))


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(st.lists(RUN, min_size=10, max_size=12))
def test_every_run_of_a_batch_equals_the_mesa_model_run_alone(runs):
    """10+ drawn configurations (parameters, scenario, seed) stepped as one batch; each equals AlignmentModel alone
    (a batch of one) to the last bit: identical ledgers, memberships, sanctions and time series."""
    base = prepared("historical")
    params = [dataclasses.replace(base.params, **values) for values, _, _ in runs]
    events = [prepared(scenario).events for _, scenario, _ in runs]
    seeds = [seed for _, _, seed in runs]
    batch = simulate(base.world, params, events, base.start, base.end, seeds)
    for b, (q, ev, seed) in enumerate(zip(params, events, seeds)):
        alone = AlignmentModel(base.world, q, ev, base.start, base.end, seed=seed).run()
        view = batch.view(b)
        assert view.ledger == alone.ledger, b
        for key, arr in alone.rec.items():
            np.testing.assert_array_equal(view.rec[key], arr, err_msg=key)
        for year, status in alone.membership_history.items():
            np.testing.assert_array_equal(view.membership_history[year], status)
        assert set(view.sanction_history) == set(alone.sanction_history)


def test_a_batch_mixes_timelines_and_parameters_without_crosstalk():
    """The war is in one run and not in its neighbour: the neighbour is exactly the no-war run alone."""
    h, n = prepared("historical"), prepared("no_war_2022")
    fast = dataclasses.replace(h.params, adjustment_rate=0.2)
    batch = simulate(h.world, [h.params, fast, h.params], [h.events, n.events, n.events], h.start, h.end, [1, 1, 1])
    alone = simulate(h.world, [fast], [n.events], h.start, h.end, [1])
    for key in batch.rec:
        np.testing.assert_array_equal(batch.rec[key][:, 1], alone.rec[key][:, 0], err_msg=key)
    mid = h.world.corridors.index("MIDDLE")
    k2023 = 2023 * 12 - h.start
    assert batch.rec["volume"][k2023, 0, mid] > 1.5 * batch.rec["volume"][k2023, 2, mid]  # the war moved freight in run 0 only
    assert (batch.sanction_by_year[0].max(axis=(1, 2)) > 0).any() and not batch.sanction_by_year[2].any()


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    h = prepared("historical")
    e = simulate(h.world, [h.params] * 3, [h.events] * 3, h.start, 2019 * 12, [5, 5, 6])
    np.testing.assert_array_equal(e.rec["weights"][:, 0], e.rec["weights"][:, 1])
    assert e.ledger.rows(0) == e.ledger.rows(1) != e.ledger.rows(2)
    assert not np.array_equal(e.rec["weights"][:, 0], e.rec["weights"][:, 2])


def test_the_engine_rejects_mismatched_run_lists():
    h = prepared("historical")
    with pytest.raises(ValueError, match="one of each per run"):
        Engine(h.world, [h.params] * 2, [h.events], h.start, h.end, [0, 1])


def test_a_run_that_goes_non_finite_is_reported_and_its_neighbours_are_not():
    """A GDP growth that overflows trade in one run: that run is named failed, with the first bad indicator."""
    h = prepared("historical")
    wild = dataclasses.replace(h.params, gdp_growth_pct_per_year=1e300)
    e = simulate(h.world, [h.params, wild], [h.events, h.events], h.start, h.end, [0, 0])
    fail = e.failures()
    assert fail[0] == "" and fail[1].startswith("non-finite ") and "2022-01" in fail[1]  # GDP data end in 2021
    assert np.isfinite(e.rec["weights"][:, 0]).all()


# ----------------------------------------------------------------------------- random streams
def test_a_runs_numbers_are_its_generators_numbers_whatever_the_batch():
    """Takes of different sizes, across chunk boundaries, give each run its generator's sequence in order."""
    s = Stream([11, 12, 13], EXTERNAL, chunk=64)
    a = s.take(45)
    r = s.take_ragged(np.array([100, 0, 7]))
    c = s.take(30)
    ref = generator(11, EXTERNAL).random(256)
    np.testing.assert_array_equal(np.concatenate([a[0], r[:100], c[0]]), ref[:175])
    ref13 = generator(13, EXTERNAL).random(128)
    np.testing.assert_array_equal(np.concatenate([a[2], r[100:], c[2]]), ref13[:82])
    np.testing.assert_array_equal(c[1], generator(12, EXTERNAL).random(128)[45:75])  # run 12 took nothing in between
    alone = Stream([13], EXTERNAL, chunk=64)
    np.testing.assert_array_equal(np.concatenate([alone.take(45)[0], alone.take_ragged(np.array([7])), alone.take(30)[0]]),
                                  np.concatenate([a[2], r[100:], c[2]]))


def test_streams_of_one_seed_are_independent_by_purpose():
    u = Stream([3], EXTERNAL).take(1000)[0]
    z = Stream([3], NOISE, normal=True).take(1000)[0]
    assert abs(np.corrcoef(u, z)[0, 1]) < 0.1 and abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1


def test_poisson_counts_by_inversion_hand_checked():
    """lambda = 1: P(X<=0) = e^-1 = 0.3679, P(X<=1) = 0.7358, P(X<=2) = 0.9197, P(X<=3) = 0.9810."""
    u = np.array([[0.30, 0.37, 0.50, 0.80, 0.95, 0.99]])
    np.testing.assert_array_equal(poisson_counts(np.ones_like(u), u), [[0, 1, 1, 2, 3, 4]])
    np.testing.assert_array_equal(poisson_counts(np.array([[0.0, np.nan, np.inf, -1.0]]), np.full((1, 4), 0.99)), [[0, 0, 0, 0]])


@settings(max_examples=20, deadline=None)
@given(st.floats(0.05, 60.0))
def test_poisson_counts_have_the_poisson_mean_and_variance(lam):
    u = np.random.default_rng(0).random((1, 40_000))
    k = poisson_counts(np.full_like(u, lam), u)
    se = np.sqrt(lam / u.size)
    assert abs(k.mean() - lam) < 5 * se and abs(k.var() / lam - 1) < 0.06


# ----------------------------------------------------------------------------- memory
def test_finished_mesa_models_are_freed(compose):
    """Mesa's class-level id counter (mesa.Agent._ids, Mesa issue 3179) would keep every model alive."""
    import mesa

    from alignment.runs import build_model

    cfg = compose(["horizon.end=2015-03", "horizon.drop_later_events=true"])
    refs = []
    for _ in range(3):
        m = build_model(cfg).run()
        refs.append(weakref.ref(m))
        del m
    gc.collect()
    assert all(r() is None for r in refs)
    assert not any(isinstance(k, AlignmentModel) for k in getattr(mesa.Agent, "_ids", {}))  # Mesa 3.4+ has none


def test_without_the_ledger_every_other_number_is_the_same():
    """Forms and levels of contacts have streams of their own and feed nothing but the ledger."""
    h = prepared("historical")
    with_ = simulate(h.world, [h.params] * 2, [h.events] * 2, h.start, 2023 * 12, [3, 4])
    without = simulate(h.world, [h.params] * 2, [h.events] * 2, h.start, 2023 * 12, [3, 4], ledger=False)
    for key in with_.rec:
        np.testing.assert_array_equal(with_.rec[key], without.rec[key], err_msg=key)
    assert without.ledger is None and len(with_.ledger.rows(0)) > 500


def test_yearly_records_are_the_means_of_the_monthly_ones():
    """A horizon starting in March: the first year's mean is over its ten months."""
    h = prepare(compose_config(["horizon.start=2016-03", "horizon.end=2018-06", "horizon.drop_later_events=true"]))
    monthly = simulate(h.world, [h.params] * 2, [h.events] * 2, h.start, h.end, [1, 2])
    yearly = simulate(h.world, [h.params] * 2, [h.events] * 2, h.start, h.end, [1, 2], yearly=True)
    for key, arr in monthly.rec.items():
        np.testing.assert_allclose(yearly.rec[key][0], arr[:10].mean(axis=0), rtol=1e-12, err_msg=key)  # 2016-03..12
        np.testing.assert_allclose(yearly.rec[key][1], arr[10:22].mean(axis=0), rtol=1e-12, err_msg=key)
        np.testing.assert_allclose(yearly.rec[key][2], arr[22:].mean(axis=0), rtol=1e-12, err_msg=key)  # 2018-01..06
