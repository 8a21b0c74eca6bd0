"""The checks every entry point shares (alignment/checks.py)."""

from __future__ import annotations

import math

import pytest
from omegaconf import OmegaConf

from alignment.checks import check_finite
from alignment.errors import ConfigError


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_check_finite_names_the_path_of_the_first_bad_number(bad):
    """Nested mappings and lists, plain or as configs: the error names the full key, list positions in brackets."""
    tree = {"routes": {"MIDDLE": {"capacity_teu": 1e5, "sponsors": {"EU": 0.4}}},
            "events": [{"cut": 0.1}, {"cut": bad, "note": "x"}]}
    for node in (tree, OmegaConf.create(tree)):
        with pytest.raises(ConfigError) as err:
            check_finite(node, "scenario")
        assert err.value.key == "scenario.events[1].cut" and "finite" in err.value.allowed
        assert (err.value.value != err.value.value) if math.isnan(bad) else err.value.value == bad


def test_check_finite_passes_what_the_schema_allows():
    """Integers, booleans, strings, null (the schema's 'none' or 'unbounded') and huge but finite numbers pass."""
    check_finite({"a": 3, "b": True, "c": "inf", "d": None, "e": [1e308, -1e308], "f": OmegaConf.create({"g": None})}, "x")
    check_finite(2.5, "x")
    with pytest.raises(ConfigError) as err:  # a config inside a plain mapping is walked too
        check_finite({"f": OmegaConf.create({"g": [1.0, math.inf]})}, "x")
    assert err.value.key == "x.f.g[1]"
    with pytest.raises(ConfigError) as err:
        check_finite(math.nan, "model.temperature")
    assert err.value.key == "model.temperature"


def test_range_bounds_open_and_closed():
    """Hand-checked membership at and beside each kind of bound, and how the range reads in an error."""
    from alignment.checks import FRACTION, PERCENT_CHANGE, POSITIVE, Range

    assert 0.0 in FRACTION and 1.0 in FRACTION and -1e-12 not in FRACTION and 1.0 + 1e-12 not in FRACTION
    assert 0.0 not in POSITIVE and 1e-300 in POSITIVE and 1e300 in POSITIVE
    assert -100.0 not in PERCENT_CHANGE and -99.9 in PERCENT_CHANGE
    assert 5.0 not in Range(0, 5, hi_open=True) and 4.999 in Range(0, 5, hi_open=True)
    assert str(Range(10, 1e6)) == "[10, 1000000]" and str(Range(0.01, 100, lo_open=True)) == "(0.01, 100]"
    assert str(POSITIVE) == "> 0" and str(Range(hi=3, hi_open=True)) == "< 3"
    assert Range(0, 1).allowed("fraction per month") == "must be in [0, 1] (fraction per month)"
    assert Range(0, 1).allowed("-") == "must be in [0, 1]"
    assert PERCENT_CHANGE.allowed("%") == "must be > -100 (%; a fall of 100 % or more leaves nothing)"


def test_check_range_names_the_element_and_refuses_non_finite():
    from alignment.checks import FRACTION, check_range

    check_range("k", None, FRACTION)  # null passes: the schema's "none"
    check_range("k", [[0.2, 0.8], [1.0, 0.0]], FRACTION)
    with pytest.raises(ConfigError) as err:
        check_range("model.p", [[0.2, 0.8], [1.2, -0.2]], FRACTION, "probability")
    assert err.value.key == "model.p[1][0]" and err.value.allowed == "must be in [0, 1] (probability)"
    with pytest.raises(ConfigError) as err:
        check_range("k", math.nan, None)  # no range, but still finite
    assert "finite" in err.value.allowed


def test_every_default_and_every_search_range_lies_in_the_schema_range():
    """The defaults and the calibration's search ranges respect the ranges the schema states (a range that
    excludes its own default would make the model unrunnable)."""
    from pathlib import Path

    import yaml

    from alignment.checks import check_fields, check_range
    from alignment.schema import CorridorSpec, ModelParams, model_field

    check_fields(ModelParams(), ModelParams, "model")
    check_fields(CorridorSpec(), CorridorSpec, "corridors.routes.X")
    search_files = sorted((Path(__file__).parent.parent / "configs" / "search").glob("*.yaml"))
    assert search_files
    for path in search_files:
        for name, spec in (yaml.safe_load(path.read_text()) or {}).items():
            for end in ("low", "high"):
                check_range(f"{path.name}:{name}.{end}", spec[end], model_field(name).metadata["range"])
