"""A short --help for each command (issue 10): what it does, its main keys with the defaults a run really
uses, examples, and where the full configuration is; no composition, no traceback, whatever follows it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alignment.cli import compose_config
from alignment.entry import COMMANDS, default_of, short_help


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_names_the_defaults_a_composed_config_has(command):
    """Each default the help shows is the value the command's composed config holds (not a copy that can drift)."""
    cfg = compose_config([], config_name=COMMANDS[command]["config"])
    text = short_help(command)
    assert len(text.splitlines()) < 40 and "--cfg job" in text and "examples:" in text
    for key in COMMANDS[command]["keys"]:
        if key.startswith("hydra.") or key in ("scenario", "sweep", "executor", "experiment"):  # group choices
            continue
        node = cfg
        for part in key.split("."):
            node = node[part]
        assert default_of(command, key) == node, key
    if command == "run":
        assert default_of(command, "scenario") == cfg.scenario.name
    if command == "sweep":
        assert default_of(command, "sweep") == cfg.sweep.name and default_of(command, "executor") == cfg.executor.name


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["model.temperature=nan", "--help"], ["--help", "nonsense==="]])
def test_help_prints_the_short_text_and_exits_0_whatever_else_is_given(args):
    r = subprocess.run([sys.executable, "-c", "import sys; from alignment.entry import run; sys.argv[0] = 'alignment-run'; run()",
                        *args], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.startswith("usage: alignment-run") and "scenario" in r.stdout and "Traceback" not in r.stdout
