"""The default seed is a typical run (alignment/analysis/typical.py): what `make run` draws and a class sees first
sits near the replicates' mean, not in a tail."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.analysis import typical


class _Run:
    def __init__(self, seed):
        self.seed = seed


def test_the_run_nearest_the_mean_by_families_counted_alike_is_chosen(monkeypatch):
    # interactions: 0, 2, 4 (mean 2); weights: 1, 1, 1 (no spread: left out); volumes: 5, 6, 10 (mean 7)
    values = {0: (0.0, 1.0, 5.0), 1: (2.0, 1.0, 6.0), 2: (4.0, 1.0, 10.0)}
    monkeypatch.setattr(typical, "headline", lambda r: {"interactions": np.array([values[r.seed][0]]),
                                                        "weights": np.array([values[r.seed][1]]),
                                                        "volume_mt": np.array([values[r.seed][2]])})
    table = typical.distances([_Run(0), _Run(1), _Run(2)])
    sd_i, sd_v = np.std([0, 2, 4]), np.std([5, 6, 10])
    by_seed = table.set_index("seed")
    assert "weights" not in table  # a family that does not vary says nothing about which run is typical
    assert by_seed.loc[1, "interactions"] == pytest.approx(0.0) and by_seed.loc[1, "volume_mt"] == pytest.approx(1 / sd_v)
    assert by_seed.loc[0, "distance"] == pytest.approx(np.sqrt(((2 / sd_i) ** 2 + (2 / sd_v) ** 2) / 2))
    assert list(table.seed) == [1, 0, 2]  # nearest first


def test_the_configured_seed_is_the_typical_one_and_its_first_year_lies_inside_the_band():
    from alignment.cli import compose_config

    seed, table = typical.typical_seed(100)
    assert compose_config([]).seed == seed == 42
    counts = table.interactions_first_year
    mine = float(table.loc[table.seed == seed, "interactions_first_year"].iloc[0])
    assert counts.quantile(0.05) <= mine <= counts.quantile(0.95)
    assert abs(mine - counts.mean()) < counts.std()  # seed 0 had 78 against a mean of 60 (sd about 8)
    assert int(table.index[table.seed == 0][0]) > 50  # and ranked in the far half
