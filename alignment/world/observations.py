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
- ``ideal_points``: Bailey-Strezhnev-Voeten UNGA ideal points of the powers and the states by year
  (EU = mean of France and Germany), with each state's 90 % posterior interval: the positions of the
  observation model, and the distances between powers (rivalry).
- ``cosponsorship``: Jaccard overlap of the resolutions each state and power co-sponsored, 2020-2021.
- ``unga_spring_2022``: how each actor voted on the three Ukraine resolutions of March-April 2022
  (``unga_spring_2022_votes.yaml``, inside the ex-ante cut-off), which size the war's shift of the
  powers' positions.

``load_observations`` checks the block against the run's states and powers and turns it into
arrays (:class:`Observations`); a wrong state, power or measure is a one-line
:class:`~alignment.errors.ConfigError`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from alignment.errors import ConfigError

FILE = "alignment_observables_2015_2021.yaml"
VOTES_FILE = "unga_spring_2022_votes.yaml"
VOTES = ("yes", "no", "abstain", "did_not_vote")
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
    interval: dict = {}
    for r in data["unga_ideal_points"]["records"]:
        if r["measure"] != "unga_ideal_point":
            continue
        code = r["state"] or r["power"]  # the ideal-point records name every country under 'state'
        ideal.setdefault(code, {})[int(r["year"])] = float(r["value"])
        found = re.search(r"90% interval (-?[0-9.]+) to (-?[0-9.]+)", str(r.get("confidence", "")))
        if found and code in states:
            interval.setdefault(code, {})[int(r["year"])] = [float(found.group(1)), float(found.group(2))]
    points = {}
    for p in powers:
        members = ("FRA", "DEU") if p == "EU" else (p,)
        if all(m in ideal for m in members):
            points[p] = {y: round(float(np.mean([ideal[m][y] for m in members])), 4) for y in YEARS if all(y in ideal[m] for m in members)}
    for s in states:
        if s in ideal:
            points[s] = {y: [round(ideal[s][y], 4)] + interval.get(s, {}).get(y, []) for y in YEARS if y in ideal[s]}
    ideal_source = next(r["source"] for r in data["unga_ideal_points"]["records"] if r["measure"] == "unga_ideal_point")

    cosponsor: dict = {}
    for r in data.get("unga_cosponsorship", {}).get("records", []):
        if r["measure"] != "unga_cosponsorship_jaccard" or r["power"] in ("FRA", "DEU"):
            continue
        s, p = r["state"], _model_code(r["power"])
        if s not in states:
            raise ConfigError(f"{FILE}:unga_cosponsorship.state", s, "unknown state; known: " + ", ".join(states))
        if p in powers:
            cosponsor.setdefault(s, {}).setdefault(p, {})[int(r["year"])] = [round(float(r["value"]), 4), int(r["n"] or 0)]
    cosponsor_source = next((r["source"] for r in data.get("unga_cosponsorship", {}).get("records", [])), "")

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
            "note": ("session s is year s + 1945; EU = mean of France and Germany; a state's value is "
                     "[ideal point, low, high] with the 90 % posterior interval of the estimate."),
            "values": points,
        },
        "cosponsorship": {
            "unit": "Jaccard overlap of the resolutions co-sponsored (0-1)",
            "source": cosponsor_source,
            "note": "[value, resolutions either co-sponsored] by state, power and year of adoption; EU = mean of France and Germany.",
            "values": {s: {p: dict(sorted(cosponsor[s][p].items())) for p in powers if p in cosponsor[s]}
                       for s in states if s in cosponsor},
        },
        "unga_spring_2022": build_spring_votes(shared_dir, states, powers),
    }


def build_spring_votes(shared_dir, states, powers) -> dict:
    """The ``unga_spring_2022`` block: each actor's vote on the Ukraine resolutions of March-April 2022 (EU = France and
    Germany, who voted alike)."""
    path = Path(shared_dir) / VOTES_FILE
    if not path.exists():
        raise ConfigError("observations.unga_spring_2022", str(path), "no such file: the spring-2022 Ukraine votes size the war's shift of UN positions")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("votes"), list) or not data["votes"]:
        raise ConfigError(f"{VOTES_FILE}:votes", None, "a list of resolutions, each with its symbol, date and votes")
    out = []
    for k, r in enumerate(data["votes"]):
        votes = r.get("votes") or {}
        row = {}
        for code in list(states) + list(powers):
            members = {"EU": ("FRA", "DEU"), "GCC": ("ARE", "SAU")}.get(code, (code,))
            cast = [votes.get(m) for m in members]
            for m, v in zip(members, cast):
                if v is None:
                    raise ConfigError(f"{VOTES_FILE}:votes[{k}].votes.{m}", None, "missing: every state and power of the run needs a vote (or did_not_vote)")
                if v not in VOTES:
                    raise ConfigError(f"{VOTES_FILE}:votes[{k}].votes.{m}", v, "allowed: " + ", ".join(VOTES))
            if len(set(cast)) > 1:
                raise ConfigError(f"{VOTES_FILE}:votes[{k}].votes.{code}", cast, "the members standing for one power voted differently")
            row[code] = cast[0]
        out.append({"symbol": str(r.get("symbol")), "adopted": str(r.get("adopted")), "votes": row})
    return {"source": data.get("meta", {}).get("source", ""), "published_by": str(data.get("meta", {}).get("published_by", "")),
            "resolutions": out}


