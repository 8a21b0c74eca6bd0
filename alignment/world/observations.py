"""What can be seen of alignment: UN voting agreement, arms-import suppliers, ideal points.

``build_observations`` extracts, from ``../shared/data/alignment_observables_2015_2021.yaml``,
the three series the observation model uses, into the ``observations`` block of the generated
world config (so a run needs no file outside the repository and every number keeps its source):

- ``unga_agreement``: weighted UN General Assembly voting agreement (same vote = 1, one abstains
  = 0.5, yes against no = 0) between each C5 state and each power on resolutions adopted by
  recorded vote, by calendar year, with the number of jointly cast votes. The EU is proxied by
  the mean of France and Germany (``EU_FRA_DEU`` in the data).
- ``arms_imports_tiv``: SIPRI trend-indicator values of major-arms deliveries to each C5 state by
  supplier and year (suppliers outside the model pooled as ``OTHER``).
- ``ideal_points``: Bailey-Strezhnev-Voeten UNGA ideal points of the powers by year (EU = mean
  of France and Germany), from which the distances between powers (rivalry) are taken.

``load_observations`` checks the block against the run's states and powers and turns it into
arrays (:class:`Observations`); a wrong state, power or measure is a one-line
:class:`~alignment.errors.ConfigError`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from alignment.errors import ConfigError

FILE = "alignment_observables_2015_2021.yaml"
SERIES = "unga_agreement_adopted_resolutions"
MEASURES = ("unga_weighted_agreement", "unga_identical_agreement")
MEASURE = "unga_weighted_agreement"
PROXIES = {"EU_FRA_DEU": "EU", "EU27": "EU"}  # data code -> model code
UNGA_POWERS = ("RUS", "CHN", "USA", "EU", "GBR", "TUR", "IRN")
OTHER = "OTHER"
YEARS = tuple(range(2015, 2022))


def _model_code(code: str) -> str:
    if code.endswith("(EU27)"):  # "DEU (EU27)": a member state's deliveries count as the EU's
        return "EU"
    return PROXIES.get(code, code)


def build_observations(shared_dir, states, powers) -> dict:
    """The ``observations`` block of the world config from the shared data directory (pure)."""
    path = Path(shared_dir) / FILE
    if not path.exists():
        raise ConfigError("observations", str(path), "no such file: the observation data (UN votes, SIPRI arms) are read from it")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if SERIES not in data or "arms_imports_sipri" not in data or "unga_ideal_points" not in data:
        raise ConfigError("observations", str(path), f"needs the blocks {SERIES}, arms_imports_sipri and unga_ideal_points")

    unga: dict = {}
    n_votes = []
    for r in data[SERIES]["records"]:
        if r["measure"] not in MEASURES:
            raise ConfigError(f"{FILE}:{SERIES}.measure", r["measure"], "known measures: " + ", ".join(MEASURES))
        if r["measure"] != MEASURE or r["power"] in ("FRA", "DEU"):
            continue
        s, p = r["state"], _model_code(r["power"])
        if s not in states:
            raise ConfigError(f"{FILE}:{SERIES}.state", s, "unknown state; known: " + ", ".join(states))
        if p not in powers:
            raise ConfigError(f"{FILE}:{SERIES}.power", r["power"], "unknown power; known: " + ", ".join(powers))
        unga.setdefault(s, {}).setdefault(p, {})[int(r["year"])] = [round(float(r["value"]), 4), int(r["n"])]
        n_votes.append(int(r["n"]))
    source = data[SERIES]["records"][0]["source"]

    arms: dict = {}
    for r in data["arms_imports_sipri"]["annual"]:
        if r["measure"] != "arms_imports_tiv":
            continue
        s, p = r["state"], _model_code(r["power"])
        if s not in states:
            raise ConfigError(f"{FILE}:arms_imports_sipri.state", s, "unknown state; known: " + ", ".join(states))
        p = p if p in powers else OTHER
        cell = arms.setdefault(s, {}).setdefault(p, {})
        cell[int(r["year"])] = round(cell.get(int(r["year"]), 0.0) + float(r["value"]), 3)
    arms_source = data["arms_imports_sipri"]["annual"][0]["source"]

    ideal: dict = {}
    for r in data["unga_ideal_points"]["records"]:
        if r["measure"] != "unga_ideal_point":
            continue
        code = r["state"]  # the ideal-point records name every country under 'state'
        ideal.setdefault(code, {})[int(r["year"])] = float(r["value"])
    points = {}
    for p in powers:
        members = ("FRA", "DEU") if p == "EU" else (p,)
        if all(m in ideal for m in members):
            points[p] = {y: round(float(np.mean([ideal[m][y] for m in members])), 4) for y in YEARS if all(y in ideal[m] for m in members)}
    ideal_source = next(r["source"] for r in data["unga_ideal_points"]["records"] if r["measure"] == "unga_ideal_point")

    order = [s for s in states if s in unga]
    return {
        "unga_agreement": {
            "series": SERIES, "measure": MEASURE,
            "unit": "agreement score 0-1 (same vote = 1, one abstains = 0.5, yes against no = 0)",
            "source": source,
            "note": (f"[value, n jointly cast recorded votes] by state, power and calendar year of adoption; EU = mean of France "
                     f"and Germany (EU_FRA_DEU in {FILE}); n from {min(n_votes)} to {max(n_votes)}."),
            "values": {s: {p: dict(sorted(unga[s][p].items())) for p in powers if p in unga[s]} for s in order},
        },
        "arms_imports_tiv": {
            "unit": "SIPRI TIV, millions",
            "source": arms_source,
            "note": f"major-arms deliveries by supplier and year; EU = its member states; suppliers outside the model pooled as {OTHER}.",
            "values": {s: {p: dict(sorted(arms[s][p].items())) for p in list(powers) + [OTHER] if p in arms[s]}
                       for s in states if s in arms},
        },
        "ideal_points": {
            "unit": "UNGA ideal point (Bailey, Strezhnev and Voeten), one dimension",
            "source": ideal_source,
            "note": "session s is year s + 1945; EU = mean of France and Germany.",
            "values": points,
        },
    }


@dataclass(frozen=True, eq=False)
class Observations:
    """The observation record as arrays, in the run's state and power order."""

    years: np.ndarray  # (Y,)
    unga: np.ndarray  # (Y, N, P) weighted agreement, NaN where not recorded
    unga_votes: np.ndarray  # (Y, N, P) jointly cast recorded votes
    arms_tiv: np.ndarray  # (Y, N, P + 1) SIPRI TIV, USD m; last column = suppliers outside the model
    ideal_point: np.ndarray  # (P,) mean ideal point 2015-2021, NaN where unknown

    @property
    def has_unga(self) -> np.ndarray:
        """(P,) powers with a UN voting record."""
        return ~np.isnan(self.unga).all(axis=(0, 1))

    @property
    def supplier(self) -> np.ndarray:
        """(P,) powers that delivered major arms to any C5 state in the record's years."""
        return self.arms_tiv[:, :, :-1].sum(axis=(0, 1)) > 0

    def unga_mean(self, first: int = 2015, last: int = 2021) -> np.ndarray:
        """(N, P) each dyad's agreement averaged over its recorded years in the window (NaN where none)."""
        rows = (self.years >= first) & (self.years <= last)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a dyad without a record is NaN, as documented
            return np.nanmean(self.unga[rows], axis=0)

    def unga_baseline(self, first: int = 2015, last: int = 2021) -> np.ndarray:
        """(P,) the C5's mean agreement with each power over the window: how much the region votes with it at
        all (0.5 for a power without a record; its predictions are not reported)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(self.unga_mean(first, last), axis=0)
        return np.where(np.isfinite(mean), mean, 0.5)

    def arms_shares(self, first: int = 2015, last: int = 2021) -> np.ndarray:
        """(N, P) each supplier's share of the state's arms imports among the model's powers over the window."""
        rows = (self.years >= first) & (self.years <= last)
        tiv = self.arms_tiv[rows, :, :-1].sum(axis=0)
        total = tiv.sum(axis=1, keepdims=True)
        return np.divide(tiv, total, out=np.full_like(tiv, np.nan), where=total > 0)


