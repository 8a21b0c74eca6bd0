"""One classroom run, without a browser: the settings, the Mesa model stepped month by month, the spread over
many seeds, a pinned baseline, and the exports. The page (alignment/app/page.py) only draws what this holds.

The run is the Mesa model (the engine with B = 1); the spread is one batch of the engine with ``band_seeds``
runs of the same settings; the baseline is one run of another scenario, to the horizon. A changed setting
starts the run again from January 2015, so what is on screen always belongs to the settings shown.
"""

from __future__ import annotations

import functools
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alignment.app.classroom import Classroom
from alignment.cli import compose_config
from alignment.errors import ConfigError
from alignment.world.calendar import format_month

CORRIDORS = ("NORTHERN", "MIDDLE", "CKU", "INSTC")  # the overland routes (the sea route carries about 1,000 Mt)


def _locked(method):
    """Run ``method`` holding the session's lock (re-entrant: locked methods call one another)."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return locked


@dataclass
class Settings:
    scenario: str
    seed: int
    values: dict  # control name -> value


@dataclass
class Series:
    """What the charts read, month by month up to the current month: dates as decimal years."""

    years: np.ndarray  # (T,)
    weights: np.ndarray  # (T, N, P) share
    volume_mt: np.ndarray  # (T, K) million tonnes per year
    unga: np.ndarray  # (T, N, P) predicted agreement 0-1


@dataclass
class Session:
    classroom: Classroom
    settings: Settings = None
    model: object = None
    band: dict | None = None  # quantiles of the spread: {"weights": (3, T, N, P), "weights_12m": the same of the
    # 12-month means, "volume_mt": (3, T, K), "seeds": S}
    baseline: dict | None = None  # {"scenario": name, "series": Series}
    # held while the run changes or is read whole: the page's downloads run on a worker thread while Play steps
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    generation: int = 0  # counts the changes to what is drawn behind the run (the run started again, the spread, the
    # baseline): what a drawing that does not change month by month keys on

    def __post_init__(self):
        if self.settings is None:
            self.settings = Settings(self.classroom.scenarios[0], self.classroom.seed, {n: c.default for n, c in self.classroom.controls.items()})
        self.reset()

    # ------------------------------------------------------------------ settings
    def overrides(self, scenario: str | None = None) -> list[str]:
        """The alignment-run overrides of the current settings (only the controls moved from their defaults)."""
        s = self.settings
        out = [f"scenario={scenario or s.scenario}", f"seed={s.seed}", f"horizon.end={self.classroom.horizon_end}"]
        for name, value in s.values.items():
            c = self.classroom.controls[name]
            if value != c.default:
                out.append(f"{c.key}={value:g}")
        return out

    def command(self) -> str:
        return "alignment-run " + " ".join(self.overrides())

    def set_value(self, name: str, value) -> str | None:
        """Move a control; a value outside its locked range is refused (returns why) and the run goes on."""
        c = self.classroom.controls[name]
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"{name}: {value!r} is not a number"
        if not np.isfinite(v) or not c.min <= v <= c.max:
            return f"{name}: {value!r} is outside [{c.min:g}, {c.max:g}] {c.unit['en']}"
        if v != self.settings.values[name]:
            self.settings.values[name] = v
            self.reset()
        return None

    def set_seed(self, seed) -> str | None:
        try:
            n = int(seed)
        except (TypeError, ValueError):
            return f"seed: {seed!r} is not a whole number"
        if n < 0 or n != float(seed):
            return f"seed: {seed!r} must be a whole number >= 0"
        if n != self.settings.seed:
            self.settings.seed = n
            self.reset()
        return None

    def set_scenario(self, scenario: str) -> str | None:
        if scenario not in self.classroom.scenarios:
            return f"scenario: {scenario!r} is not offered; offered: {', '.join(self.classroom.scenarios)}"
        if scenario != self.settings.scenario:
            self.settings.scenario = scenario
            self.reset()
        return None

    @_locked
    def load_question(self, name: str) -> None:
        """Set the controls as the question says (the rest back to their defaults), pin its baseline, start again."""
        q = self.classroom.questions[name]
        self.settings.scenario = q.scenario
        self.settings.values = {n: q.values.get(n, c.default) for n, c in self.classroom.controls.items()}
        self.band = None
        self.reset()
        if q.baseline:
            self.pin_baseline(q.baseline, defaults=True)

    @_locked
    def apply(self, scenario: str, seed: int, values: dict, question: str | None = None) -> None:
        """Settings all at once (a shared link): the run starts again, with the question's baseline pinned when it
        names one. The caller has checked each value (alignment.app.link.parse)."""
        self.settings = Settings(scenario, int(seed), dict(values))
        self.band = self.baseline = None
        self.reset()
        q = self.classroom.questions.get(question) if question else None
        if q is not None and q.baseline:
            self.pin_baseline(q.baseline, defaults=True)

    # ------------------------------------------------------------------ running
    def _prepared(self, scenario: str | None = None, defaults: bool = False):
        overrides = self.overrides(scenario)
        if defaults:  # the baseline of a question: its scenario at the calibrated settings
            overrides = overrides[:3]
        return _prepare(tuple(overrides))

    @_locked
    def reset(self) -> None:
        """Build the Mesa model of the current settings at January of the first year."""
        from alignment.model import AlignmentModel

        p = self._prepared()
        self.model = AlignmentModel(p.world, p.params, p.events, p.start, p.end, seed=p.seed)
        self.band = None
        self.generation += 1

    @_locked
    def step(self, months: int = 1) -> int:
        """Step up to ``months`` months (fewer at the horizon); returns how many were stepped."""
        n = 0
        while n < months and self.model.running:
            self.model.step()
            n += 1
        return n

    @property
    def month(self) -> int:
        """The month index the run has reached (the next to step)."""
        return self.model.month

    @property
    def date(self) -> str:
        return format_month(min(self.model.month, self.model.end))

    @property
    def finished(self) -> bool:
        return not self.model.running

    def series(self) -> Series:
        m = self.model
        t = m.month - m.start
        return _series(m.world, m.rec, m.p.tonnes_per_teu, m.start, t)

    def events_reached(self) -> list[tuple[str, str, str]]:
        """(date YYYY-MM, id, note) of the timeline's events up to the current month, latest first."""
        out = [(format_month(e.date), e.id, e.note) for e in self.model.events if e.date < self.model.month]
        return out[::-1]

    def interactions_per_year(self) -> pd.DataFrame:
        """Intraregional and external interactions per finished year (and the current year so far)."""
        rows = [(r[0] // 12, bool(r[6])) for r in self.model.ledger]
        if not rows:
            return pd.DataFrame(columns=["year", "scope", "count"])
        d = pd.DataFrame(rows, columns=["year", "intraregional"])
        d["scope"] = np.where(d.intraregional, "intraregional", "external")
        return d.groupby(["year", "scope"]).size().rename("count").reset_index()

    def unga_fit(self) -> pd.DataFrame:
        """Predicted (this run, yearly mean) against recorded UN voting agreement for the years reached, 2015-2021."""
        m = self.model
        obs = m.world.observations
        s = self.series()
        rows = []
        for y_i, year in enumerate(obs.years):
            if year > 2021:
                continue
            months = np.floor(s.years) == year
            if not months.any():
                continue
            predicted = s.unga[months].mean(axis=0)
            for i, state in enumerate(m.world.states):
                for j, power in enumerate(m.world.powers):
                    if np.isfinite(obs.unga[y_i, i, j]):
                        rows.append({"year": int(year), "state": state, "power": power, "predicted": float(predicted[i, j]),
                                     "recorded": float(obs.unga[y_i, i, j])})
        return pd.DataFrame(rows, columns=["year", "state", "power", "predicted", "recorded"])

    def _settings_now(self) -> tuple:
        return self.settings.scenario, self.settings.seed, tuple(sorted(self.settings.values.items()))

    def run_band(self) -> dict | None:
        """``band_seeds`` runs of the current settings to the horizon as one engine batch: the 5th, 50th and 95th
        percentiles of the weights and corridor volumes, month by month.

        The runs hold no lock: the page starts them on a worker thread and Play goes on meanwhile. A spread whose
        settings were changed while it ran belongs to no run on screen: it is dropped (returns None)."""
        from alignment.runs import run_batch

        with self.lock:
            p, asked = self._prepared(), self._settings_now()
        n = self.classroom.band_seeds
        seeds = [asked[1] + k for k in range(n)]
        runs = run_batch(p, [p.params] * n, seeds)
        T = p.end - p.start + 1
        parts = [_series(p.world, r.rec, p.params.tonnes_per_teu, p.start, T) for r in runs]
        q = [5, 50, 95]
        weights = np.stack([s.weights for s in parts])
        band = {"years": parts[0].years, "seeds": n, "weights": np.percentile(weights, q, axis=0),
                "weights_12m": np.percentile(trailing_mean(weights, axis=1), q, axis=0),
                "volume_mt": np.percentile(np.stack([s.volume_mt for s in parts]), q, axis=0)}
        with self.lock:
            if self._settings_now() != asked:
                return None
            self.band = band
            self.generation += 1
            return band

    @_locked
    def pin_baseline(self, scenario: str | None = None, defaults: bool = False) -> dict:
        """Run ``scenario`` (default: the current one) to the horizon with the current settings (or the calibrated
        ones, ``defaults``) and the same seed, and keep it to compare against."""
        from alignment.runs import run_batch

        scenario = scenario or self.settings.scenario
        if scenario not in self.classroom.scenarios:
            raise ConfigError("baseline", scenario, "not one of the classroom's scenarios")
        p = self._prepared(scenario, defaults=defaults)
        (run,) = run_batch(p, [p.params], [self.settings.seed])
        self.baseline = {"scenario": scenario, "defaults": defaults,
                         "series": _series(p.world, run.rec, p.params.tonnes_per_teu, p.start, p.end - p.start + 1)}
        self.generation += 1
        return self.baseline

    @_locked
    def unpin(self) -> None:
        self.baseline = None
        self.generation += 1

    # ------------------------------------------------------------------ exports
    @_locked
    def export_csv(self) -> str:
        """The run so far as tidy CSV: date, indicator, entity, partner, value, unit."""
        s, w = self.series(), self.model.world
        frames = []
        T, N, P = s.weights.shape
        dates = [format_month(self.model.start + k) for k in range(T)]
        for name, arr, ents, parts, unit in (("alignment_weight", s.weights, w.states, w.powers, "share"),
                                             ("unga_agreement", s.unga, w.states, w.powers, "agreement score 0-1")):
            frames.append(pd.DataFrame({"date": np.repeat(dates, N * P), "indicator": name,
                                        "entity": np.tile(np.repeat(ents, P), T), "partner": np.tile(parts, T * N),
                                        "value": arr.reshape(-1), "unit": unit}))
        K = s.volume_mt.shape[1]
        frames.append(pd.DataFrame({"date": np.repeat(dates, K), "indicator": "corridor_volume_mt",
                                    "entity": np.tile(list(w.corridors), T), "partner": "", "value": s.volume_mt.reshape(-1),
                                    "unit": "million tonnes per year"}))
        out = io.StringIO()
        pd.concat(frames, ignore_index=True).to_csv(out, index=False, float_format="%.6g")
        return out.getvalue()

    @_locked
    def export_config(self) -> str:
        """The command line that reproduces the run with alignment-run, with what it needs to say."""
        return (f"# {self.settings.scenario}, seed {self.settings.seed}, reached {self.date}\n"
                f"# reproduce the whole run (to {self.classroom.horizon_end}) with:\n{self.command()}\n")

    def export_png(self, figure) -> bytes:
        buf = io.BytesIO()
        figure.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
        return buf.getvalue()

    def save(self, folder, figure=None) -> list[Path]:
        """Write run.csv, reproduce.txt and (with a figure) charts.png into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "run.csv", folder / "reproduce.txt"]
        paths[0].write_text(self.export_csv())
        paths[1].write_text(self.export_config())
        if figure is not None:
            paths.append(folder / "charts.png")
            paths[2].write_bytes(self.export_png(figure))
        return paths


@functools.lru_cache(maxsize=32)
def _prepare(overrides: tuple):
    """A checked, ready-to-run config (world built, events parsed), kept: moving a slider back and forth, or
    running the spread of settings already run, composes nothing again."""
    from alignment.runs import prepare

    return prepare(compose_config(list(overrides)))


def trailing_mean(values: np.ndarray, months: int = 12, axis: int = 0) -> np.ndarray:
    """The mean over the last ``months`` months (fewer at the start) along ``axis`` (the months): the monthly
    weights wobble with each month's events, the yearly mean shows where a state is heading. Same shape as ``values``."""
    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    c = np.cumsum(v, axis=0)
    out = c.copy()
    out[months:] = c[months:] - c[:-months]
    n = np.minimum(np.arange(1, len(v) + 1), months).reshape((-1,) + (1,) * (v.ndim - 1))
    return np.moveaxis(out / n, 0, axis)


def _series(world, rec, tonnes_per_teu: float, start: int, t: int) -> Series:
    """The first ``t`` months of a run's recorder arrays, in the charts' units."""
    years = (start + np.arange(t)) / 12.0
    return Series(years=years, weights=np.asarray(rec["weights"][:t]), volume_mt=np.asarray(rec["volume"][:t]) * tonnes_per_teu / 1e6,
                  unga=np.asarray(rec["unga"][:t]))
