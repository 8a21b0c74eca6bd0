"""alignment-infer: summaries and their noise model, the prior's coordinates, the diagnostics, bad input, and a
small study end to end (resumes, same seed same posterior)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.fit import infer as I
from alignment.fit.targets import Target


def _target(name, kind="interactions", value=10.0, tol=2.0, relative=False, stat=None):
    return Target(name, kind, value, tol, relative, 1.0, "test", stat or (lambda m: m[name]))


# ------------------------------------------------------------------ summaries
def test_an_error_is_counted_in_tolerances_and_a_pattern_is_zero_or_one():
    targets = [_target("a"), _target("b", kind="corridor_volume", value=100.0, tol=0.25, relative=True),
               _target("c"), _target("p", kind="pattern", value=float("nan"), tol=0.0)]
    runs = [{"a": 14.0, "b": 100.0 * np.exp(0.5), "c": float("nan"), "p": 1.0},
            {"a": 6.0, "b": 100.0, "c": -1000.0, "p": 0.0}]
    # (14 - 10) / 2 = 2; log(e^0.5) / 0.25 = 2; an undefined statistic is FAR off; the pattern as it is
    np.testing.assert_allclose(I.errors(targets, runs), [[2.0, 2.0, I.FAR, 1.0], [-2.0, 0.0, -505.0, 0.0]])
    np.testing.assert_array_equal(I.observed(targets), [0.0, 0.0, 0.0, 1.0])


def test_the_noise_is_the_record_s_and_the_family_s_discrepancy_squashed_into_the_cap():
    targets = [_target("a"), _target("u", kind="unga_agreement"), _target("p", kind="pattern", value=float("nan"), tol=0.0)]
    n = 20000
    e = np.tile([0.0, 0.0, 1.0], (n, 1))
    sigma = np.tile([0.0, np.sqrt(3.0)], (n, 1))  # regional: none; un: sqrt(3), so sqrt(1 + 3) = 2 tolerances in all
    x = I.noisy(e, targets, sigma, ["regional", "un"], np.random.default_rng(1))
    raw = 5.0 * np.arctanh(x[:, :2] / 5.0)
    assert abs(raw[:, 0].std() - 1.0) < 0.03 and abs(raw[:, 1].std() - 2.0) < 0.06
    assert set(x[:, 2]) == {1.0} and np.abs(x[:, :2]).max() < I.CAP
    far = I.noisy(np.array([[1000.0, -1000.0, 0.0]]), targets, None, [], np.random.default_rng(0))
    assert far[0, 0] == pytest.approx(I.CAP) and far[0, 1] == pytest.approx(-I.CAP)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
def test_the_unbounded_coordinates_map_back_onto_the_box(fractions):
    inf = I.Inference(None, [], {"a": (0.5, 8.0, False, False), "b": (0.01, 0.2, True, False), "c": (-2.5, 0.0, False, False)})
    lo, hi = inf.bounds
    z = lo + np.clip(np.array([fractions]), 1e-6, 1 - 1e-6) * (hi - lo)
    np.testing.assert_allclose(inf.from_unbounded(inf.to_unbounded(z)), z, rtol=1e-7, atol=1e-9)
    values = inf.to_values(z)
    assert 0.01 <= values[0, 1] <= 0.2 and np.isclose(inf.to_coords(values), z).all()


def test_prior_draws_fill_the_box_and_are_log_uniform_where_asked():
    inf = I.Inference(None, [], {"a": (0.0, 2.0, False, False), "b": (0.01, 1.0, True, False)})
    v = inf.to_values(I.prior_draws(inf, np.random.default_rng(0), 20000))
    assert 0.0 <= v[:, 0].min() and v[:, 0].max() <= 2.0 and abs(v[:, 0].mean() - 1.0) < 0.02
    assert abs(np.mean(v[:, 1] < 0.1) - 0.5) < 0.02  # half the log range lies below 0.1


# ------------------------------------------------------------------ diagnostics
def test_contraction_is_zero_for_the_prior_and_near_one_for_a_point():
    inf = I.Inference(None, [], {"a": (0.0, 1.0, False, False), "b": (0.0, 4.0, False, False)})
    rng = np.random.default_rng(0)
    draws = np.column_stack([rng.random(50000), 2.0 + 0.01 * rng.standard_normal(50000)])
    c = I.contraction(inf, draws)
    assert abs(c[0]) < 0.02 and c[1] > 0.999


def test_predictive_coverage_counts_the_record_inside_the_central_intervals():
    targets = [_target("inside"), _target("outside"), _target("edge"), _target("p", kind="pattern", value=float("nan"), tol=0.0)]
    n = 1001
    grid = np.linspace(-1.0, 1.0, n)
    x = np.column_stack([grid, grid + 2.0, grid + 0.6, np.r_[np.ones(700), np.zeros(n - 700)]])
    c = I.predictive_coverage(targets, x)
    # 0 lies in the middle of the first, beyond the second; for the third it sits at its 20th percentile:
    # inside the 90 % interval (5th-95th), outside the 50 % one (25th-75th)
    assert c["coverage_90"] == pytest.approx(2 / 3) and c["coverage_50"] == pytest.approx(1 / 3)
    assert c["missed_90"] == ["outside"] and c["patterns_hold"] == {"p": pytest.approx(0.7, abs=1e-3)}


# ------------------------------------------------------------------ bad input
def small(tmp_path, *extra):
    return compose_config(["infer.name=t", f"infer.results_dir={tmp_path}", "infer.simulations=300", "infer.chunk=100",
                           "infer.restrict_to_patterns=false", "horizon.end=2017-12",  # a short record: quick runs
                           "infer.sbc_simulations=20", "infer.predictive_simulations=20", "infer.draws=100",
                           "infer.sbc_samples=20", "infer.max_epochs=5", "infer.progress=false", "executor.workers=1",
                           *extra], config_name="infer")


@pytest.mark.parametrize("override, key, words", [
    ("infer.library=pyabc", "infer.library", "known: sbi"),
    ("infer.method=smc", "infer.method", "known: npe"),
    ("infer.density_estimator=gp", "infer.density_estimator", "known: maf"),
    ("infer.simulations=10", "infer.simulations", ">= 100"),
    ("infer.predictive_simulations=500", "infer.predictive_simulations", "infer.draws"),
    ("search.temperature.low=-1", "search.temperature.low", "log-scale"),
    ("search.hysteresis.high=1000", "search.hysteresis.high", "must be in"),
    ("executor=nope", None, None),
])
def test_bad_inference_input_is_one_line_before_anything_runs(tmp_path, override, key, words):
    if key is None:
        with pytest.raises(Exception):
            small(tmp_path, override)
        return
    with pytest.raises(ConfigError) as err:
        I.prepare_inference(small(tmp_path, override))
    assert str(err.value).startswith(key) and words in str(err.value)
    assert not (tmp_path / "inference").exists()


def test_the_command_line_gives_one_line_and_status_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "alignment.fit.infer", "infer.library=pyabc", f"infer.results_dir={tmp_path}"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "infer.library" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "inference").exists()


# ------------------------------------------------------------------ a small study
@pytest.mark.slow
def test_a_small_study_writes_its_outputs_resumes_and_repeats(tmp_path, capsys):
    cfg = small(tmp_path)
    out = I.run_inference(cfg)["output_dir"]
    post = pd.read_parquet(out / "posterior.parquet")
    diag = json.loads((out / "diagnostics.json").read_text())
    searched = [f"model.{n}" for n in cfg.search]
    families = ["un", "trade", "arms", "corridors", "regional"]
    assert sorted(post.columns) == sorted(searched + [f"discrepancy.{f}" for f in families]) and len(post) == 100
    for name, (low, high) in ((n, (s.low, s.high)) for n, s in cfg.search.items()):
        assert post[f"model.{name}"].between(low, high).all()
    assert set(diag["parameters"]) == set(cfg.search) | {f"discrepancy.{f}" for f in families}
    for d in diag["parameters"].values():
        assert len(d["sbc_ranks"]) == 20 and all(0 <= r <= 20 for r in d["sbc_ranks"]) and 0 <= d["ks_pvalue"] <= 1
    assert 0 <= diag["coverage_50"] <= diag["coverage_90"] <= 1
    assert (out / "report.md").read_text().startswith("# Posterior") and (out / "config.yaml").exists()
    assert json.loads((out / "versions.json").read_text())["sbi"]
    assert len(list((out / "simulations").glob("train0_*.npz"))) == 3

    # resume: a lost chunk and the outputs are remade; the same seed gives the same posterior, byte for byte
    first = (out / "posterior.parquet").read_bytes()
    (out / "simulations" / "train0_00001.npz").unlink()
    for name in ("posterior.parquet", "estimator.pt"):
        (out / name).unlink()
    I.run_inference(small(tmp_path))
    assert (out / "posterior.parquet").read_bytes() == first
    assert I.run_inference(small(tmp_path))["diagnostics"]["hash"]  # finished: read back, nothing run
    assert "is finished" in capsys.readouterr().out

    # another configuration in the same folder is refused rather than mixed in
    with pytest.raises(ConfigError, match="infer.output_dir"):
        I.run_inference(small(tmp_path, "model.threat_urgency=1"))


def test_the_restriction_keeps_draws_where_valid_runs_were(tmp_path):
    inf = I.Inference(None, [], {"a": (0.0, 1.0, False, False), "b": (0.0, 1.0, False, False)})
    rng = np.random.default_rng(0)
    z = rng.random((1200, 2))
    valid = z[:, 0] < 0.3  # the patterns hold only for low a, whatever b
    draws = I.restricted_draws(inf, z, valid, 2000, 0, tmp_path / "r.npy")
    assert np.mean(draws[:, 0] < 0.4) > 0.9 and np.mean(draws[:, 0] < 0.3) > 0.6  # no valid region lost, most of the rest cut
    assert 0.35 < np.mean(draws[:, 1] < 0.5) < 0.65  # b stays free
    np.testing.assert_array_equal(I.restricted_draws(inf, z, valid, 5, 1, tmp_path / "r.npy"), draws)  # kept: resumes


@pytest.mark.slow
def test_rounds_train_on_the_runs_that_reproduce_the_patterns(tmp_path):
    # the two patterns that random parameters rarely meet are left out, so that a small study finds valid runs
    cfg = small(tmp_path, "infer.restrict_to_patterns=true", "infer.rounds=2", "infer.simulations=400",
                "~targets.p1_tkm_least_engaged", "~targets.p1_no_state_above_half")
    out = I.run_inference(cfg)
    diag = out["diagnostics"]
    first, second = diag["rounds"]
    assert first["from"] == "prior" and second["from"] == "restricted prior" and first["simulations"] == 200
    assert diag["valid_simulations"] == first["valid"] + second["valid"]
    assert second["valid"] / 200 >= first["valid"] / 200 - 0.05  # the restriction does not lose valid ground
    assert (tmp_path / "inference" / "t" / "simulations" / "train1_theta.npy").exists()


def test_the_simulations_are_the_same_on_every_executor(tmp_path):
    """A chunk is a pure function of the study's seed and its place: one worker, two, or SLURM through submitit
    (its debug cluster, in this process) give the same summaries (a one-year record: the point is the executors)."""
    got = []
    for n, executor in enumerate((["executor.workers=1"], ["executor.workers=2"],
                                  ["executor=slurm", "executor.cluster=debug", f"executor.folder={tmp_path / 'slurm'}"])):
        cfg = small(tmp_path / str(n), "horizon.end=2015-12", "infer.chunk=10", *executor)
        inf = I.prepare_inference(cfg)
        z, x = I.simulate(cfg, inf, "train", 30, tmp_path / str(n), progress=False)
        got.append((z, x))
    for z, x in got[1:]:
        np.testing.assert_array_equal(z, got[0][0])
        np.testing.assert_array_equal(x, got[0][1])
