"""The Python API: the same results as the commands on the same config, the same one-line errors (raised)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import alignment
from alignment.cli import CONFIG_DIR
from alignment.errors import ConfigError

SHORT = {"end": "2017-12", "drop_later_events": True}


def test_run_equals_the_command_on_the_same_config(tmp_path, capsys):
    from alignment.cli import main

    main(["scenario=no_war_2022", "seed=2", "horizon.end=2017-12", "horizon.drop_later_events=true",
          "outputs.figures=false", "outputs.summary=false", f"hydra.run.dir={tmp_path}"])
    assert (tmp_path / "run.json").exists() and (tmp_path / ".hydra" / "overrides.yaml").exists()
    assert "seed=2" in (tmp_path / ".hydra" / "overrides.yaml").read_text()  # Hydra's record of the one job
    r = alignment.run(scenario="no_war_2022", seed=2, horizon=SHORT)
    for name, frame in (("timeseries", r.timeseries), ("interactions", r.interactions)):
        pd.testing.assert_frame_equal(frame, pd.read_parquet(tmp_path / f"{name}.parquet"), rtol=1e-12, atol=0)
    assert r.config.scenario.name == "no_war_2022" and r.config.seed == 2
    # the result writes the same run directory
    r.save(tmp_path / "again")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "again" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "timeseries.parquet"))


def test_keyword_groups_are_overrides(runs):
    """model={...} is model.KEY=...: a changed parameter changes the run as the override does."""
    a = alignment.run(seed=1, horizon=SHORT, model={"noise_scale": 0.0})
    b = alignment.run(seed=1, horizon=SHORT, overrides=["model.noise_scale=0.0"])
    c = alignment.run(seed=1, horizon=SHORT)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    w = lambda r: r.timeseries.query("indicator == 'alignment_weight'")["value"].to_numpy()  # noqa: E731
    assert np.abs(w(a) - w(c)).max() > 1e-4  # the noise matters, so the override really reached the model


def test_to_xarray_holds_the_timeseries():
    r = alignment.run(horizon=SHORT)
    ds = r.to_xarray()
    w = ds["alignment_weight"]
    assert w.dims == ("date", "entity", "partner") and w.attrs["unit"] == "share"
    row = r.timeseries.query("indicator == 'alignment_weight' and entity == 'TJK' and partner == 'CHN'").iloc[7]
    assert float(w.sel(date=row["date"], entity="TJK", partner="CHN")) == row["value"]
    assert ds["multialignment_index"].dims == ("date", "entity")


@pytest.mark.parametrize("kwargs, cli_args", [
    ({"model": {"temperature": -1}}, ["model.temperature=-1"]),
    ({"scenario": "no_such"}, ["scenario=no_such"]),
    ({"horizon": {"end": "2016-13"}}, ["horizon.end=2016-13"]),
    ({"actors": {"states": {"KAZ": {"threat_response": 3}}}}, ["actors.states.KAZ.threat_response=3"]),
])
def test_bad_values_give_the_commands_message(kwargs, cli_args, tmp_path, capsys):
    from alignment.cli import main

    with pytest.raises(ConfigError) as err:
        alignment.run(**kwargs)
    with pytest.raises(SystemExit) as ended:
        main(cli_args + [f"hydra.run.dir={tmp_path / 'r'}"])
    assert ended.value.code == 2
    assert capsys.readouterr().err.strip() == f"alignment-run: error: {err.value}"
    assert not (tmp_path / "r").exists()


def test_an_unknown_keyword_gets_a_suggestion():
    with pytest.raises(ConfigError, match="did you mean seed"):
        alignment.run(sead=3)
    with pytest.raises(ConfigError, match="did you mean results_dir"):
        alignment.sweep("demo", result_dir="x")
    with pytest.raises(ConfigError, match="did you mean model.temperature"):
        alignment.run(model={"temprature": 2})


SMALL = ["sweep.design.n=2", "sweep.replicates=1", "horizon.end=2023-12", "horizon.drop_later_events=true",
         "sweep.summaries.years=[2022,2023]", "sweep.summaries.indicators=[alignment_weight,corridor_volume_mt]"]


def test_sweep_equals_the_command_and_reruns_nothing(tmp_path, capsys):
    from alignment.sweeps.cli import main
    from alignment.sweeps.store import read_summaries

    main(["sweep=demo", f"results_dir={tmp_path / 'cli'}", "progress=false", *SMALL])
    df = alignment.sweep("demo", results_dir=tmp_path / "api", progress=False, overrides=SMALL)
    # 2 scenarios x 2 points x 1 replicate; per run 5 x 7 weights and 5 corridors, 2 years
    assert df["run_id"].nunique() == 4 and len(df) == 4 * (35 + 5) * 2
    assert {"scenario", "seed", "replicate", "model.threat_urgency", "point", "status"} <= set(df.columns)
    cli = read_summaries(tmp_path / "cli" / "sweeps" / "demo")
    pd.testing.assert_frame_equal(df[cli.columns], cli)
    capsys.readouterr()
    again = alignment.sweep("demo", results_dir=tmp_path / "api", progress=False, overrides=SMALL)
    assert "0 runs computed" in capsys.readouterr().out
    pd.testing.assert_frame_equal(again, df)
    lazy = alignment.sweep("demo", results_dir=tmp_path / "api", progress=False, overrides=SMALL, lazy=True)
    assert lazy.count("*").fetchall()[0][0] == len(df)


def test_a_sweep_given_as_a_mapping(tmp_path):
    spec = {"name": "mine", "scenarios": ["historical"], "parameters": {"model": {"temperature": {"values": [1.0, 3.0]}}},
            "design": {"sampler": "grid"}, "replicates": 1,
            "summaries": {"indicators": ["multialignment_index"], "years": [2016]}}
    df = alignment.sweep(spec, results_dir=tmp_path, progress=False, overrides=["horizon.end=2016-12", "horizon.drop_later_events=true"])
    assert sorted(df["model.temperature"].unique()) == [1.0, 3.0] and len(df) == 2 * 5
    assert (tmp_path / "sweeps" / "mine" / "manifest.json").exists()
    assert alignment.salib.problem(spec) == {"num_vars": 0, "names": [], "bounds": [], "log10": []}  # values, no range
    with pytest.raises(ConfigError, match="sweep.name"):
        alignment.sweep({**spec, "name": "../up"}, results_dir=tmp_path)


def test_salib_problem_is_the_sweeps_ranges():
    spec = yaml.safe_load((CONFIG_DIR / "sweep" / "sensitivity.yaml").read_text())["sweep"]["parameters"]["model"]
    problem = alignment.salib.problem("sensitivity")
    assert problem["names"] == [f"model.{k}" for k in spec]
    assert problem["bounds"] == [[np.log10(v["low"]), np.log10(v["high"])] if v.get("log") else [v["low"], v["high"]]
                                 for v in spec.values()]
    assert problem["num_vars"] == len(spec)
    with pytest.raises(ConfigError, match="unknown sweep"):
        alignment.salib.problem("no_such_sweep")


def test_ema_workbench_drives_the_model():
    from ema_workbench import ReplicatorModel, perform_experiments

    m = alignment.ema.model(outcomes=["alignment_weight:KAZ:RUS@2017", "multialignment_index@2017"],
                            uncertainties={"temperature": (1.0, 4.0), "noise_scale": (0.005, 0.05)}, replications=2)
    assert isinstance(m, ReplicatorModel)
    experiments, outcomes = perform_experiments(m, scenarios=3)
    w = outcomes["alignment_weight_KAZ_RUS_2017"]
    assert w.shape == (3, 2) and np.isfinite(w).all() and not np.allclose(w[:, 0], w[:, 1])  # seeds 0 and 1 differ
    # an experiment is the run alignment.run makes with the same values and seed: the yearly mean of its months
    x = experiments.iloc[1]
    r = alignment.run(seed=1, horizon=SHORT, model={"temperature": float(x["temperature"]), "noise_scale": float(x["noise_scale"])})
    ts = r.timeseries.query("indicator == 'alignment_weight' and entity == 'KAZ' and partner == 'RUS' and year == 2017")
    assert w[1, 1] == pytest.approx(ts["value"].mean(), abs=1e-12)


def test_ema_model_refuses_bad_input_before_any_run():
    with pytest.raises(ConfigError, match="did you mean temperature"):
        alignment.ema.model(uncertainties={"temprature": (1, 2)})
    with pytest.raises(ConfigError, match="unknown entity 'XXX'"):
        alignment.ema.model(outcomes=["alignment_weight:XXX:RUS@2017"])
    with pytest.raises(ConfigError, match="unknown indicator"):
        alignment.ema.model(outcomes=["weights@2017"])
    with pytest.raises(ConfigError, match=r"must be in \[0.01, 100\]"):
        alignment.ema.model(uncertainties={"temperature": (-1, 2)})


def test_importing_the_package_is_cheap():
    import subprocess
    import sys

    code = "import sys, alignment; print(sorted(m for m in ('numpy', 'pandas', 'hydra', 'mesa') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
