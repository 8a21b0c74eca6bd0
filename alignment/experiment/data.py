"""What an experiment's code reads: the summaries of its sweeps, their designs, worlds and timelines.

An experiment declares, per sweep, the indicators it reads (``experiment.sweeps``); reading any other
is a mistake of the experiment's code and raises, so the config always says what a figure depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alignment.errors import ConfigError
from alignment.sweeps.plan import Plan
from alignment.sweeps.store import read_runs, read_summaries
from alignment.world.calendar import format_month


@dataclass
class SweepInput:
    """One sweep an experiment reads: its composed config, its plan, its folder and the indicators it needs."""

    name: str
    cfg: object  # the composed sweep config (DictConfig)
    plan: Plan
    root: Path
    indicators: list


class ExperimentData:
    """The sweeps of one experiment, read lazily and once."""

    def __init__(self, sweeps: dict, targets=None):
        self.sweeps = sweeps
        self._targets = targets
        self._summaries: dict = {}

    def _sweep(self, name: str) -> SweepInput:
        if name not in self.sweeps:
            raise KeyError(f"sweep {name!r} is not one of the experiment's sweeps ({', '.join(self.sweeps)}): add it to experiment.sweeps")
        return self.sweeps[name]

    def summaries(self, sweep: str, indicator: str, **where) -> pd.DataFrame:
        """Tidy summary rows of one indicator (run_id, scenario, seed, replicate, parameters..., entity, partner,
        year, value, unit), optionally narrowed by column values, e.g. ``entity="KAZ", year=2030``."""
        s = self._sweep(sweep)
        if indicator not in s.indicators:
            raise KeyError(f"indicator {indicator!r} is not declared for sweep {sweep!r} in experiment.sweeps "
                           f"(declared: {', '.join(s.indicators)})")
        if sweep not in self._summaries:
            self._summaries[sweep] = read_summaries(s.root, filters=[("indicator", "in", list(s.indicators))],
                                                    run_ids={r.run_id for r in s.plan.runs})
        d = self._summaries[sweep]
        d = d[d["indicator"] == indicator]
        for column, value in where.items():
            d = d[d[column].isin(value) if isinstance(value, (list, tuple, set)) else d[column] == value]
        return d.reset_index(drop=True)

    def runs(self, sweep: str) -> pd.DataFrame:
        """One row per run of the sweep's config, in plan order (scenario, point, replicate): ids, seed, parameter
        values, status; ``point`` is the run's row in the config's design (the folder may hold an extension of it)."""
        s = self._sweep(sweep)
        point = {r.point_id: r.point for r in s.plan.runs}
        runs = read_runs(s.root)
        runs = runs[runs["run_id"].isin({r.run_id for r in s.plan.runs})]
        runs = runs.assign(point=runs["point_id"].map(point).astype("int64"))
        return runs.sort_values(["scenario", "point", "replicate", "run_id"], kind="stable").reset_index(drop=True)

    def plan(self, sweep: str) -> Plan:
        return self._sweep(sweep).plan

    def problem(self, sweep: str) -> dict:
        """The SALib problem the sweep's design was drawn from (log ranges in log10 units)."""
        return self._sweep(sweep).plan.problem

    def world(self, sweep: str):
        """The world the sweep's runs start from (actors, corridors, observations)."""
        return next(iter(self._sweep(sweep).plan.groups.values())).prepared.world

    def events(self, sweep: str, scenario: str) -> pd.DataFrame:
        """The scenario's timeline as the sweep ran it: id, date (YYYY-MM), year (decimal, month start), kind, note."""
        groups = [g for g in self._sweep(sweep).plan.groups.values() if g.scenario == scenario]
        if not groups:
            ran = ", ".join(dict.fromkeys(g.scenario for g in self._sweep(sweep).plan.groups.values()))
            raise ConfigError("experiment.options.scenario", scenario, f"not a scenario of sweep '{sweep}': {ran}")
        rows = [{"id": e.id, "date": format_month(e.date), "year": e.date / 12.0, "kind": type(e).__name__, "note": e.note}
                for e in groups[0].prepared.events]
        return pd.DataFrame(rows, columns=["id", "date", "year", "kind", "note"])

    def marks(self, sweep: str, scenario: str, labels: dict, key: str = "experiment.options.marks") -> pd.DataFrame:
        """The events to mark on a time axis, {event id: label} in config order: the events table with a label column.
        An id that is not an event of the scenario is a ConfigError naming it."""
        events = self.events(sweep, scenario).drop_duplicates("id").set_index("id")
        for event_id in labels or {}:
            if event_id not in events.index:
                raise ConfigError(f"{key}.{event_id}", labels[event_id], f"not an event of scenario '{scenario}'; "
                                                                         f"its events: {', '.join(events.index[:12])}, ...")
        out = events.loc[list(labels or {})].reset_index()
        return out.assign(label=[str(labels[i]) for i in out["id"]])

    def targets(self):
        """The 2015-2021 calibration targets (configs/targets/), each with its source."""
        if callable(self._targets):
            self._targets = self._targets()
        return self._targets


def bands(frame: pd.DataFrame, by: list, level: float = 0.9) -> pd.DataFrame:
    """Mean and central ``level`` band of ``value`` over the rows of each group (the runs), with their count."""
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    g = frame.groupby(by, sort=True)["value"]
    out = pd.DataFrame({"mean": g.mean(), "lo": g.quantile(lo), "hi": g.quantile(hi), "runs": g.size()}).reset_index()
    return out
