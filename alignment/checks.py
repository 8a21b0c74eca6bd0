"""Checks every entry point shares before anything runs (run, sweep, calibrate, validate).

The first: every number in the configuration is finite. A NaN slips past every range check
(``nan < 0`` is false) and an infinity turns a capacity unbounded or a growth rate explosive, so both
are refused wherever they appear: model parameters, actors, corridors, the world data and each
scenario event. Where the schema means "none" or "unbounded" it says so with ``null``, not ``.inf``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

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


def _num(x) -> str:
    """1000000 -> "1000000" (not 1e+06); 0.01 -> "0.01"."""
    return "" if x is None else f"{int(x)}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


@dataclass(frozen=True)
class Range:
    """The values a quantity may take, stated once beside its unit in the schema (``alignment.schema``,
    ``alignment.world.scenario``) and checked by :func:`check_range` wherever a value enters.

    ``lo``/``hi`` None: unbounded on that side; ``lo_open``/``hi_open``: the bound itself is excluded.
    ``why``: the reason for a bound that is not a law of nature (an elasticity's literature range, the
    point beyond which a quantity runs off to overflow), shown in the error.
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    why: str = ""

    def __contains__(self, value) -> bool:
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return not (self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi))

    def __str__(self) -> str:
        lo, hi = _num(self.lo), _num(self.hi)
        if self.lo is not None and self.hi is not None:
            return f"{'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '>='} {lo}"
        if self.hi is not None:
            return f"{'<' if self.hi_open else '<='} {hi}"
        return "any finite number"

    def allowed(self, unit: str = "") -> str:
        """What an error says is allowed: 'must be in [0, 1] (fraction per month; why)'."""
        notes = [n for n in (unit if unit not in ("", "-") else "", self.why) if n]
        inside = "in " if self.lo is not None and self.hi is not None else ""
        return f"must be {inside}{self}" + (f" ({'; '.join(notes)})" if notes else "")


FRACTION = Range(0.0, 1.0)
NON_NEGATIVE = Range(0.0)
POSITIVE = Range(0.0, lo_open=True)
NEST_LAMBDA = Range(0.0, 1.0, lo_open=True, why="a nested logit's dissimilarity parameter: 1 no nesting, toward 0 routes of a nest perfect substitutes")
PERCENT_CHANGE = Range(-100.0, lo_open=True, why="a fall of 100 % or more leaves nothing")


def check_range(key: str, value, rng: Range | None, unit: str = "") -> None:
    """Raise ConfigError unless ``value`` (a number, or a list of numbers checked one by one; None passes) is finite
    and in ``rng``."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_range(f"{key}[{i}]", v, rng, unit)
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return  # types are the schema's business
    if not math.isfinite(value):
        raise ConfigError(key, value, FINITE)
    if rng is not None and value not in rng:
        raise ConfigError(key, value, rng.allowed(unit))


def check_fields(node, schema, prefix: str) -> None:
    """Check every field of ``node`` (a dataclass instance, a config or a mapping) that ``schema`` (a dataclass)
    gives a ``range`` in its metadata."""
    for f in dataclasses.fields(schema):
        rng = f.metadata.get("range")
        if rng is None:
            continue
        value = getattr(node, f.name, None) if not isinstance(node, dict) else node.get(f.name)
        if OmegaConf.is_config(value):
            value = OmegaConf.to_container(value)
        check_range(f"{prefix}.{f.name}", value, rng, f.metadata.get("unit", ""))


def bounded(default, rng: Range, unit: str = "-", **metadata):
    """A dataclass field with its allowed range and unit in its metadata (for :func:`check_fields`)."""
    meta = {"range": rng, "unit": unit, **metadata}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def check_writable_dir(key: str, path) -> None:
    """ConfigError unless ``path`` is, or can be made, a directory this process can write into. The test that
    cannot lie: a file made and removed again in the nearest folder that exists (permission bits say nothing
    to root, nor about read-only mounts such as /proc)."""
    import tempfile
    from pathlib import Path

    probe = Path(path)
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigError(key, str(path), f"{probe} is a file; choose a directory")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise ConfigError(key, str(path), f"cannot be written ({probe}: {exc.strerror or exc}); choose another directory") from None
