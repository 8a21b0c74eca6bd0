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
    """One of the C5: its alignment weights over the powers live in ``model.weights[index]``.

    Its decision rule is the shared pull of trade, investment, security ties, attention, corridors and remittances
    (:attr:`pulls`), and answers that are its own (``configs/actors/default.yaml``, ``states.CODE``, with sources):

    - ``threat_response`` (-1..1): when a power coerces it, a balancer (1, Uzbekistan) leans away, a bandwagoner
      (-1; Tajikistan -0.6) leans toward it;
    - ``regime_security`` (0..1): when a threat rises, how much the leadership turns to the powers that guarantee its
      security (alliance, bases, SCO): Tajikistan 1, Kazakhstan 0.8 (it called in the CSTO in January 2022);
    - neutrality (Turkmenistan): part of its target stays at an even split, it answers no one's threat or coercion,
      and it adjusts more slowly.

    :meth:`answer` gives these terms toward one power this month: "what Kazakhstan does when Russia threatens" is
    ``model.state("KAZ").answer("RUS")``.
    """

    def __init__(self, model, code: str, index: int):
        super().__init__(model)
        self.code, self.index = code, index

    @property
    def rule(self) -> dict:
        """This state's own parameters: its answer to coercion, its regime-security concern, its neutrality."""
        w = self.model.world
        return {"threat_response": float(w.threat_response[self.index]), "regime_security": float(w.regime_security[self.index]),
                "neutral": bool(w.neutral[self.index])}

    def answer(self, power: str) -> dict:
        """This month's terms of the state's own rule toward ``power``, in score units (positive = toward it):
        its answer to the power's coercion, its turn to the power as a security partner under the present threat,
        and the pull of habit. Each is the engine's own term (:meth:`alignment.engine.core.Engine._target`)."""
        e, j, n = self.model.engine, self.model.engine.power_index[power], self.index
        p = e.p.runs[0]
        respond = 0.0 if self.model.world.neutral[n] else float(self.model.world.threat_response[n])
        security = e.channels()[0, 2, n, j]
        return {"coercion": -p.coercion_weight * respond * float(e.coercion_now()[0, j]),
                "security": p.regime_security_weight * float(e.threat[0]) * float(self.model.world.regime_security[n]) * float(security),
                "habit": p.hysteresis * float(e.habit[0, n, j])}

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
        return [(first, last, per_year, np.asarray(shares)[0], k) for runs, j, first, last, per_year, shares, k in self.model.engine.pledges
                if j == self.index]