def load_observations(block, states, powers, known_states=None, known_powers=None) -> Observations:
    """Check the world config's ``observations`` block and turn it into arrays.

    Codes must be states or powers of the catalogue (``known_*``, default: the run's); records of
    catalogue actors the run leaves out are skipped."""
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(block) if OmegaConf.is_config(block) else (block or {})
    if not raw:
        raise ConfigError("world.observations", None, "missing: rebuild the world config (make world) to add the observation record")
    for key in ("unga_agreement", "arms_imports_tiv", "ideal_points"):
        if key not in raw or not isinstance(raw[key], dict) or "values" not in raw[key]:
            raise ConfigError(f"world.observations.{key}", None, "missing: rebuild the world config (make world)")
    measure = raw["unga_agreement"].get("measure")
    if measure not in MEASURES:
        raise ConfigError("world.observations.unga_agreement.measure", measure, "known measures: " + ", ".join(MEASURES))
    years = np.array(YEARS)
    N, P, Y = len(states), len(powers), len(YEARS)
    unga, votes = np.full((Y, N, P), np.nan), np.zeros((Y, N, P))
    arms, ideal = np.zeros((Y, N, P + 1)), np.full(P, np.nan)

    known_states, known_powers = list(known_states or states), list(known_powers or powers)

    def index(key, code, used, known):
        if code not in known:
            raise ConfigError(key, code, "unknown; known: " + ", ".join(known))
        return used.index(code) if code in used else None

    for s, row in raw["unga_agreement"]["values"].items():
        i = index("world.observations.unga_agreement.values", s, list(states), known_states)
        for p, series in row.items():
            j = index(f"world.observations.unga_agreement.values.{s}", p, list(powers), known_powers)
            for y, (value, n) in series.items():
                if i is not None and j is not None and int(y) in YEARS:
                    if not 0.0 <= float(value) <= 1.0:
                        raise ConfigError(f"world.observations.unga_agreement.values.{s}.{p}.{y}", value, "an agreement score in [0, 1]")
                    unga[YEARS.index(int(y)), i, j], votes[YEARS.index(int(y)), i, j] = float(value), float(n)
    for s, row in raw["arms_imports_tiv"]["values"].items():
        i = index("world.observations.arms_imports_tiv.values", s, list(states), known_states)
        for p, series in row.items():
            j = P if p == OTHER else index(f"world.observations.arms_imports_tiv.values.{s}", p, list(powers), known_powers)
            j = P if j is None else j  # a catalogue power the run leaves out supplies as "other"
            for y, value in series.items():
                if i is not None and int(y) in YEARS:
                    if float(value) < 0:
                        raise ConfigError(f"world.observations.arms_imports_tiv.values.{s}.{p}.{y}", value, "TIV must be >= 0")
                    arms[YEARS.index(int(y)), i, j] += float(value)
    for p, series in raw["ideal_points"]["values"].items():
        if p in powers:
            ideal[list(powers).index(p)] = float(np.mean([float(v) for y, v in series.items() if int(y) in YEARS]))
    return Observations(years=years, unga=unga, unga_votes=votes, arms_tiv=arms, ideal_point=ideal)
