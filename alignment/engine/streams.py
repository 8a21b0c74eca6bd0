"""Random streams of B runs: each run draws from its own generators, whatever batch it is in.

A run seeded with ``seed`` owns one PCG64 generator per purpose, spawned from
``SeedSequence(seed)``: the counts of external contacts, their forms and levels, the
counts of regional contacts, their forms and levels, and the alignment noise. Values are
drawn in fixed-size chunks and handed out in order, so the numbers a run receives depend
only on its seed and on how many it has asked for: a run computed inside a batch gets
exactly the numbers it gets alone. Separate purposes keep common random numbers common (a
change to diplomacy does not shift the alignment noise), and keep the purposes read a fixed
amount each month (counts, noise) in step across runs, which makes them one slice to read.
"""

from __future__ import annotations

import numpy as np

from alignment.rng import make_generator

# spawn keys of a run's streams (Mesa's own generator is stream MESA_STREAM of alignment.model)
EXTERNAL_COUNTS, EXTERNAL_FORMS, REGIONAL_COUNTS, REGIONAL_FORMS, NOISE = 0, 1, 2, 4, 5
CHUNK = 1024  # values drawn per refill of one run's buffer (a buffer holds two: 16 KB per run and purpose)


def generator(seed: int, purpose: int) -> np.random.Generator:
    """The generator for one purpose of a run seeded with ``seed``."""
    return make_generator(int(seed), stream=purpose)


class Stream:
    """Uniform (or standard normal) numbers for B runs, each run from its own generator.

    Each row of ``buffer`` holds a run's unread values from ``pos`` to its end; a refill moves them
    ahead and draws whole chunks behind them, straight into the row.
    """

    def __init__(self, seeds, purpose: int, normal: bool = False, chunk: int = CHUNK):
        self._gens = [generator(s, purpose) for s in seeds]
        self._normal = normal
        self._chunk = chunk
        self.buffer = np.empty((len(self._gens), 2 * chunk))  # a chunk and what was left of the last one
        self.pos = np.full(len(self._gens), 2 * chunk)  # next unread slot per run; the row's width = empty

    def _refill(self, need: np.ndarray) -> None:
        """Make sure run b has at least need[b] unread values: whole chunks from its generator behind what is left."""
        short = np.flatnonzero(self.pos + need > self.buffer.shape[1])
        if not len(short):
            return
        width = self.buffer.shape[1]
        left = width - self.pos[short]
        fill = -(-(need[short] - left) // self._chunk) * self._chunk
        if (left + fill).max() > width:  # a take larger than a chunk: wider rows for every run, unread values kept at the end
            grown = np.empty((len(self._gens), int((left + fill).max())))
            grown[:, grown.shape[1] - width:] = self.buffer
            self.pos += grown.shape[1] - width
            self.buffer, width = grown, grown.shape[1]
        for b, n_left, n_fill in zip(short.tolist(), left.tolist(), fill.tolist()):
            row, start = self.buffer[b], width - n_left - n_fill
            row[start:start + n_left] = row[width - n_left:]  # what was left moves ahead of the fresh chunks
            g = self._gens[b]
            (g.standard_normal if self._normal else g.random)(out=row[width - n_fill:])
            self.pos[b] = start

    def take(self, n: int) -> np.ndarray:
        """(B, n): the next n values of every run."""
        self._refill(np.full(len(self._gens), n))
        first = self.pos[0]
        if (self.pos == first).all():  # runs that read alike (streams read a fixed amount a month) share one slice
            out = self.buffer[:, first:first + n].copy()
        else:
            out = np.take_along_axis(self.buffer, self.pos[:, None] + np.arange(n), axis=1)
        self.pos += n
        return out

    def take_ragged(self, counts: np.ndarray) -> np.ndarray:
        """(counts.sum(),): the next counts[b] values of each run b, run after run."""
        counts = np.asarray(counts, dtype=np.int64)
        self._refill(counts)
        total = int(counts.sum())
        if not total:
            return np.empty(0)
        run = np.repeat(np.arange(len(counts)), counts)
        offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        out = self.buffer[run, self.pos[run] + offset]
        self.pos += counts
        return out


def poisson_counts(rates: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Poisson draws by inversion: the smallest k with P(X <= k) > u, one uniform per rate.

    Exact for every finite rate up to ``MAX_POISSON_RATE`` (a rate that is not finite and >= 0
    gives 0; the engine flags such a run as failed); inversion keeps one uniform per draw, so the
    draws stay on the run's own stream.

    Args:
        rates: (B, R) expected counts, >= 0.
        uniforms: (B, R) uniforms in [0, 1).

    Returns:
        (B, R) int64 counts.
    """
    lam = np.where(np.isfinite(rates) & (rates > 0), np.minimum(rates, MAX_POISSON_RATE), 0.0).ravel()
    u = np.asarray(uniforms, dtype=float).ravel()
    k = np.zeros(lam.shape, dtype=np.int64)
    p = np.exp(-lam)
    live = np.flatnonzero(u >= p)  # draws whose count is above 0; the search goes on only for them
    lam, u, p, cdf = lam[live], u[live], p[live], p[live]
    j = 0
    while len(live):
        j += 1
        k[live] = j
        p = p * lam / j
        grown = cdf + p
        go = (u >= grown) & (grown > cdf)  # a cdf that stops growing (rounding near 1) ends the search
        live, lam, u, p, cdf = live[go], lam[go], u[go], p[go], grown[go]
    return k.reshape(np.shape(rates))


MAX_POISSON_RATE = 500.0  # exp(-500) is still a normal double; no rate of the model comes near it
