"""Mesa agents: each a view onto its row of the engine's arrays (run 0 of a B = 1 engine).

The maths lives in :mod:`alignment.mechanisms` and the schedule in :mod:`alignment.engine`,
which steps every state and power of every run at once; an agent names its actor, knows
its row, and reads what is its own: a state's weights, target and memberships, a power's
spending and live pledges.
"""

from __future__ import annotations

import mesa
import numpy as np

from alignment.mechanisms.alignment import adjustment_rates
from alignment.mechanisms.engagement import rival_presence


class CentralAsianState(mesa.Agent):
    """One of the C5: its alignment weights over the powers live in ``model.weights[index]``."""

    def __init__(self, model, code: str, index: int):
        super().__init__(model)
        self.code, self.index = code, index

    @property
    def weights(self) -> np.ndarray:
        """(P,) alignment weights over the active powers (a view: writes go to the engine)."""
        return self.model.engine.weights[0, self.index]

    @property
    def dominant_partner(self) -> str:
        return self.model.world.powers[int(np.argmax(self.weights))]

    @property
    def pulls(self) -> np.ndarray:
        """(6, P) this month's pull of each power on the state, channel by channel (trade, investment,
        security, attention, corridor, remittances): what its decision rule weighs."""
        return self.model.engine.channels()[0, :, self.index]

    @property
    def adjustment_rate(self) -> float:
        """Share of the gap to its target the state closes this month: its calm rate (slower if neutral),
        hurried by a shared threat."""
        e = self.model.engine
        return float(adjustment_rates(e._rate, e.threat, e.p.threat_urgency)[0, self.index, 0])

    @property
    def memberships(self) -> dict:
        """Institution -> status (0, 0.5 observer, 1) now."""
        row = self.model.engine.membership[0, self.index]
        return {k: float(row[i]) for k, i in self.model.institution_index.items()}


class ExternalPower(mesa.Agent):
    """An outside power with a yearly engagement budget and dated pledges."""

    def __init__(self, model, code: str, index: int):
        super().__init__(model)
        self.code, self.index = code, index

    @property
    def spending(self) -> np.ndarray:
        """(N,) investment flowing to each state this month, USD bn per year (budget spread plus pledges)."""
        return self.model.engine.invest_flow[0, self.index]

    @property
    def rivals_presence(self) -> np.ndarray:
        """(N,) share of the investment in each state its rivals hold, weighted by their distance from it in UN
        votes: where it answers their spending."""
        e = self.model.engine
        return rival_presence(e.investment_stock, e._rivalry)[0, self.index]

    @property
    def pledges(self) -> list[tuple]:
        """Live pledges and scheduled tranches: (first month, last month, USD bn per year, state shares, corridor index or -1)."""
        return [(first, last, per_year, shares, k) for runs, j, first, last, per_year, shares, k in self.model.engine.pledges
                if j == self.index]
