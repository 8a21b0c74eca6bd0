"""Pure mechanism functions over numpy arrays, one module per mechanism.

Every function takes arrays with a leading batch axis ``B`` so that many runs can
be stepped at once, and every behavioural parameter either once for the whole
batch (a scalar) or per run (an array of shape ``(B,)``): the runs of one batch
may differ in any parameter. Nothing here imports Mesa, touches files or owns
randomness (random draws are passed in).
"""

from __future__ import annotations

import functools

import numpy as np


def per_run(value, ndim: int):
    """A parameter given once (scalar) or per run (shape ``(B,)``), shaped to broadcast against an
    array of ``ndim`` dimensions whose first axis is the batch."""
    a = np.asarray(value, dtype=float)
    return a if a.ndim == 0 else a.reshape((-1,) + (1,) * (ndim - 1))


# Reductions over the model's short axes (5 states, 7 powers, 5 corridors). numpy's ndarray.sum/max over a short
# last axis pays a per-row overhead that, at a batch of hundreds of runs, costs more than the arithmetic; einsum's
# loop and elementwise maxima over the slices do the same sums and maxima several times faster. Each is computed
# run by run in a fixed order, so a run's numbers do not depend on the batch it is in.
_LETTERS = "abcdefgh"


def sum_axis(x, axis: int = -1, keepdims: bool = False):
    """``x.sum(axis)`` for a float or integer array, fast over short axes."""
    x = np.asarray(x)
    axis %= x.ndim
    letters = _LETTERS[: x.ndim]
    out = np.einsum(f"{letters}->{letters.replace(letters[axis], '')}", x)
    return np.expand_dims(out, axis) if keepdims else out


def max_axis(x, axis: int = -1, keepdims: bool = False):
    """``x.max(axis)``, fast over short axes (elementwise maxima of the slices)."""
    out = functools.reduce(np.maximum, np.moveaxis(np.asarray(x), axis, 0))
    return np.expand_dims(out, axis % np.ndim(x)) if keepdims else out


def min_axis(x, axis: int = -1, keepdims: bool = False):
    """``x.min(axis)``, fast over short axes (elementwise minima of the slices)."""
    out = functools.reduce(np.minimum, np.moveaxis(np.asarray(x), axis, 0))
    return np.expand_dims(out, axis % np.ndim(x)) if keepdims else out