@dataclass(frozen=True, eq=False)
class Observations:
    """The observation record as arrays, in the run's state and power order."""

    years: np.ndarray  # (Y,)
    unga: np.ndarray  # (Y, N, P) weighted agreement, NaN where not recorded
    unga_votes: np.ndarray  # (Y, N, P) jointly cast recorded votes
    arms_tiv: np.ndarray  # (Y, N, P + 1) SIPRI TIV, USD m; last column = suppliers outside the model
    ideal_point: np.ndarray  # (P,) mean ideal point 2015-2021, NaN where unknown
    power_position: np.ndarray  # (Y, P) ideal point of each power by year, NaN where unknown
    state_position: np.ndarray  # (Y, N) ideal point of each state by year
    state_position_se: np.ndarray  # (Y, N) standard error of it (90 % posterior interval / 3.29)
    cosponsorship: np.ndarray  # (Y, N, P) Jaccard overlap of co-sponsored resolutions, NaN where not recorded
    spring_votes: np.ndarray  # (R, N + P) vote on each spring-2022 Ukraine resolution: 1 yes, 0.5 abstain, 0 no, NaN absent

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

    def arms_shares(self, first: int = 2015, last: int = 2021) -> np.ndarray:
        """(N, P) each supplier's share of the state's arms imports among the model's powers over the window."""
        rows = (self.years >= first) & (self.years <= last)
        tiv = self.arms_tiv[rows, :, :-1].sum(axis=0)
        total = tiv.sum(axis=1, keepdims=True)
        return np.divide(tiv, total, out=np.full_like(tiv, np.nan), where=total > 0)

    def positions_at(self, year: int) -> np.ndarray:
        """(P,) the powers' positions in a calendar year: the record's, the last recorded year's after it (later
        moves come only from dated events), the first's before it."""
        y = int(np.clip(year, self.years[0], self.years[-1])) - int(self.years[0])
        x = self.power_position[y]
        return np.where(np.isfinite(x), x, np.nan_to_num(self.ideal_point))

    def unga_link(self, first: int = 2015, last: int = 2021):
        """(intercept, slope), each (P,): the link from positions to agreement, fitted on the recorded dyad-years
        with the recorded positions (:func:`fit_unga_link`); a power without a record gets (0, 0)."""
        rows = (self.years >= first) & (self.years <= last)
        return fit_unga_link(self.unga[rows], self.state_position[rows], self.power_position[rows])

    def spring_agreement(self) -> np.ndarray:
        """(N, P) each state's agreement with each power on the spring-2022 Ukraine votes (same = 1, abstain against a
        vote = 0.5, yes against no = 0; votes either side missed are left out; NaN if none is left)."""
        N = self.state_position.shape[1]
        a, b = self.spring_votes[:, :N, None], self.spring_votes[:, None, N:]
        score = 1.0 - np.abs(a - b)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(score, axis=0)


def fit_unga_link(agreement, state_position, power_position):
    """Least-squares fit of ``logit(a_np) = intercept_p + slope_p * (x_n - x_p)`` per power.

    The link between the distance of two positions on the UN's one-dimensional agenda and how often the two
    vote alike. The slope is signed: a power to the C5's right (the West, Russia, Turkey) agrees more with a
    state the further right the state stands, one to its left (Iran) the further left; China sits among them.

    Args:
        agreement: (Y, N, P) recorded agreement in (0, 1), NaN where not recorded.
        state_position: (Y, N) recorded ideal points of the states.
        power_position: (Y, P) recorded ideal points of the powers.

    Returns:
        (intercept, slope), each (P,); (0, 0) for a power with fewer than three recorded dyad-years.
    """
    P = agreement.shape[2]
    intercept, slope = np.zeros(P), np.zeros(P)
    for j in range(P):
        d = (state_position - power_position[:, j:j + 1]).ravel()
        a = agreement[:, :, j].ravel()
        ok = np.isfinite(a) & np.isfinite(d) & (a > 0) & (a < 1)
        if ok.sum() < 3:
            continue
        z = np.log(a[ok] / (1.0 - a[ok]))
        X = np.column_stack([np.ones(ok.sum()), d[ok]])
        (intercept[j], slope[j]), *_ = np.linalg.lstsq(X, z, rcond=None)
    return intercept, slope


