"""The batched engine: one implementation of the dynamics for B runs at once (``core``), their random
streams (``streams``), parameters (``params``) and interaction ledger (``ledger``)."""

from alignment.engine.core import STEP_ORDER, Engine, Prepared, RunView, record_shapes, simulate

__all__ = ["STEP_ORDER", "Engine", "Prepared", "RunView", "record_shapes", "simulate"]
