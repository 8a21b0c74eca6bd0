"""Structured config schema, registered with Hydra's ConfigStore.

Each parameter is documented exactly once, here, in its field's metadata
(meaning, unit, source); docs/ODD.md's parameter table is generated from it
(``python -m alignment.odd``) and a test keeps the two in step. Hydra merges
the YAML groups into these dataclasses, so a wrong type or an unknown key
fails before a run starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from omegaconf import MISSING

from alignment.checks import FRACTION, NON_NEGATIVE, POSITIVE, PERCENT_CHANGE, Range, bounded  # noqa: F401
from typing import Any, Dict, List, Optional


def param(default, meaning, unit, source, range: Range):
    """A documented model parameter: what it means, its unit, where its value comes from and the values it may
    take (checked by ``alignment.runs.check_params``; a list is checked element by element)."""
    return bounded(default, range, unit, meaning=meaning, source=source)


PULL = Range(0, 50, why="a pull of 50 already decides the target at any temperature in range")


ASSUMED = "assumption; not searched by the calibration (configs/search/)"
CALIBRATED = "calibrated to the 2015-2021 record (results/calibration/)"
LOOSE = ("calibrated to the 2015-2021 record (results/calibration/), which leaves it loose: other values fit about as well "
         "(results/validation/, identifiability)")
PRIOR = "a priori choice; acts only after 2021 so the 2015-2021 record cannot pin it"


@dataclass
class ModelParams:
    """Behavioural parameters of the mechanisms (configs/model/)."""

    # trade
    gdp_elasticity: float = param(0.763, "elasticity of bilateral trade to either side's GDP", "-", CALIBRATED + " (at the low end of the searched literature range 0.6-1.2); prior 0.8: Head & Mayer (2014) gravity meta-analysis, structural estimates near 0.8-1", range=Range(0, 3, why="gravity estimates lie near 0.6-1.2 (Head & Mayer 2014); beyond 3 trade outruns GDP without bound"))
    distance_elasticity: float = param(1.0, "elasticity of trade to capital-to-capital distance", "-", "Head & Mayer (2014), median about 1", range=Range(0, 3, why="gravity estimates lie near 1 (Head & Mayer 2014)"))
    cost_elasticity: float = param(5.0, "trade elasticity to tariff-equivalent trade costs", "-", "Head & Mayer (2014), structural median about 5", range=Range(0, 20, lo_open=True, why="structural trade elasticities lie near 1-15 (Head & Mayer 2014)"))
    gdp_growth_pct_per_year: float = param(4.0, "nominal USD GDP growth of every actor after its last data year", "% per year", "assumption: world nominal GDP growth 2015-2021 from WDI was about 4.4 %/yr (WLD 75.4 to 97.5 USD tn)", range=Range(-50, 50, why="a whole economy's nominal USD growth sustained for decades; beyond, trade runs to 0 or overflows by 2100"))
    membership_cost_effect: float = param(0.05, "fall in trade cost when two partners come to share an economic union (EAEU)", "tariff-equivalent fraction", ASSUMED, range=FRACTION)
    alignment_trade_effect: float = param(0.0608, "fall in trade cost with a power per unit rise of the state's weight on it since the base year", "tariff-equivalent fraction", CALIBRATED + "; hand-set prior 0.3", range=Range(0, 5, why="a weight moves by at most 1, so at 5 trade costs swing by five tariff-equivalents"))
    multilateral_resistance: float = param(0.5, "how far a reporter's total trade is held at what its size gives when its trade costs change (1 = costs only redistribute trade; 0 = each flow moves alone)", "fraction", "assumption after Anderson and van Wincoop (2003): in structural gravity a change common to all foreign partners still acts against domestic sales, which the model does not carry; half way keeps intra-C5 costs redistributing trade and lets a general opening (Uzbekistan 2017) raise it", range=FRACTION)
    secondary_sanction_cost: float = param(0.05, "extra trade cost with a sanctioned power, per unit of sanction intensity (secondary-sanction and payment risk)", "tariff-equivalent fraction", PRIOR, range=FRACTION)
    sanction_cost_elasticity: float = param(4.0, "how fast a sanction of intensity 1 cuts direct trade between the sanctioning and sanctioned power: kept share exp(-x)", "-", PRIOR, range=Range(0, 50, why="at 50 a sanction of intensity 0.1 already cuts 99 % of the trade"))
    diversion_share: float = param(0.04, "share of the trade that sanctions cut between powers which re-routes through C5 intermediaries (re-exports)", "fraction", PRIOR, range=FRACTION)
    corridor_trade_share: float = param(0.15, "share of the trade cost with European partners that moves with the best overland route's generalised cost", "fraction", ASSUMED, range=FRACTION)
    remittance_gdp_elasticity: float = param(1.0, "elasticity of remittances from Russia to Russia's USD GDP", "-", ASSUMED, range=Range(0, 5, why="estimates lie near 1; beyond 5 one year's shock wipes out or multiplies remittances"))
    # corridors
    value_of_time_usd_per_feu_day: float = param(60.0, "value of transit time", "USD per FEU-day", "assumption: about twice the capital cost of a USD 109k FEU at 10 %/yr (UNCTAD 2020 value of containerised trade, via porteconomicsmanagement.org)", range=Range(0, 10000, why="10,000 USD a day is 1 % a day of the dearest cargo value allowed"))
    cargo_value_usd_per_feu: float = param(109000.0, "cargo value exposed to route risk", "USD per FEU", "UNCTAD 2020 average value of containerised trade, about USD 54.5k per TEU (porteconomicsmanagement.org/value-of-containerized-trade-new)", range=Range(0, 1000000, why="a FEU carries at most about 27 t; even electronics rarely pass USD 1m"))
    logit_scale_usd: float = param(1000.0, "scale of the route-choice logit (larger = shippers less sensitive to cost)", "USD per FEU", ASSUMED, range=Range(10, 1000000, why="route costs differ by USD 100s to 1,000s per FEU: below 10 the choice is all-or-nothing, above 1m a coin toss"))
    tonnes_per_teu: float = param(10.0, "average cargo mass of a loaded TEU, to convert TEU to tonnes", "t per TEU", "assumption: industry rule of thumb for mixed container cargo", range=Range(0, 28, lo_open=True, why="a TEU's maximum payload is about 28 t"))
    expansion_response_share: float = param(0.15, "share of the demand a corridor turned away that is ordered as new capacity each month", "fraction per month", PRIOR, range=FRACTION)
    max_capacity_growth_share: float = param(0.08, "cap on capacity ordered in one month, as a share of current capacity (rolling stock, chartered ferries; a route with fixed-infrastructure bottlenecks sets its own in configs/corridors/)", "fraction per month", PRIOR, range=FRACTION)
    construction_lag_months: int = param(6, "months between ordering capacity (wagons, chartered ferries, trucks, terminals) and using it", "months", "a priori choice; before 2022 it only paces the northern route's growth, whose limit configs/corridors/ derives from the ERA series with this lag", range=Range(1, 120, why="from a month (wagons on hand) to ten years (a greenfield line)"))
    # engagement
    engagement_size_elasticity: float = param(0.515, "a power's spending in a state grows as the state's GDP to this power (1 = in proportion to its economy)", "-", CALIBRATED + "; prior 1: investment follows economic size", range=Range(0, 5, why="beyond 5 the largest state takes all of every power's budget"))
    engagement_rivalry: float = param(2.94, "rise of a state's value to a power per unit of its rivals' share of the investment there: powers counter each other's spending", "-", LOOSE, range=Range(0, 50))
    engagement_focus: float = param(1.0, "concentration of a power's spending on the state where influence is cheapest (0 = even split)", "-", ASSUMED, range=Range(0, 20))
    investment_depreciation_per_year: float = param(0.1, "yearly loss of influence of past investment", "fraction per year", ASSUMED, range=Range(0.001, 1, why="a run starts from the steady stock, flow / depreciation, which is infinite without depreciation; 0.001 is a half-life of 700 years"))
    attention_depreciation_per_year: float = param(0.6, "yearly fading of diplomatic attention", "fraction per year", ASSUMED, range=Range(0.001, 1, why="a run starts from the steady stock, flow / depreciation, which is infinite without depreciation; 0.001 is a half-life of 700 years"))
    # diplomacy
    base_rate_per_pair_month: float = param(0.298, "intraregional interactions per pair of states and month at activity 1 and no cohesion", "interactions per pair-month", CALIBRATED + "; hand-set prior 0.4", range=Range(0, 30, why="30 a month is one contact a day for each pair"))
    cohesion_gain: float = param(1.86, "rise of intraregional interaction rates per unit of cohesion", "-", CALIBRATED + "; hand-set prior 1.0", range=Range(0, 20))
    threat_gain: float = param(0.5, "rise of intraregional interaction rates per unit of shared threat", "-", PRIOR, range=Range(0, 20))
    kind_base_logits: List[float] = param([1.0, -1.95, -1.16, -1.16], "log-odds of telegram, call, visit, meeting at cohesion 0 (set so that 2015 cohesion of about 0.5 gives the 2015 mix)", "-", "2015: 34 of 66 records telegrams, 23 of 60 in person (context_facts.yaml regional_interactions)", range=Range(-20, 20, why="beyond 20 a form's probability is 0 or 1 to within 1e-9"))
    kind_cohesion_slopes: List[float] = param([-2.0, 0.6, 0.3, 0.3], "change of each form's log-odds per unit of cohesion (shift from telegrams to substantive contact)", "-", "brief P4; slopes assumed", range=Range(-20, 20, why="beyond 20 a form's probability is 0 or 1 to within 1e-9"))
    level_probabilities: List[Any] = param(
        [[1.0, 0.0, 0.0], [0.75, 0.15, 0.10], [0.25, 0.3, 0.45], [0.25, 0.3, 0.45]],
        "probability of president, prime minister, foreign minister for a telegram, call, visit, meeting",
        "probability",
        "about two-thirds presidential overall (context_facts.yaml); split by form assumed",
        range=FRACTION,
    )
    external_level_probabilities: List[float] = param([0.25, 0.15, 0.6], "level of a power's bilateral contact with a state: president, prime minister, foreign minister", "probability", ASSUMED, range=FRACTION)
    external_kind_probabilities: List[float] = param([0.0, 0.35, 0.35, 0.3], "form of a power's bilateral contact: telegram, call, visit, meeting", "probability", ASSUMED, range=FRACTION)
    interaction_reference_per_year: float = param(60.0, "intraregional interactions per year that count as intensity 1 in cohesion", "interactions per year", "2015 total (context_facts.yaml)", range=Range(0, 10000, lo_open=True))
    # alignment
    channel_trade: float = param(2.91, "pull of a power's share in all the state's trade (with the powers and its C5 neighbours)", "-", LOOSE + "; hand-set prior 2.0", range=PULL)
    channel_investment: float = param(1.02, "pull of the power's (saturating) investment stock", "-", LOOSE + "; hand-set prior 1.0", range=PULL)
    channel_security: float = param(0.667, "pull of security and institutional ties: alliance and basing ties, plus economic-union and forum ties at their own weights", "-", CALIBRATED + "; hand-set prior 1.5", range=PULL)
    tie_union_weight: float = param(0.218, "pull of membership of a power's economic union (EAEU) relative to membership of its military alliance (CSTO)", "-", LOOSE, range=Range(0, 2, why="relative to an alliance tie, which counts 1"))
    tie_forum_weight: float = param(0.158, "pull of membership of a forum a power convenes (SCO, OTS) relative to membership of its military alliance", "-", LOOSE, range=Range(0, 2, why="relative to an alliance tie, which counts 1"))
    channel_attention: float = param(1.0, "pull of the power's share of diplomatic attention", "-", ASSUMED, range=PULL)
    channel_corridor: float = param(0.8, "pull of the power's sponsorship of corridors crossing the state", "-", ASSUMED, range=PULL)
    channel_remittances: float = param(7.48, "pull of remittances from the power, per unit of remittances / GDP", "-", LOOSE + "; hand-set prior 2.0", range=PULL)
    coercion_weight: float = param(1.0, "push away from a power per unit of its coercion", "-", PRIOR, range=PULL)
    sanction_weight: float = param(1.5, "push away from a sanctioned power per unit of sanction intensity and of the state's trade share with the sanctioning powers", "-", PRIOR, range=PULL)
    temperature: float = param(1.56, "softmax temperature of the target portfolio", "-", CALIBRATED + "; hand-set prior 1.4", range=Range(0.01, 100, why="below 0.01 the target jumps whole to the strongest pull, above 100 it is an even split"))
    hedging_base: float = param(0.0, "weight every state gives to an even split of its alignment (a hedging floor; off by default: the mechanisms, not a floor, keep portfolios mixed)", "fraction", "a lever for sweeps; 0.774 in the 2015-2021 calibration before the observation model", range=FRACTION)
    dependence_aversion: float = param(14.6, "how much a state discounts a power's pull per unit of weight it already puts on that power (multi-vector policy: the more dependent, the less another step toward that power is worth)", "-", CALIBRATED, range=Range(0, 100))
    rivalry_weight: float = param(1.63, "push away from a power per unit of pull toward its rivals, rivals being powers far from it in UN ideal points", "-", LOOSE, range=PULL)
    threat_urgency: float = param(4.0, "rise of every state's adjustment rate per unit of shared threat: a crisis makes governments revisit their alignments sooner", "-", "a priori choice: a threat at the 2022 invasion's level (0.5) triples the rate, so a government closes most of the gap to its new target within a year instead of over two (the calm rate's time constant, 1 / adjustment_rate, is about 27 months; tripled, about 9); acts from the Afghanistan threat of 2021-08 on. The war response rests on it: the validation report gives it at 0, 2, 4 and 8", range=Range(0, 100, why="at 100 any threat of 0.01 doubles the rate; the rate itself never passes 1"))
    neutrality_damping: float = param(0.5, "share by which permanent neutrality (Turkmenistan) slows a state's adjustment toward its target", "fraction", "UNGA recognition of Turkmen neutrality 1995 (world data); size assumed", range=FRACTION)
    adjustment_rate: float = param(0.0621, "share of the gap to the target portfolio closed per month (1 - inertia)", "fraction per month", LOOSE + "; hand-set prior 0.04", range=FRACTION)
    noise_scale: float = param(0.0592, "standard deviation of the monthly log-weight shock", "-", LOOSE + "; hand-set prior 0.015", range=Range(0, 1, why="a monthly log-weight shock of SD 1 moves a weight by a factor e a month"))
    # observation model
    unga_region_position: float = param(-0.433, "UN voting position (Bailey-Strezhnev-Voeten scale) of the aligned part of a C5 state's portfolio at an even split: the regional term common to the five", "ideal-point units", CALIBRATED, range=Range(-4, 4, why="the recorded ideal points of 2015-2021 lie within -2.1 to 2.8"))
    unga_link_until: int = param(2021, "last year of the record the link from UN positions to agreement is fitted on (from 2015)", "year", "the record's last year; an earlier one for a rolling-origin test (fit on 2015-2018, forecast 2019-2021)", range=Range(2016, 2021, why="the recorded dyad-years run 2015-2021; the fit needs two years"))
    unga_nonaligned_position: float = param(-1.22, "UN voting position (Bailey-Strezhnev-Voeten scale) of the share of a state's portfolio kept out of any bloc (its hedging: neutrality, a cohesive region): the non-aligned pole", "ideal-point units", CALIBRATED, range=Range(-4, 4, why="the recorded ideal points of 2015-2021 lie within -2.1 to 2.8"))
    unga_position_scale: float = param(1.0, "how far a state's UN position follows its weighted mix of the powers' positions (1 = one for one)", "-", "assumption: one for one, so that the weights alone carry the differences between the states (not searched: a free scale would let flat weights fit any spread)", range=Range(0, 20))
    arms_weight_elasticity: float = param(1.53, "elasticity of a supplier's share of a state's arms imports to the state's weight on it", "-", LOOSE, range=Range(0, 20))
    arms_alliance_gain: float = param(5.46, "rise of the log share of a supplier in a state's arms imports per unit of alliance and basing tie with it", "-", LOOSE, range=Range(0, 20))
    regime_security_weight: float = param(2.0, "pull toward a state's security partners per unit of shared threat and of the state's own regime-security concern (actors.states.*.regime_security)", "-", PRIOR, range=PULL)
    cohesion_autonomy: float = param(0.0236, "share of a state's target that goes to an even split per unit of regional cohesion: a cohesive region hedges together (collective autonomy)", "fraction", CALIBRATED, range=FRACTION)
    neutrality_hedge: float = param(0.705, "share of a permanently neutral state's target kept at an even split: it stays out of blocs whatever the pulls", "fraction", CALIBRATED + "; Turkmenistan's 'permanent positive neutrality' (UNGA 1995) limits what it joins, not what it trades", range=FRACTION)
    hysteresis: float = param(0.528, "pull toward the powers a state has leaned to over the past years (habit: memberships, officials, contracts), per unit of its habit weight", "-", CALIBRATED + "; lock-in a sweep can vary: 0 = no memory beyond the weights themselves", range=PULL)
    habit_memory_years: float = param(8.0, "time constant of a state's habit: the exponential average of its past weights", "years", "assumption: about two presidential terms", range=Range(0.1, 100))
    budget_response: float = param(2.0, "rise of a power's engagement budget per unit of relative loss of the C5's mean weight on it since the base year: powers answer lost ground", "-", PRIOR, range=Range(0, 50))
    reexport_access_outside_union: float = param(0.1, "access to a sanctioned power for re-exports of a state outside its customs union, relative to a member (1)", "fraction", PRIOR, range=FRACTION)
    # cohesion
    cohesion_similarity_weight: float = param(0.4, "share of cohesion that comes from similar alignment portfolios", "fraction", ASSUMED, range=FRACTION)
    cohesion_intensity_weight: float = param(0.3, "share of cohesion that comes from recent intraregional contact", "fraction", ASSUMED, range=FRACTION)
    institutions_initial: float = param(0.1, "standing of regional formats in the base year", "0-1", "assumption: no C5 leaders' format before 2018", range=FRACTION)
    institutions_decay_per_year: float = param(0.15, "yearly fading of the standing of regional formats without new meetings", "fraction per year", ASSUMED, range=FRACTION)


@dataclass
class StateSpec:
    """Behavioural attributes of one Central Asian state (configs/actors/)."""

    openness: float = bounded(1.0, Range(0, 10), "openness units (1 = as the data; how receptive the state is to outside engagement: a power's spending and visits there scale with it)")
    activity: float = bounded(1.0, Range(0, 10), "activity units (1 = as the data; scales intraregional contact)")
    threat_response: float = bounded(1.0, Range(-1, 1), "-1 (bandwagon: lean toward the power that coerces) to 1 (balance: lean away)")
    regime_security: float = bounded(0.0, FRACTION, "0-1 (how much the leadership turns to its security partners when threatened)")
    source: str = ""


@dataclass
class PowerSpec:
    """Engagement attributes of one external power (configs/actors/)."""

    investment_usd_bn_per_year: float = bounded(0.0, Range(0, 1000), "USD bn per year")
    attention_interactions_per_year: float = bounded(0.0, Range(0, 1000), "interactions per year")
    coercion: float = bounded(0.0, FRACTION, "0-1")
    gdp_usd_bn_fallback: Optional[float] = bounded(None, POSITIVE, "USD bn")
    source: str = ""


@dataclass
class InstitutionSpec:
    """Who an institution binds a member to (configs/actors/)."""

    convenors: Dict[str, float] = field(default_factory=dict)
    kind: str = "forum"  # alliance, union or forum
    source: str = ""


@dataclass
class DirectTrade:
    """Turnover between two powers, for sanction diversion (configs/actors/)."""

    value_usd_bn: float = bounded(0.0, NON_NEGATIVE, "USD bn")
    year: int = 2021
    source: str = ""


@dataclass
class ActorsConfig:
    states: Dict[str, StateSpec] = field(default_factory=dict)
    powers: Dict[str, PowerSpec] = field(default_factory=dict)
    institutions: Dict[str, InstitutionSpec] = field(default_factory=dict)
    direct_trade: Dict[str, DirectTrade] = field(default_factory=dict)


@dataclass
class MarketSpec:
    """A freight market whose demand splits over corridors (configs/corridors/)."""

    demand_teu: float = bounded(0.0, NON_NEGATIVE, "TEU per year")
    base_year: int = 2015
    growth_pct_per_year: float = bounded(0.0, Range(-50, 50, why="sustained for decades; beyond, demand runs to 0 or overflows by 2100"), "% per year")
    source: str = ""


@dataclass
class CorridorSpec:
    """A transport corridor (configs/corridors/)."""

    name: str = ""
    markets: List[str] = field(default_factory=list)
    nest: str = "rail"
    price_usd_per_feu: float = bounded(0.0, Range(0, 100000), "USD per FEU")
    transit_days: float = bounded(0.0, Range(0, 365), "days")
    risk: float = bounded(0.0, FRACTION, "share of cargo value")
    service_penalty_usd_per_feu: float = bounded(0.0, Range(0, 100000), "USD per FEU")
    capacity_teu: Optional[float] = bounded(None, NON_NEGATIVE, "TEU per year (null: unbounded)")
    teu_per_usd_bn: float = bounded(0.0, NON_NEGATIVE, "TEU per year per USD bn")
    crosses: List[str] = field(default_factory=list)
    sponsors: Dict[str, float] = field(default_factory=dict)
    transit_fee_usd_per_feu: float = bounded(0.0, Range(0, 100000), "USD per FEU")
    open: bool = True
    # how fast the route's own bottleneck can grow, fraction of capacity per month; None: the model's
    # max_capacity_growth_share (rolling stock, chartered ferries). Fixed infrastructure (gauge-change terminals) is slower.
    max_growth_share_per_month: Optional[float] = bounded(None, FRACTION, "fraction of capacity per month (null: the model's)")
    # the route's recorded throughput by year (TEU): a run that starts after 2015-01 starts the route from it
    throughput_teu_by_year: Dict[int, float] = field(default_factory=dict)
    # what money spent on the route buys in speed (ports, track, border procedures), down to a floor
    days_saved_per_usd_bn: float = bounded(0.0, Range(0, 365), "days per USD bn")
    min_transit_days: Optional[float] = bounded(None, Range(1, 365), "days (null: transit_days)")
    sources: Dict[str, str] = field(default_factory=dict)


@dataclass
class CorridorsConfig:
    nest_lambda: Dict[str, float] = field(default_factory=dict)
    markets: Dict[str, MarketSpec] = field(default_factory=dict)
    routes: Dict[str, CorridorSpec] = field(default_factory=dict)


@dataclass
class WorldConfig:
    """The world a run takes (configs/world/): its states and powers, and the path of its data file (generated from
    ../shared/data; read by alignment.world.source, not composed into the config)."""

    name: str = "central_asia"
    data: str = "world/data/central_asia.yaml"  # absolute, or relative to the current directory, else to configs/
    base_year: int = 2015
    states: List[str] = field(default_factory=list)
    powers: List[str] = field(default_factory=list)


@dataclass
class ScenarioConfig:
    """A scenario: dated events plus parameter overrides (configs/scenario/)."""

    name: str = MISSING  # a scenario file must name itself and list its events ([] for none): an empty file is an error
    description: str = ""
    events: List[Any] = MISSING
    exclude: List[str] = field(default_factory=list)
    overrides: Dict[str, Any] = field(default_factory=dict)
    # events added over the base timeline, one list per layer: a forward scenario names its layer after itself,
    # so a scenario built on another keeps the other's layer too (Hydra merges mappings; it replaces lists)
    layers: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Horizon:
    start: str = "2015-01"
    end: str = "2035-12"
    # false: an event after `end` is an error; true: such events are left out (for short runs, e.g. 2015-2021)
    drop_later_events: bool = False


@dataclass
class OutputsConfig:
    figures: bool = True
    summary: bool = True


@dataclass
class RunConfig:
    seed: int = 42  # configs/run.yaml: a typical run (alignment/analysis/typical.py)
    horizon: Horizon = field(default_factory=Horizon)
    world: WorldConfig = field(default_factory=WorldConfig)
    actors: ActorsConfig = field(default_factory=ActorsConfig)
    corridors: CorridorsConfig = field(default_factory=CorridorsConfig)
    model: ModelParams = field(default_factory=ModelParams)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    outputs: OutputsConfig = field(default_factory=OutputsConfig)


@dataclass
class StudyConfig:
    """How alignment-calibrate runs its Optuna study."""

    name: str = "alignment"
    storage: str = "sqlite:///outputs/calibration/study.db"
    n_trials: int = 1500
    replicates: int = 5
    batch_trials: int = 8  # trials asked together and run as one batch of the engine (trials x replicates runs)
    sampler_seed: int = 0
    output_dir: str = "outputs/calibration"
    progress: bool = True


@dataclass
class CalibrateConfig(RunConfig):
    targets: Dict[str, Any] = field(default_factory=dict)
    search: Dict[str, Any] = field(default_factory=dict)  # name -> {low, high, log}; checked by alignment.fit.calibrate
    study: StudyConfig = field(default_factory=StudyConfig)


@dataclass
class InferSettings:
    """How alignment-infer runs its study (alignment/fit/infer.py)."""

    name: str = "default"
    library: str = "sbi"  # the maintained library that does the inference
    method: str = "npe"  # neural posterior estimation, one round from the prior (amortised: cheap calibration checks)
    density_estimator: str = "maf"  # sbi's conditional density estimator: maf | nsf | mdn
    simulations: int = 20000  # simulations that train the estimator (over every round; only those that reproduce the patterns)
    # the brief's patterns (configs/targets/, kind: pattern) restrict the prior: round 1 draws from the prior, each later
    # round from the prior restricted (by a classifier of the runs so far) to where the patterns hold; false: one round
    # from the prior, the patterns as summaries
    restrict_to_patterns: bool = True
    rounds: int = 4
    chunk: int = 250  # simulations per batch of the engine (one task of the executor; one file under simulations/)
    draws: int = 4000  # posterior draws written to posterior.parquet
    sbc_simulations: int = 200  # held-out simulations of the calibration check
    sbc_samples: int = 500  # posterior samples per held-out simulation for its ranks
    predictive_simulations: int = 200  # posterior draws re-simulated for the predictive coverage of the targets
    # the model's discrepancy per family of targets, in tolerances, inferred with the parameters (log-uniform prior);
    # null: the record's noise alone (the record then lies outside what the simulations produce: see alignment/fit/infer.py)
    discrepancy: Optional[Dict[str, float]] = field(default_factory=lambda: {"low": 0.05, "high": 5.0})
    max_epochs: int = 400
    training_batch_size: int = 200
    seed: int = 0
    results_dir: str = "results"  # the committed default study is results/inference/default/ (as sweeps: results/sweeps/)
    output_dir: str = "${infer.results_dir}/inference/${infer.name}"
    progress: bool = True


@dataclass
class IdentifiabilitySettings:
    """The identifiability section of the validation report (alignment/fit/identifiability.py)."""

    # an alignment-infer study (its folder): the section reads its posterior; null: loss slices and trials instead
    posterior: Optional[str] = "results/inference/default"
    trials: Optional[str] = "results/calibration/trials.csv"  # a calibration study's trials.csv; null: slices only
    points: int = 9  # slice points per parameter over its search range (plus the calibrated value)
    replicates: int = 4  # seeds per slice point: 0..replicates-1 at every point (common random numbers)
    top_fraction: float = 0.1  # share of the study's trials counted as "best"
    tolerance: float = 0.1  # a slice point is as good as the calibrated one within this fraction of its loss
    n_jobs: int = 2  # joblib workers for the slices; the result does not depend on it


@dataclass
class ValidateSettings:
    """How alignment-validate runs."""

    replicates: int = 20
    output_dir: str = "results/validation"
    identifiability: IdentifiabilitySettings = field(default_factory=IdentifiabilitySettings)
    # a calibration fitted on 2015-2018 only (its model_calibrated.yaml): the report scores its 2019-2021 UN forecast
    rolling_origin: Optional[str] = None
    weights_meaning: bool = True  # the section on what the weights mean (alignment/fit/meaning.py; a few minutes)


@dataclass
class ValidateConfig(RunConfig):
    targets: Dict[str, Any] = field(default_factory=dict)
    search: Dict[str, Any] = field(default_factory=dict)  # the calibration's search space: the slices' ranges
    validate: ValidateSettings = field(default_factory=ValidateSettings)


@dataclass
class DesignSpec:
    """How a sweep's points are drawn (alignment/sweeps/design.py)."""

    sampler: str = "latin"  # grid | list | latin | sobol | morris | posterior
    n: int = 16  # latin: points; sobol: base sample N, a power of 2 (N * (D + 2) points); morris: trajectories (N * (D + 1) points); posterior: draws
    posterior: Optional[str] = None  # posterior: an alignment-infer posterior.parquet (or its folder); its columns are varied
    levels: int = 4  # grid: points per range; morris: grid levels (even)
    second_order: bool = False  # sobol: also the second-order indices (N * (2D + 2) points)


