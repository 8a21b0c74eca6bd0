"""Shared fixtures: configs composed with Hydra's compose API, and finished runs cached per session."""

from __future__ import annotations

import pytest
from hydra.core.global_hydra import GlobalHydra

from alignment.cli import compose_config
from alignment.runs import build_model


@pytest.fixture
def compose():
    """compose(overrides) -> DictConfig, as the command line would build it; Hydra is cleared afterwards."""

    def _compose(overrides=(), config_dir=None):
        return compose_config(list(overrides), config_dir=config_dir)

    yield _compose
    GlobalHydra.instance().clear()


@pytest.fixture(scope="session")
def runs():
    """Finished runs by (scenario, seed), built on first use and shared by the whole session."""
    cache = {}

    def _get(scenario="historical", seed=0, *extra):
        key = (scenario, seed, extra)
        if key not in cache:
            cfg = compose_config([f"scenario={scenario}", f"seed={seed}", *extra])
            cache[key] = build_model(cfg).run()
        return cache[key]

    yield _get
    GlobalHydra.instance().clear()
