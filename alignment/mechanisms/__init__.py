"""Pure mechanism functions over numpy arrays, one module per mechanism.

Every function takes arrays with a leading batch axis ``B`` so that many runs can
be stepped at once, and every behavioural parameter either once for the whole
batch (a scalar) or per run (an array of shape ``(B,)``): the runs of one batch
may differ in any parameter. Nothing here imports Mesa, touches files or owns
randomness (random draws are passed in).
"""

from __future__ import annotations

import numpy as np


def per_run(value, ndim: int):
    """A parameter given once (scalar) or per run (shape ``(B,)``), shaped to broadcast against an
    array of ``ndim`` dimensions whose first axis is the batch."""
    a = np.asarray(value, dtype=float)
    return a if a.ndim == 0 else a.reshape((-1,) + (1,) * (ndim - 1))
