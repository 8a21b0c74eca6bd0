"""The world's data file, read by path and cached by content.

The world config (``configs/world/NAME.yaml``) is small: a name, the states and powers a run takes, and
``data``, the path of the generated data file (GDP, trade, memberships, the UN record...; about 50 KB). That
file is not composed into the Hydra tree, where OmegaConf would wrap and copy every number on each compose
(most of a command's start-up before); it is parsed once per process and content, checked once, and shared.
The sweeps' identity records its content, so a changed data file is a changed world.

A relative ``data`` path is looked up in the current directory first, then in the project's ``configs/``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from alignment.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
_CACHE: dict[str, dict] = {}  # SHA-256 of the file's bytes -> its parsed, checked content
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 50 KB in ~10 ms


def data_path(value) -> Path:
    """The file ``world.data`` names: absolute, or relative to the current directory, else to configs/."""
    if value is None or not str(value).strip():
        raise ConfigError("world.data", value, "the path of the world's data file (e.g. world/data/central_asia.yaml)")
    path = Path(str(value)).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [Path.cwd() / path, CONFIG_DIR / path]
    for p in candidates:
        if p.is_file():
            return p
    where = " or ".join(str(p) for p in candidates)
    raise ConfigError("world.data", str(value), f"no such file ({where}); build one with python -m alignment.world.build")


def load_data(value) -> dict:
    """The parsed content of the world data file ``value`` names (see :func:`data_path`).

    Parsed and checked once per content: a second call with an unchanged file costs a hash of its bytes. The
    returned mapping is shared between callers: read it, never change it (copy it first).
    """
    from alignment.checks import check_finite

    path = data_path(value)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest in _CACHE:
        return _CACHE[digest]
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_Loader)
    except UnicodeDecodeError:
        raise ConfigError("world.data", str(value), "file unreadable: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError("world.data", str(value), f"malformed YAML{where}: {getattr(exc, 'problem', '') or exc}") from None
    if not isinstance(data, dict):
        raise ConfigError("world.data", str(value), "the world data file must be a mapping (catalogue, gdp_usd_bn, ...)")
    for key in ("catalogue", "gdp_usd_bn", "capitals", "trade_usd_bn", "memberships", "observations"):
        if key not in data:
            raise ConfigError("world.data", str(value), f"the file has no '{key}' block (rebuild it: make world)")
    check_finite(data, "world")
    _CACHE[digest] = data
    return data


def world_data(world_cfg) -> dict:
    """The data of a ``world`` config node (a composed config or a plain dict): its ``data`` file's content."""
    return load_data(world_cfg.get("data"))
