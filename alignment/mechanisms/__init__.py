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
# loop and elementwise maxima over the slices do the same sums and maxima several times faster.
#
# A run's numbers must not depend on the batch it is in, to the last bit: a sweep extended with more replicates
# batches its runs anew, and one seed must give one result. Sums and products therefore go through the
# functions below, which sum each run's numbers in one fixed order: einsum walks its operands (and so orders its
# sums) by their memory layout, which for its own results depends on the batch size, so operands are made
# C-contiguous and results laid out in C order; a 2-D product of one row goes to BLAS's gemv and of many rows to
# gemm, which sum in other orders, so products are taken slice by slice; and a per-run exponent goes through
# :func:`power` (tests/test_engine.py checks every record of a run alone against the run in a batch).
_LETTERS = "abcdefgh"


def einsum(spec: str, *operands):
    """``np.einsum`` over C-contiguous operands into a C-ordered result: the same order of sums whatever the batch."""
    return np.einsum(spec, *(np.ascontiguousarray(o) for o in operands), order="C")


def matmul(a, b):
    """``a @ b`` for a batch of runs, ``a`` (B, K) or (B, ..., M, K), ``b`` (K, N) or batched like ``a``: each run's
    slice is one BLAS call of the same shape whatever the batch (a 2-D product is taken as B products of one row)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if a.ndim == 2:
        return np.matmul(a[:, None, :], b)[:, 0, :]
    return np.matmul(a, b)


def power(base, exponent):
    """``base ** exponent`` elementwise by one routine whatever the batch: numpy squares a base whose exponent it
    sees as one number 2.0 (a per-run exponent, in a batch of one) and calls pow otherwise, which differ in the last
    bit; the exponent is spelled out to the result's shape, so pow is called for every element."""
    base, exponent = np.asarray(base, dtype=float), np.asarray(exponent, dtype=float)
    return np.power(base, np.ascontiguousarray(np.broadcast_to(exponent, np.broadcast_shapes(base.shape, exponent.shape))))


def sum_axis(x, axis: int = -1, keepdims: bool = False):
    """``x.sum(axis)`` for a float or integer array, fast over short axes, in the same order whatever the batch."""
    x = np.asarray(x)
    axis %= x.ndim
    letters = _LETTERS[: x.ndim]
    out = einsum(f"{letters}->{letters.replace(letters[axis], '')}", x)
    return np.expand_dims(out, axis) if keepdims else out


def max_axis(x, axis: int = -1, keepdims: bool = False):
    """``x.max(axis)``, fast over short axes (elementwise maxima of the slices)."""
    out = functools.reduce(np.maximum, np.moveaxis(np.asarray(x), axis, 0))
    return np.expand_dims(out, axis % np.ndim(x)) if keepdims else out


def min_axis(x, axis: int = -1, keepdims: bool = False):
    """``x.min(axis)``, fast over short axes (elementwise minima of the slices)."""
    out = functools.reduce(np.minimum, np.moveaxis(np.asarray(x), axis, 0))
    return np.expand_dims(out, axis % np.ndim(x)) if keepdims else out
