"""The project's identity: --version on every command, a citation file that is valid and matches the package."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

import alignment

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["run", "calibrate", "infer", "forecast", "validate", "sweep", "experiment"]


@pytest.mark.parametrize("command", COMMANDS)
def test_version_names_the_package_and_its_engines(command, capsys):
    from alignment import entry

    with pytest.raises(SystemExit) as ended:
        entry.main_for(command, ["--version"])
    assert ended.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"alignment {alignment.__version__} (")
    for package in ("mesa", "hydra-core", "numpy"):
        assert f"{package} {version(package)}" in out


def test_the_app_has_a_version_too():
    out = subprocess.run([sys.executable, "-m", "alignment.app.cli", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"alignment {alignment.__version__} (")


def test_package_version_is_one_number_everywhere():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^version = "(.+)"$', pyproject, re.M).group(1) == alignment.__version__ == version("alignment")
    assert f"## [{alignment.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_citation_file_is_valid_cff_and_matches_the_package():
    """Validated against the Citation File Format 1.2.0 JSON schema (tests/data/cff-1.2.0.schema.json, from
    github.com/citation-file-format/citation-file-format, CC-BY-4.0, as cffconvert 2.0.0 ships it)."""
    import jsonschema

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0.schema.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(cff)
    assert cff["version"] == alignment.__version__
    assert cff["authors"] and cff["license"] == "MIT"
    readme = (ROOT / "README.md").read_text()
    bib = readme[readme.index("```bibtex"):]
    assert f"version = {{{alignment.__version__}}}" in bib and cff["title"].split(":")[0] in bib
