"""Checks every entry point shares before anything runs (run, sweep, calibrate, validate).

The first: every number in the configuration is finite. A NaN slips past every range check
(``nan < 0`` is false) and an infinity turns a capacity unbounded or a growth rate explosive, so both
are refused wherever they appear: model parameters, actors, corridors, the world data and each
scenario event. Where the schema means "none" or "unbounded" it says so with ``null``, not ``.inf``.
"""

from __future__ import annotations

import math

from omegaconf import OmegaConf

from alignment.errors import ConfigError

FINITE = "must be a finite number (NaN and infinities are not allowed; where the schema allows none, use null)"


def _walk(node, path):
    """(key path, leaf) for every leaf of mappings and lists, plain or configs, list positions in brackets."""
    if OmegaConf.is_config(node):  # interpolations stay unresolved, missing values stay '???'
        node = OmegaConf.to_container(node, resolve=False)
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, node


def check_finite(node, prefix: str = "") -> None:
    """Raise ConfigError at the first number under ``node`` (a config, mapping, list or number) that is NaN or infinite."""
    for path, value in _walk(node, prefix):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(path, value, FINITE)
