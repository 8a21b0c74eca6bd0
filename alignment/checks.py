"""Checks every entry point shares before anything runs (run, sweep, calibrate, validate).

The first: every number in the configuration is finite. A NaN slips past every range check
(``nan < 0`` is false) and an infinity turns a capacity unbounded or a growth rate explosive, so both
are refused wherever they appear: model parameters, actors, corridors, the world data and each
scenario event. Where the schema means "none" or "unbounded" it says so with ``null``, not ``.inf``.
"""

from __future__ import annotations

import math

from omegaconf import DictConfig, ListConfig

from alignment.errors import ConfigError

FINITE = "must be a finite number (NaN and infinities are not allowed; where the schema allows none, use null)"


def _walk(node, path):
    if isinstance(node, DictConfig):
        items = ((k, node._get_node(k)._value()) for k in node)
    elif isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (ListConfig, list, tuple)):
        base = path
        for i, v in enumerate(node if not isinstance(node, ListConfig) else (node._get_node(i)._value() for i in range(len(node)))):
            yield from _walk(v, f"{base}[{i}]")
        return
    else:
        yield path, node
        return
    for k, v in items:
        yield from _walk(v, f"{path}.{k}" if path else str(k))


def check_finite(node, prefix: str = "") -> None:
    """Raise ConfigError at the first number under ``node`` (a config, mapping, list or number) that is NaN or infinite."""
    for path, value in _walk(node, prefix):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(path, value, FINITE)