VOTE_SCORE = {"yes": 1.0, "abstain": 0.5, "no": 0.0, "did_not_vote": np.nan}


def load_observations(block, states, powers, known_states=None, known_powers=None) -> Observations:
    """Check the world config's ``observations`` block and turn it into arrays.

    Codes must be states or powers of the catalogue (``known_*``, default: the run's); records of
    catalogue actors the run leaves out are skipped."""
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(block) if OmegaConf.is_config(block) else (block or {})
    if not raw:
        raise ConfigError("world.observations", None, "missing: rebuild the world config (make world) to add the observation record")
    for key in ("unga_agreement", "arms_imports_tiv", "ideal_points", "cosponsorship", "unga_spring_2022"):
        if key not in raw or not isinstance(raw[key], dict) or ("resolutions" if key == "unga_spring_2022" else "values") not in raw[key]:
            raise ConfigError(f"world.observations.{key}", None, "missing: rebuild the world config (make world)")
    measure = raw["unga_agreement"].get("measure")
    if measure not in MEASURES:
        raise ConfigError("world.observations.unga_agreement.measure", measure, "known measures: " + ", ".join(MEASURES))
    years = np.array(YEARS)
    N, P, Y = len(states), len(powers), len(YEARS)
    unga, votes = np.full((Y, N, P), np.nan), np.zeros((Y, N, P))
    arms, ideal = np.zeros((Y, N, P + 1)), np.full(P, np.nan)
    power_pos, state_pos, state_se = np.full((Y, P), np.nan), np.full((Y, N), np.nan), np.full((Y, N), np.nan)
    cospons = np.full((Y, N, P), np.nan)

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
    for code, series in raw["ideal_points"]["values"].items():
        if code in powers:
            j = list(powers).index(code)
            for y, v in series.items():
                if int(y) in YEARS:
                    power_pos[YEARS.index(int(y)), j] = float(v)
            ideal[j] = float(np.mean([float(v) for y, v in series.items() if int(y) in YEARS]))
        elif code in states:
            i = list(states).index(code)
            for y, v in series.items():
                if int(y) not in YEARS:
                    continue
                if not isinstance(v, (list, tuple)) or len(v) != 3 or not float(v[1]) <= float(v[0]) <= float(v[2]):
                    raise ConfigError(f"world.observations.ideal_points.values.{code}.{y}", v,
                                      "a state's entry is [ideal point, low, high] with low <= ideal point <= high")
                state_pos[YEARS.index(int(y)), i] = float(v[0])
                state_se[YEARS.index(int(y)), i] = (float(v[2]) - float(v[1])) / 3.29  # a 90 % interval is 3.29 SD wide
        elif code not in known_states and code not in known_powers:
            raise ConfigError("world.observations.ideal_points.values", code, "unknown actor; known: " + ", ".join(known_states + known_powers))
    for i, s in enumerate(states):
        if np.isnan(state_pos[:, i]).any():
            raise ConfigError(f"world.observations.ideal_points.values.{s}", None,
                              f"missing: every state needs an ideal point in each year {YEARS[0]}-{YEARS[-1]}")
    for s, row in raw["cosponsorship"]["values"].items():
        i = index("world.observations.cosponsorship.values", s, list(states), known_states)
        for p, series in row.items():
            j = index(f"world.observations.cosponsorship.values.{s}", p, list(powers), known_powers)
            for y, (value, _n) in series.items():
                if i is not None and j is not None and int(y) in YEARS:
                    if not 0.0 <= float(value) <= 1.0:
                        raise ConfigError(f"world.observations.cosponsorship.values.{s}.{p}.{y}", value, "an overlap in [0, 1]")
                    cospons[YEARS.index(int(y)), i, j] = float(value)
    resolutions = raw["unga_spring_2022"].get("resolutions") or []
    if not resolutions:
        raise ConfigError("world.observations.unga_spring_2022.resolutions", None, "missing: rebuild the world config (make world)")
    spring = np.full((len(resolutions), N + P), np.nan)
    for k, r in enumerate(resolutions):
        cast = r.get("votes") or {}
        for code in cast:
            if code not in known_states and code not in known_powers:
                raise ConfigError(f"world.observations.unga_spring_2022.resolutions[{k}].votes", code,
                                  "unknown actor; known: " + ", ".join(known_states + known_powers))
        for c, code in enumerate(list(states) + list(powers)):
            v = cast.get(code)
            if v not in VOTE_SCORE:
                raise ConfigError(f"world.observations.unga_spring_2022.resolutions[{k}].votes.{code}", v, "allowed: " + ", ".join(VOTE_SCORE))
            spring[k, c] = VOTE_SCORE[v]
    return Observations(years=years, unga=unga, unga_votes=votes, arms_tiv=arms, ideal_point=ideal, power_position=power_pos,
                        state_position=state_pos, state_position_se=state_se, cosponsorship=cospons, spring_votes=spring)