@dataclass
class SummarySpec:
    """What a sweep keeps of each run: yearly values of these indicators (alignment/sweeps/summaries.py)."""

    indicators: List[str] = field(default_factory=lambda: ["alignment_weight", "multialignment_index", "corridor_share", "cohesion"])
    years: Optional[List[int]] = None  # calendar years to keep; null: every year of the horizon


@dataclass
class SweepSpec:
    """A sweep (configs/sweep/): scenarios x design points x replicates."""

    name: str = "demo"
    description: str = ""
    scenarios: List[str] = field(default_factory=lambda: ["historical"])
    parameters: Dict[str, Any] = field(default_factory=dict)  # nested like the run config: model: {hedging_base: {low, high, log} or {values}}
    design: DesignSpec = field(default_factory=DesignSpec)
    replicates: int = 1
    seed: int = 0  # seeds the design and, with the replicate, every run (common random numbers)
    summaries: SummarySpec = field(default_factory=SummarySpec)
    batch_size: int = 128  # runs stepped together by one worker; the shards of the dataset
    dry_run: bool = False  # print the number of runs, the time and the disk it would take, and stop
    extend: bool = False  # let this design extend the folder's (more replicates, grid or list values, a larger Sobol sample)
    verify: bool = False  # check the folder's manifest, design and shards (size, SHA-256), run nothing; status 1 on damage


