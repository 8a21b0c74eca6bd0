"""The behavioural parameters of B runs, stacked field by field.

Any parameter may differ between the runs of one batch: each field of
:class:`~alignment.schema.ModelParams` becomes an array with the batch first,
``(B,)`` for a number and ``(B, 4)`` or ``(B, 4, 3)`` for the probability tables.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from alignment.schema import ModelParams


class BatchParams:
    """``ModelParams`` of B runs: ``bp.temperature`` is a (B,) array; ``bp.runs[b]`` the run's own dataclass."""

    def __init__(self, params: list[ModelParams]):
        if not params:
            raise ValueError("a batch needs at least one run")
        self.runs = tuple(params)
        for f in fields(ModelParams):
            setattr(self, f.name, np.array([np.asarray(getattr(p, f.name), dtype=float) for p in params]))
        self.construction_lag_months = self.construction_lag_months.astype(np.int64)

    def __len__(self) -> int:
        return len(self.runs)
