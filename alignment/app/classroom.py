"""The classroom file (configs/app/classroom.yaml): the app's sliders, their locked ranges, the scenarios on
offer and the guided questions, checked against the model's schema when the app starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alignment.checks import check_range
from alignment.cli import CONFIG_DIR, _group_options, compose_config
from alignment.errors import ConfigError
from alignment.schema import ModelParams, model_field

DEFAULT = CONFIG_DIR / "app" / "classroom.yaml"
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Control:
    """A slider: a numeric key of the run config, locked to [min, max]."""

    name: str
    key: str
    min: float
    max: float
    step: float
    default: float  # the run config's value
    label: dict
    unit: dict


@dataclass(frozen=True)
class Question:
    """A guided question: a preset of the controls, a baseline run to pin, and what to look for."""

    name: str
    title: dict
    scenario: str
    baseline: str | None
    values: dict
    look_for: dict
    state: str | None = None  # whose weights the chart shows (default: the first state)
    powers: tuple = ()  # the powers drawn in colour on that chart (default: all)
    chart: str = "weights"  # the chart the question asks about, shown beside its card


CHARTS = ("map", "weights", "corridors", "interactions", "unga")  # the page's pictures, by name


@dataclass(frozen=True)
class Classroom:
    path: Path
    scenarios: list
    horizon_end: str
    band_seeds: int
    seed: int = 42  # the run config's default seed: a typical run (alignment/analysis/typical.py)
    controls: dict = field(default_factory=dict)
    questions: dict = field(default_factory=dict)


def _texts(where: str, node) -> dict:
    if not isinstance(node, dict) or set(node) != set(LANGUAGES) or not all(isinstance(v, str) and v for v in node.values()):
        raise ConfigError(where, node, "a text in each language: {en: ..., ru: ...}")
    return dict(node)


def _number(where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(where, value, "expected a number")
    return float(value)


def load_classroom(path=None) -> Classroom:
    """Read and check a classroom file; a ConfigError names the file, the key, the value and what is allowed."""
    path = Path(path or DEFAULT)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError("--config", str(path), f"cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError("--config", str(path), f"malformed YAML: {' '.join(str(exc).split())[:120]}") from None
    try:
        return _check(path, raw)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc.key}", exc.value, exc.allowed) from None


def _check(path: Path, raw: dict) -> Classroom:
    known = {"scenarios", "horizon_end", "band_seeds", "controls", "questions"}
    for key in raw:
        if key not in known:
            raise ConfigError(str(key), raw[key], "unknown key; known: " + ", ".join(sorted(known)))
    scenarios_known = _group_options("scenario", None)
    scenarios = list(raw.get("scenarios") or [])
    if not scenarios:
        raise ConfigError("scenarios", scenarios, "name at least one scenario")
    for n, s in enumerate(scenarios):
        if s not in scenarios_known:
            raise ConfigError(f"scenarios[{n}]", s, "unknown scenario; known: " + ", ".join(scenarios_known))
    band = raw.get("band_seeds", 20)
    if isinstance(band, bool) or not isinstance(band, int) or not 2 <= band <= 200:
        raise ConfigError("band_seeds", band, "an integer in [2, 200]")
    horizon_end = str(raw.get("horizon_end", "2035-12"))
    base = compose_config([f"horizon.end={horizon_end}"])  # a bad month is a ConfigError naming horizon.end
    controls = {}
    model_fields = set(ModelParams.__dataclass_fields__)
    for name, spec in (raw.get("controls") or {}).items():
        where = f"controls.{name}"
        if not isinstance(spec, dict):
            raise ConfigError(where, spec, "a mapping: key, min, max, step, label, unit")
        for k in spec:
            if k not in ("key", "min", "max", "step", "label", "unit"):
                raise ConfigError(f"{where}.{k}", spec[k], "unknown key; known: key, min, max, step, label, unit")
        key = spec.get("key")
        root, _, leaf = str(key).partition(".")
        if root == "model":
            if leaf not in model_fields or not isinstance(getattr(ModelParams(), leaf), (int, float)):
                raise ConfigError(f"{where}.key", key, "not a numeric model parameter (see docs/ODD.md)")
            default = float(getattr(base.model, leaf))
        else:
            from omegaconf import OmegaConf

            value = OmegaConf.select(base, str(key), default=None) if root in ("actors", "corridors", "world") else None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}.key", key, "not a numeric key of the run config (model.*, actors.*, corridors.*)")
            default = float(value)
        lo, hi, step = (_number(f"{where}.{k}", spec.get(k)) for k in ("min", "max", "step"))
        if not lo < hi:
            raise ConfigError(f"{where}.max", hi, f"must be above min ({lo})")
        if not 0 < step <= hi - lo:
            raise ConfigError(f"{where}.step", step, f"must be in (0, {hi - lo:g}]")
        if root == "model":
            meta = model_field(leaf).metadata
            for k, v in (("min", lo), ("max", hi)):
                check_range(f"{where}.{k}", v, meta["range"], meta["unit"])
        else:  # the world's own checks, at both ends of the locked range, on a copy of the slider's group only
            from omegaconf import OmegaConf

            from alignment.checks import check_finite
            from alignment.world.data import build_world

            for k, v in (("min", lo), ("max", hi)):
                groups = {g: base[g] for g in ("world", "actors", "corridors")}
                groups[root] = base[root].copy()
                OmegaConf.update(groups[root], str(key).partition(".")[2], v, merge=False)
                try:
                    check_finite(groups[root], root)
                    build_world(groups["world"], groups["actors"], groups["corridors"], base.model.gdp_growth_pct_per_year)
                except ConfigError as exc:
                    raise ConfigError(f"{where}.{k}", v, f"{exc.allowed} (checked as {exc.key})") from None
        controls[name] = Control(name, str(key), lo, hi, step, default, _texts(f"{where}.label", spec.get("label")),
                                 _texts(f"{where}.unit", spec.get("unit")))
    questions = {}
    states, powers = list(base.world.states), list(base.world.powers)
    for name, spec in (raw.get("questions") or {}).items():
        where = f"questions.{name}"
        if not isinstance(spec, dict):
            raise ConfigError(where, spec, "a mapping: title, scenario, baseline, values, look_for, state, powers, chart")
        for k in spec:
            if k not in ("title", "scenario", "baseline", "values", "look_for", "state", "powers", "chart"):
                raise ConfigError(f"{where}.{k}", spec[k], "unknown key; known: title, scenario, baseline, values, look_for, "
                                                            "state, powers, chart")
        if spec.get("chart", "weights") not in CHARTS:
            raise ConfigError(f"{where}.chart", spec["chart"], "one of the page's charts: " + ", ".join(CHARTS))
        if spec.get("state") is not None and spec["state"] not in states:
            raise ConfigError(f"{where}.state", spec["state"], "not a state of the model: " + ", ".join(states))
        shown = spec.get("powers", [])
        if not isinstance(shown, list) or any(p not in powers for p in shown) or len(set(shown)) < len(shown):
            raise ConfigError(f"{where}.powers", shown, "a list of the model's powers, each once: " + ", ".join(powers))
        for k in ("scenario", "baseline"):
            s = spec.get(k)
            if (s is not None or k == "scenario") and s not in scenarios:
                raise ConfigError(f"{where}.{k}", s, "not one of this file's scenarios: " + ", ".join(scenarios))
        if not isinstance(spec.get("values") or {}, dict):
            raise ConfigError(f"{where}.values", spec["values"], "a mapping of control: value")
        values = dict(spec.get("values") or {})
        for control, v in values.items():
            if control not in controls:
                raise ConfigError(f"{where}.values.{control}", v, "unknown control; known: " + ", ".join(controls))
            c = controls[control]
            if not c.min <= _number(f"{where}.values.{control}", v) <= c.max:
                raise ConfigError(f"{where}.values.{control}", v, f"outside the control's locked range [{c.min:g}, {c.max:g}]")
        questions[name] = Question(name, _texts(f"{where}.title", spec.get("title")), spec["scenario"], spec.get("baseline"),
                                   {k: float(v) for k, v in values.items()}, _texts(f"{where}.look_for", spec.get("look_for")),
                                   spec.get("state"), tuple(shown), spec.get("chart", "weights"))
    return Classroom(path, scenarios, horizon_end, band, int(base.seed), controls, questions)