@dataclass
class ExecutorConfig:
    """Where a sweep's batches run (configs/executor/): local processes, a Ray cluster, or SLURM through submitit."""

    name: str = "local"
    workers: Optional[int] = None  # local: processes; ray: CPUs of a local instance; null: every core
    address: Optional[str] = None  # ray: host:port of a running cluster; null: start a local one on 127.0.0.1
    connect_timeout_s: float = 5.0  # ray: how long to wait for the address to answer
    cluster: str = "slurm"  # slurm: slurm | local (processes here, for tests) | debug (this process)
    folder: Optional[str] = None  # slurm: submitit's job folder; null: <sweep dir>/slurm
    partition: Optional[str] = None
    timeout_min: int = 60
    cpus_per_task: int = 1
    mem_gb: float = 4.0
    array_parallelism: int = 64
    poll_s: float = 2.0


@dataclass
class InferConfig(RunConfig):
    targets: Dict[str, Any] = field(default_factory=dict)
    search: Dict[str, Any] = field(default_factory=dict)  # the prior: each parameter uniform over its range
    infer: InferSettings = field(default_factory=InferSettings)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)  # where the simulation chunks run


@dataclass
class FrozenForecastSettings:
    """The frozen forecast of alignment-forecast: a posterior sweep of the forward scenarios, as quantiles."""

    enabled: bool = True
    sweep: str = "forecast_2026_2030"  # configs/sweep/: the scenarios and indicators (its design is set here)
    posterior: str = "results/inference/default/posterior.parquet"
    draws: int = 200  # posterior draws (each run with the sweep's replicates: seeds)
    years: List[int] = field(default_factory=lambda: [2026, 2030])  # first and last year
    remake: bool = False  # a frozen forecast made from the same posterior and settings stands unless this is true


