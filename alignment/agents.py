"""Mesa agents: thin views onto the model's arrays plus the bookkeeping each actor owns.

The maths lives in :mod:`alignment.mechanisms`; an agent knows its row in the
model's arrays, keeps what is its own (a state's membership history, a
power's pledges) and writes it into the arrays when stepped.
"""

from __future__ import annotations

import mesa
import numpy as np


class CentralAsianState(mesa.Agent):
    """One of the C5: its alignment weights over the powers live in ``model.weights[index]``."""

    def __init__(self, model, code: str, index: int, membership_changes: dict):
        super().__init__(model)
        self.code, self.index = code, index
        # institution index -> {year: status}, from the world data's change points
        self._changes = {k: dict(v) for k, v in membership_changes.items()}

    @property
    def weights(self) -> np.ndarray:
        """(P,) alignment weights over the active powers (a view: writes go to the model)."""
        return self.model.weights[self.index]

    @property
    def dominant_partner(self) -> str:
        return self.model.world.powers[int(np.argmax(self.weights))]

    def review_memberships(self) -> None:
        """Apply the membership changes the record dates to this calendar year (run each January)."""
        year = self.model.year
        for k, changes in self._changes.items():
            if year in changes:
                self.model.membership[self.index, k] = changes[year]


class ExternalPower(mesa.Agent):
    """An outside power with a yearly engagement budget and dated pledges."""

    def __init__(self, model, code: str, index: int):
        super().__init__(model)
        self.code, self.index = code, index
        self.pledges: list[tuple[int, float, np.ndarray, int]] = []  # (last month, USD bn/yr, state shares, corridor or -1)

    def pledge(self, amount_usd_bn: float, years: float, state_shares: np.ndarray, corridor: int) -> None:
        months = max(1, round(years * 12))
        self.pledges.append((self.model.month + months - 1, amount_usd_bn / years, state_shares, corridor))

    def disburse(self) -> None:
        """Write this month's free budget and earmarked flows into the model's arrays."""
        m = self.model
        m.budget[self.index] = m.world.investment_usd_bn[self.index]
        m.earmarked[self.index] = 0.0
        live = []
        for last, per_year, shares, corridor in self.pledges:
            if m.month <= last:
                m.earmarked[self.index] += per_year * shares
                if corridor >= 0:
                    m.corridor_funding[corridor] += per_year / 12.0
                live.append((last, per_year, shares, corridor))
        self.pledges = live
