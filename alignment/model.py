"""AlignmentModel: the C5 and the external powers as a Mesa model, stepped one month at a time.

The dynamics live in the batched engine (:mod:`alignment.engine`); the Mesa model is
that engine with a single run (B = 1), plus the agents: each
:class:`~alignment.agents.CentralAsianState` and :class:`~alignment.agents.ExternalPower`
is a view onto its row of the engine's arrays. ``step()`` is one month of the schedule
of docs/ODD.md (:data:`alignment.engine.STEP_ORDER`). The model's state arrays read as
attributes (``model.weights``, ``model.sanction``, ...) are run 0 of the engine.
"""

from __future__ import annotations

import logging

import mesa

from alignment.agents import CentralAsianState, ExternalPower
from alignment.engine import STEP_ORDER, Engine
from alignment.rng import make_generator
from alignment.schema import ModelParams
from alignment.world import World

logging.getLogger("MESA").setLevel(logging.WARNING)

__all__ = ["AlignmentModel", "STEP_ORDER"]
MESA_STREAM = 3  # the Mesa model's own generator (agent order); the dynamics draw from the engine's (alignment.engine.streams)


class AlignmentModel(mesa.Model):
    """The alignment model. Build it with :func:`alignment.runs.build_model` from a config."""

    def __init__(self, world: World, params: ModelParams, events: list, start: int, end: int, seed: int = 0):
        super().__init__(rng=make_generator(seed, stream=MESA_STREAM))
        self.engine = Engine(world, [params], [list(events)], start, end, [seed])
        self.world, self.p, self.seed = world, params, seed
        self.start, self.end, self.n_months = start, end, self.engine.n_months
        e = self.engine
        self.state_index, self.power_index, self.partner_index = e.state_index, e.power_index, e.partner_index
        self.corridor_index, self.market_index, self.institution_index = e.corridor_index, e.market_index, e.institution_index
        self.events = list(events)
        for i, s in enumerate(world.states):
            CentralAsianState(self, s, i)
        for j, p in enumerate(world.powers):
            ExternalPower(self, p, j)
        # Mesa 3.3 keeps a class-level id counter per model (mesa.Agent._ids), which holds every model ever built
        # alive (Mesa issue 3179); the agents are all made, so the counter is dropped and repeated runs keep flat
        # memory. Mesa 3.4+ has no such counter.
        ids = getattr(mesa.Agent, "_ids", None)
        if ids is not None:
            ids.pop(self, None)
        self.states = self.agents_by_type[CentralAsianState]
        self.powers = self.agents_by_type[ExternalPower]
        self.running = True

    def state(self, code: str) -> CentralAsianState:
        """The agent of state ``code`` (e.g. ``model.state("KAZ").answer("RUS")``)."""
        return next(a for a in self.states if a.code == code)

    def __getattr__(self, name):
        """The engine's state arrays, run 0 (``model.weights`` is ``model.engine.weights[0]``)."""
        engine = self.__dict__.get("engine")
        if engine is None or name.startswith("__"):
            raise AttributeError(name)
        value = getattr(engine, name)
        if hasattr(value, "shape") and value.shape[:1] == (1,):
            return value[0]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def month(self) -> int:
        return self.engine.month

    @property
    def year(self) -> int:
        return self.engine.year

    @property
    def rec(self) -> dict:
        """Indicator arrays (month, ...) filled so far."""
        return {k: v[:, 0] for k, v in self.engine.rec.items()}

    @property
    def ledger(self) -> list[tuple]:
        """The interaction ledger as rows (month, kind, level, format, participants, multilateral, intraregional)."""
        return self.engine.ledger.rows(0)

    @property
    def membership_history(self) -> dict:
        return self.engine.view(0).membership_history

    @property
    def sanction_history(self) -> dict:
        return self.engine.view(0).sanction_history

    def step(self):
        """One month, in the order of :data:`STEP_ORDER`."""
        self.engine.step()
        self.running = self.engine.running

    def run(self):
        """Step to the end of the horizon; returns self."""
        while self.running:
            self.step()
        return self