@dataclass
class ForecastSettings:
    """How alignment-forecast scores rolling-origin forecasts (alignment/fit/forecast.py)."""

    origins: List[int] = field(default_factory=lambda: [2018, 2019])  # infer on 2015..origin, score origin+1..2021
    draws: int = 200  # posterior draws simulated per origin (one seed each)
    bootstrap: int = 2000  # paired bootstrap resamples of the scored state-years
    seed: int = 0
    infer: List[str] = field(default_factory=list)  # extra overrides for the origin studies, e.g. [infer.simulations=5000]
    frozen: FrozenForecastSettings = field(default_factory=FrozenForecastSettings)


@dataclass
class ForecastConfig:
    results_dir: str = "results"  # forecasts/ and figures/ are written here; the origin studies go to inference/
    progress: bool = True
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)


@dataclass
class SweepConfig(RunConfig):
    results_dir: str = "results"
    progress: bool = True
    sweep: SweepSpec = field(default_factory=SweepSpec)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)


@dataclass
class ExperimentSpec:
    """A figure and the data behind it (configs/experiment/NAME.yaml; its code in experiments/NAME/figure.py)."""

    name: str = MISSING  # the folder of its code under experiments/, and the stem of NAME.png and NAME.csv
    description: str = ""
    sweeps: Dict[str, List[str]] = field(default_factory=dict)  # sweep (configs/sweep/) -> the indicators the figure reads from it
    options: Dict[str, Any] = field(default_factory=dict)  # the figure's own settings, checked by its code before any run


