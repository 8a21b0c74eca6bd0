"""The interaction ledger of B runs, kept as columns and turned into rows once, at the end.

Every telegram, call, visit, meeting and summit is a row: (month, kind, level, format,
participants, multilateral, intraregional). Drawn contacts arrive a month at a time as
arrays; summits arrive as one row shared by the runs that hold them. A run's rows come
out in the order they were logged, which is the order of the model's schedule.
"""

from __future__ import annotations

import numpy as np

from alignment.mechanisms.diplomacy import KINDS as CONTACT_KINDS
from alignment.mechanisms.diplomacy import LEVELS

KINDS = CONTACT_KINDS + ("summit",)
SUMMIT = KINDS.index("summit")
COLUMNS = ("run", "month", "kind", "level", "template", "a", "b", "intraregional")


class Ledger:
    """Columns of the ledger of B runs; ``partners`` names the codes that contacts index."""

    def __init__(self, partners, n_runs: int):
        self.partners = tuple(partners)
        self.n_runs = n_runs
        self.templates: list[tuple] = []  # summit rows: (level, format, participants, multilateral, intraregional)
        self._parts: list[dict] = []
        self._columns: dict | None = None
        self._by_run: list | None = None

    def log_summit(self, month: int, runs: np.ndarray, level: str, fmt: str, participants: list, intraregional: bool) -> None:
        """One summit row for each run in ``runs``."""
        self.templates.append((level, fmt, "|".join(participants), len(participants) > 2, intraregional))
        n = len(runs)
        self._append({"run": runs, "month": np.full(n, month), "kind": np.full(n, SUMMIT),
                      "level": np.full(n, LEVELS.index(level)), "template": np.full(n, len(self.templates) - 1),
                      "a": np.full(n, -1), "b": np.full(n, -1), "intraregional": np.full(n, intraregional)})

    def log_contacts(self, month: int, run, kind, level, a, b, intraregional: bool) -> None:
        """Drawn bilateral contacts: arrays of equal length, ``a`` and ``b`` index ``partners``."""
        n = len(run)
        if n:
            self._append({"run": run, "month": np.full(n, month), "kind": kind, "level": level, "template": np.full(n, -1),
                          "a": a, "b": b, "intraregional": np.full(n, intraregional)})

    def _append(self, part: dict) -> None:
        self._parts.append(part)
        self._columns = self._by_run = None

    @property
    def columns(self) -> dict:
        """Every row of every run, in logging order, as arrays named by :data:`COLUMNS`."""
        if self._columns is None:
            if self._parts:
                self._columns = {c: np.concatenate([p[c] for p in self._parts]) for c in COLUMNS}
            else:
                self._columns = {c: np.empty(0, dtype=bool if c == "intraregional" else np.int64) for c in COLUMNS}
            self._parts = [self._columns] if self._parts else []
        return self._columns

    def run_columns(self, b: int) -> dict:
        """The columns of run ``b`` alone, in logging order."""
        if self._by_run is None:
            cols = self.columns
            order = np.argsort(cols["run"], kind="stable")
            bounds = np.searchsorted(cols["run"][order], np.arange(self.n_runs + 1))
            self._by_run = [order[bounds[r]:bounds[r + 1]] for r in range(self.n_runs)]
        idx = self._by_run[b]
        return {c: v[idx] for c, v in self.columns.items()}

    def rows(self, b: int) -> list[tuple]:
        """Run ``b``'s rows (month, kind, level, format, participants, multilateral, intraregional)."""
        c = self.run_columns(b)
        codes, out = self.partners, []
        for month, kind, level, t, a, bb, intra in zip(c["month"].tolist(), c["kind"].tolist(), c["level"].tolist(),
                                                       c["template"].tolist(), c["a"].tolist(), c["b"].tolist(),
                                                       c["intraregional"].tolist()):
            if t >= 0:
                lv, fmt, who, multi, intra_t = self.templates[t]
                out.append((month, "summit", lv, fmt, who, multi, intra_t))
            else:
                out.append((month, KINDS[kind], LEVELS[level], "bilateral", f"{codes[a]}|{codes[bb]}", False, intra))
        return out

    def yearly_counts(self, first_year: int, n_years: int) -> np.ndarray:
        """(B, Y, 2, 5) interactions per run, year, scope (0 external, 1 intraregional) and kind (:data:`KINDS`)."""
        c = self.columns
        year = c["month"] // 12 - first_year
        keep = (year >= 0) & (year < n_years)
        flat = (((c["run"] * n_years + year) * 2 + c["intraregional"]) * len(KINDS) + c["kind"])[keep]
        return np.bincount(flat, minlength=self.n_runs * n_years * 2 * len(KINDS)).reshape(self.n_runs, n_years, 2, len(KINDS))
