"""Sweeps that draw their points from a posterior file (``sweep.design.sampler=posterior``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.sweeps import design
from alignment.sweeps.cli import prepare_sweep, run_sweep
from alignment.sweeps.store import read_runs

SMALL = ["sweep=history", "sweep.name=post", "sweep.scenarios=[historical]", "sweep.summaries.indicators=[alignment_weight]", "sweep.design.sampler=posterior",
         "sweep.replicates=1", "sweep.batch_size=4", "horizon.end=2016-12", "horizon.drop_later_events=true",
         "progress=false", "executor.workers=1"]


@pytest.fixture
def posterior(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "study" / "posterior.parquet"
    path.parent.mkdir()
    pd.DataFrame({"model.temperature": rng.uniform(1, 3, 50), "model.noise_scale": rng.uniform(0.01, 0.03, 50)}).to_parquet(path)
    return path


def small(tmp_path, posterior, *extra):
    return compose_config([*SMALL, f"sweep.design.posterior={posterior}", f"results_dir={tmp_path / 'results'}", *extra],
                          config_name="sweep")


def test_draws_are_rows_of_the_file_and_stay_the_same_as_n_grows(posterior):
    file = pd.read_parquet(posterior)
    five, twenty = design.posterior_points(posterior, 5, 0), design.posterior_points(posterior.parent, 20, 0)
    pd.testing.assert_frame_equal(twenty.iloc[:5], five)
    rows = {tuple(r) for r in file.to_numpy()}
    assert all(tuple(r) in rows for r in twenty.to_numpy()) and len({tuple(r) for r in twenty.to_numpy()}) == 20
    assert not design.posterior_points(posterior, 5, 1).equals(five)  # another seed, other draws


def test_each_run_carries_its_draws_values(tmp_path, posterior):
    plan = prepare_sweep(small(tmp_path, posterior, "sweep.design.n=6"))
    assert plan.keys == ["model.temperature", "model.noise_scale"] and len(plan.runs) == 6
    out = run_sweep(small(tmp_path, posterior, "sweep.design.n=6"))
    runs = read_runs(out["root"])
    drawn = design.posterior_points(posterior, 6, 0)
    np.testing.assert_allclose(np.sort(runs["model.temperature"].to_numpy()), np.sort(drawn["model.temperature"].to_numpy()))


@pytest.mark.parametrize("extra, key, words", [
    (["sweep.design.n=51"], "sweep.design.n", "only 50 draws"),
    (["sweep.design.posterior=/no/such/posterior.parquet"], "sweep.design.posterior", "no such file"),
    (["sweep.design.posterior=null"], "sweep.design.posterior", "needs a posterior file"),
    (["+sweep.parameters.model={temperature:{low:1,high:2}}"], "sweep.parameters", "leave sweep.parameters empty"),
])
def test_bad_posterior_designs_are_one_line(tmp_path, posterior, extra, key, words):
    with pytest.raises(ConfigError) as err:
        prepare_sweep(small(tmp_path, posterior, *extra))
    assert str(err.value).startswith(key) and words in str(err.value)


def test_a_column_the_model_does_not_have_is_named(tmp_path, posterior):
    pd.DataFrame({"model.temperature": [1.0, 2.0], "model.no_such_thing": [0.1, 0.2]}).to_parquet(posterior)
    with pytest.raises(ConfigError, match=r"column model.no_such_thing: not a numeric model parameter"):
        prepare_sweep(small(tmp_path, posterior, "sweep.design.n=2"))


def test_another_posterior_file_is_another_design(tmp_path, posterior):
    run_sweep(small(tmp_path, posterior, "sweep.design.n=2"))
    pd.read_parquet(posterior).iloc[::-1].reset_index(drop=True).to_parquet(posterior)
    with pytest.raises(ConfigError, match="posterior_sha256"):
        run_sweep(small(tmp_path, posterior, "sweep.design.n=2"))