@dataclass
class ExperimentConfig:
    results_dir: str = "results"  # sweeps are read from (and, if missing, written to) <results_dir>/sweeps/
    figures_dir: Optional[str] = None  # null: <results_dir>/figures
    progress: bool = True
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    experiment: ExperimentSpec = field(default_factory=ExperimentSpec)


# the schema each command's config is checked against (alignment-run, -calibrate, -validate, -sweep, -experiment)
COMMAND_SCHEMAS = {"run": RunConfig, "calibrate": CalibrateConfig, "infer": InferConfig, "forecast": ForecastConfig, "validate": ValidateConfig, "sweep": SweepConfig,
                   "experiment": ExperimentConfig}


def model_field(name: str):
    """The dataclass field of a model parameter: its metadata holds meaning, unit, source and allowed range."""
    return {f.name: f for f in fields(ModelParams)}[name]


_REGISTERED: set = set()


def register_configs(*names: str) -> None:
    """Register the schemas (all, or those of the commands ``names``) so that configs/NAME.yaml can name NAME_schema
    in its defaults. Each is registered once per process: storing a schema makes OmegaConf build its whole tree, a
    few tenths of a second each, so a command registers only its own."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    for name in names or tuple(COMMAND_SCHEMAS):
        if name in COMMAND_SCHEMAS and name not in _REGISTERED:
            cs.store(name=f"{name}_schema", node=COMMAND_SCHEMAS[name])
            _REGISTERED.add(name)


def parameter_table() -> list[dict]:
    """Rows (name, default, unit, range, range_why, meaning, source) for every model parameter."""
    rows = []
    for f in fields(ModelParams):
        default = f.default_factory() if f.default_factory is not field().default_factory else f.default  # type: ignore[misc]
        rows.append({"name": f.name, "default": default, "unit": f.metadata["unit"], "range": str(f.metadata["range"]),
                     "range_why": f.metadata["range"].why, "meaning": f.metadata["meaning"], "source": f.metadata["source"]})
    return rows
