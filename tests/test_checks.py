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
