"""All randomness flows from one seed through numpy's SeedSequence."""

from __future__ import annotations

import numpy as np


def make_generator(seed: int, stream: int = 0) -> np.random.Generator:
    """The generator for ``stream`` of a run seeded with ``seed`` (independent streams, reproducible)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(stream,))))


def replicate_seed(sweep_seed: int, replicate: int) -> int:
    """The seed of a sweep's replicate r: the same at every design point (common random numbers), stable as the sweep grows."""
    return int(np.random.SeedSequence([int(sweep_seed), int(replicate)]).generate_state(1, np.uint32)[0])
