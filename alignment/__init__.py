"""alignment: an agent-based model of geopolitical alignment in Central Asia (Mesa + Hydra).

The Python API (the commands are faces of it)::

    import alignment
    r = alignment.run(scenario="no_war_2022", seed=3)       # one run: r.timeseries, r.interactions, r.to_xarray()
    df = alignment.sweep("demo")                           # a sweep's dataset (resumable, as alignment-sweep)
    m = alignment.ema.model(replications=3)                # an EMA Workbench model
    problem = alignment.salib.problem("sensitivity")       # the SALib problem of a sweep

Importing the package is cheap: each of these imports what it needs when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.2.0"
__all__ = ["run", "sweep", "dataset", "RunResult", "ConfigError", "ema", "salib", "__version__"]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use (PEP 562)
    from alignment import ema, salib
    from alignment.api import RunResult, dataset, run, sweep
    from alignment.errors import ConfigError

_LAZY = {"run": "alignment.api", "sweep": "alignment.api", "dataset": "alignment.api", "RunResult": "alignment.api",
         "ConfigError": "alignment.errors"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("ema", "salib"):
        return importlib.import_module(f"alignment.{name}")
    raise AttributeError(f"module 'alignment' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
