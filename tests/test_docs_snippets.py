"""The Python blocks of the README and the modeller's tutorial run as written (in a scratch folder, so that the
sweeps they start write there): a snippet that breaks fails here, as a gallery example fails `make docs`."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def blocks(path: Path) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S))


@pytest.mark.parametrize("page", ["README.md", "docs/tutorials/modeller.md"])
def test_the_python_of_a_page_runs(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    code = blocks(ROOT / page)
    assert "alignment." in code
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, page, "exec"), namespace)  # noqa: S102 - the page's own code, run as a reader would
    assert "r" in namespace and len(namespace["r"].timeseries) > 0
