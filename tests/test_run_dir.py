"""A run directory never looks finished for a run that did not finish (issue 10): the old run's completion
mark (run.json) goes before anything of the new run is written, an interrupted run (Ctrl-C, SIGTERM) removes
its staging and ends with one line, and an output path that cannot hold a run is refused before any run."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alignment.cli import main

EXE = shutil.which("alignment-run") or str(Path(sys.executable).parent / "alignment-run")
QUICK = ["horizon.end=2016-12", "horizon.drop_later_events=true", "outputs.figures=false", "outputs.summary=false"]


def call(*args):
    try:
        main(list(args))
        return 0
    except SystemExit as exc:
        return exc.code


def leftovers(d: Path) -> list[str]:
    return [p.name for p in d.rglob("*") if ".partial" in p.name]


def test_a_rerun_that_fails_leaves_no_completion_mark_beside_its_config(tmp_path, monkeypatch, capsys):
    """A finished run, then a rerun into the same directory that dies in the model: the old run.json is gone
    (it would describe the old run beside the new .hydra/ config), the command ends with one line."""
    out = tmp_path / "run"
    assert call(*QUICK, "seed=1", f"hydra.run.dir={out}") == 0 and (out / "run.json").exists()
    capsys.readouterr()

    def dies(cfg, prepared=None):
        assert not (out / "run.json").exists()  # already gone when the new run starts
        raise KeyboardInterrupt

    monkeypatch.setattr("alignment.runs.simulate", dies)
    assert call(*QUICK, "seed=2", f"hydra.run.dir={out}") == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("alignment-run: interrupted")
    assert not (out / "run.json").exists() and not leftovers(out)
    assert "seed: 2" in (out / ".hydra" / "config.yaml").read_text()  # Hydra's copy is the new run's


def test_a_single_run_takes_the_old_mark_away_before_hydra_writes(tmp_path, monkeypatch):
    """The mark goes in the pre-check, before Hydra creates or writes anything in the directory."""
    from alignment import cli

    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("{}")
    seen = {}
    original = cli.prepare_run_dir

    def spy(argv, *args):
        target = original(argv, *args)
        seen["target"], seen["mark"], seen["hydra"] = target, (out / "run.json").exists(), (out / ".hydra").exists()
        raise KeyboardInterrupt  # stop before Hydra runs

    monkeypatch.setattr(cli, "prepare_run_dir", spy)
    assert call(*QUICK, f"hydra.run.dir={out}") == 130
    assert seen == {"target": out, "mark": False, "hydra": False}


@pytest.mark.parametrize("error", [ValueError("'NoneType' object has no attribute '_invalidate_flags_cache'"),
                                   "config", SystemExit(1)])
def test_a_signal_that_comes_out_of_a_library_as_another_error_is_still_reported_as_the_signal(monkeypatch, capsys, error):
    """SIGTERM while OmegaConf builds a config can surface as an odd error, a config error naming a half-built key,
    or Hydra's own report and exit 1 (all seen when a command was killed while it read its config)."""
    import signal

    from alignment import cli
    from alignment.errors import ConfigError

    def signalled_mid_compose(*args, **kwargs):
        cli._SIGNALLED.append(signal.SIGTERM)  # what the handler records before its exception is swallowed
        raise ConfigError("observations.unga_agreement.values.UZB.EU.2020", None, "...") if error == "config" else error

    monkeypatch.setattr(cli, "precheck", signalled_mid_compose)
    assert call(*QUICK) == 143
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("alignment-run: terminated (SIGTERM)"), err


def test_the_pre_check_leaves_no_hydra_state_behind_for_a_sweep_planned_later_in_the_process(tmp_path):
    """The pre-check sets Hydra's config to resolve the run folder; left set, a sweep planned later in the same
    process (a notebook, or the next test on a pytest worker) took that command line's overrides for its own."""
    from hydra.core.hydra_config import HydraConfig

    from alignment.cli import compose_config, prepare_run_dir
    from alignment.sweeps.cli import prepare_sweep

    assert prepare_run_dir(["horizon.end=2015-12", f"hydra.run.dir={tmp_path / 'run'}"]) == tmp_path / "run"
    assert not HydraConfig.initialized()
    sweep = compose_config(["sweep.scenarios=[historical]", "sweep.replicates=1", "horizon.end=2016-12",
                            "horizon.drop_later_events=true", f"results_dir={tmp_path / 'results'}"], config_name="sweep")
    assert "horizon.end=2015-12" not in prepare_sweep(sweep).runs[0].overrides


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, words", [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_mid_run_leaves_no_staging_and_one_line(tmp_path, sig, code, words):
    """A real process, signalled once Hydra has made the run directory (the model is running or writing)."""
    out = tmp_path / "run"
    proc = subprocess.Popen([EXE, "horizon.end=2035-12", f"hydra.run.dir={out}"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / ".hydra").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # finished before the signal: then it must be whole
        assert (out / "run.json").exists() and not leftovers(out)
        return
    lines = err.strip().splitlines()
    assert proc.returncode == code and len(lines) == 1 and words in lines[0], err[-2000:]
    assert not (out / "run.json").exists() and not leftovers(out)


def test_a_run_dir_that_is_a_file_is_refused_before_any_run(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a directory")
    assert call(*QUICK, f"hydra.run.dir={target / 'sub'}") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("alignment-run: error: hydra.run.dir=")
    assert f"{target} is a file; choose a directory" in err[0]
    assert target.read_text() == "not a directory"


def test_an_unwritable_run_dir_is_refused_before_any_run(capsys):
    """/proc takes no new files, not even from root (permission bits would say nothing to root)."""
    assert call("-m", *QUICK, "hydra.sweep.dir=/proc/alignment-sweep") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hydra.sweep.dir='/proc/alignment-sweep'" in err[0] and "cannot be written" in err[0]


@pytest.mark.parametrize("module, key", [("alignment.fit.calibrate", "study.output_dir"),
                                         ("alignment.fit.validate", "validate.output_dir"),
                                         ("alignment.sweeps.cli", "results_dir")])
def test_every_command_refuses_an_output_folder_under_a_file(tmp_path, capsys, module, key):
    """calibrate, validate and sweep check their own output folders the same way, before anything runs
    (calibrate crashed with NotADirectoryError from Hydra, whose run directory lives inside its output)."""
    import importlib

    blocker = tmp_path / "taken"
    blocker.write_text("x")
    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(module).main([f"{key}={blocker / 'out'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and f"{key}=" in err[0] and "is a file; choose a directory" in err[0]
