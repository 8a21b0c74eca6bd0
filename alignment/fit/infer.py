"""alignment-infer: a posterior over the searched parameters, by simulation-based inference on the batched engine.

Method: neural posterior estimation (``sbi``'s NPE). The engine steps hundreds of parameter sets at once, so
simulating is cheap (about 50 simulations a second per core with their summaries, against 2.7 one at a time;
``benchmarks/bench_infer.py``); the trained estimator is *amortised*, so the calibration check (simulation-based
calibration over ``infer.sbc_simulations`` held-out simulations) costs one forward pass per simulation rather
than one inference per simulation, as it would with ABC-SMC.

The data: the calibration targets (``configs/targets/``, the 2015-2021 record). Each target becomes one
summary, its error in tolerances, ``(model - record) / tolerance`` (log ratio for relative targets), plus
noise: the record's own (one tolerance) and the model's discrepancy for the target's family (UN votes,
trade, arms, corridors, regional facts), ``sqrt(1 + sigma_f^2)`` tolerances in all. The model cannot hit every
target (at the calibrated point about half are met), and without a discrepancy term the record would lie
outside everything the simulations produce, where a neural estimator can only extrapolate (Kennedy and
O'Hagan 2001 give the idea; here ``sigma_f`` is inferred with the parameters, log-uniform over
``infer.discrepancy``). Summaries are squashed smoothly into +-``CAP`` tolerances (``CAP tanh(v / CAP)``),
as the loss caps its terms. The record itself is the all-zeros summary, and the posterior is the estimator
evaluated there.

The brief's patterns are data too: the first of ``infer.rounds`` rounds draws from the prior, each later one from
the prior restricted to where the runs so far reproduced every pattern (sbi's ``RestrictionEstimator``), and only
the runs that reproduce them train the estimator (:func:`simulate_rounds`). With
``infer.restrict_to_patterns=false``, one round from the prior, each pattern a 0/1 summary.

The parameters are those of ``configs/search/`` with a uniform prior over their range (log-uniform where
``log: true``), and the discrepancies; the estimator works on the logit of each one's place in its range.

Simulations are written in chunks under ``<output_dir>/simulations/`` as they finish, through the sweep
executors (local processes, Ray, SLURM): an interrupted study resumes with the chunks it has. Outputs:
``posterior.parquet`` (draws x parameters, columns named by config key), ``diagnostics.json``,
``report.md``, ``config.yaml`` and ``versions.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import math
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from alignment.cli import console_entry
from alignment.errors import ConfigError
from alignment.outputs import atomic_write_text, replacing

PROG = "alignment-infer"
CAP = 5.0  # a summary is capped at five tolerances, as a loss term is capped at TERM_CAP = 25 squared tolerances
LIBRARIES = {"sbi": ("npe",)}
ESTIMATORS = ("maf", "nsf", "mdn")
STREAMS = {"train": 0, "sbc": 1, "predictive": 2}  # independent random streams; engine seeds offset by stream
SEED_OFFSET = 10_000_000
ROUND_OFFSET = 1_000_000  # a round holds fewer simulations than this
MIN_VALID = 50  # valid runs a restriction needs (fewer: the next round draws from the prior again)
FAR = 50.0  # the error of a target whose statistic a run leaves undefined, in tolerances
FAMILIES = {"unga_agreement": "un", "unga_cosponsorship": "un", "unga_position": "un", "trade_by_pair": "trade",
            "china_share": "trade", "arms_share": "arms", "corridor_volume": "corridors", "interactions": "regional",
            "remittances": "regional", "membership": "regional"}
DISCREPANCY = "discrepancy."  # the discrepancies' columns: discrepancy.un, ...; not config keys (the noise model's)


@dataclass(frozen=True)
class Inference:
    prepared: object  # alignment.runs.Prepared
    targets: list
    space: dict  # name -> (low, high, log, is_int): the searched model parameters, then discrepancy.<family>

    @property
    def names(self) -> list[str]:
        return list(self.space)

    @property
    def model_names(self) -> list[str]:
        return [n for n in self.space if not n.startswith(DISCREPANCY)]

    @property
    def families(self) -> list[str]:
        return [n[len(DISCREPANCY):] for n in self.space if n.startswith(DISCREPANCY)]

    def columns(self) -> list[str]:
        """The posterior's column names: config keys for the model's parameters."""
        return [n if n.startswith(DISCREPANCY) else f"model.{n}" for n in self.space]

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(D,), (D,) the prior's box in the estimator's coordinates (log for a log-scale parameter)."""
        lo = np.array([math.log(s[0]) if s[2] else s[0] for s in self.space.values()])
        hi = np.array([math.log(s[1]) if s[2] else s[1] for s in self.space.values()])
        return lo, hi

    def to_values(self, z: np.ndarray) -> np.ndarray:
        """(n, D) parameter values from estimator coordinates."""
        logs = np.array([s[2] for s in self.space.values()])
        return np.where(logs, np.exp(z), z)

    def to_coords(self, values: np.ndarray) -> np.ndarray:
        logs = np.array([s[2] for s in self.space.values()])
        return np.where(logs, np.log(np.where(logs, values, 1.0)), values)

    def to_unbounded(self, z: np.ndarray) -> np.ndarray:
        """(n, D) logit of the position in the prior's box: the estimator works on the whole real line, so its
        samples never fall outside the prior (no rejection) and the prior there is the standard logistic."""
        lo, hi = self.bounds
        v = np.clip((z - lo) / (hi - lo), 1e-9, 1 - 1e-9)
        return np.log(v) - np.log1p(-v)

    def from_unbounded(self, u: np.ndarray) -> np.ndarray:
        lo, hi = self.bounds
        return lo + (hi - lo) / (1.0 + np.exp(-u))


# ------------------------------------------------------------------ checking
def check_infer(st) -> None:
    """One-line errors for bad study settings, before anything runs."""
    if st.library not in LIBRARIES:
        raise ConfigError("infer.library", st.library, "unknown library; known: " + ", ".join(LIBRARIES))
    if st.method not in LIBRARIES[st.library]:
        raise ConfigError("infer.method", st.method, f"unknown method for {st.library}; known: " + ", ".join(LIBRARIES[st.library]))
    if st.density_estimator not in ESTIMATORS:
        raise ConfigError("infer.density_estimator", st.density_estimator, "known: " + ", ".join(ESTIMATORS))
    if st.discrepancy is not None:
        d = st.discrepancy
        if not {"low", "high"} <= set(d) or not 0 < d["low"] < d["high"]:
            raise ConfigError("infer.discrepancy", OmegaConf.to_container(d) if hasattr(d, "keys") else d,
                              "expected {low, high} with 0 < low < high (tolerances), or null for none")
    minimum = {"simulations": 100, "rounds": 1, "chunk": 1, "draws": 1, "sbc_simulations": 20, "predictive_simulations": 20,
               "sbc_samples": 10, "max_epochs": 1, "training_batch_size": 10}
    for key, low in minimum.items():
        if st[key] < low:
            raise ConfigError(f"infer.{key}", st[key], f"must be >= {low}")
    if st.seed < 0:
        raise ConfigError("infer.seed", st.seed, "must be a non-negative integer")
    if st.predictive_simulations > st.draws:
        raise ConfigError("infer.predictive_simulations", st.predictive_simulations,
                          f"must be <= infer.draws ({st.draws}): the predictive check re-simulates posterior draws")


def prepare_inference(cfg: DictConfig) -> Inference:
    """Check an inference config: the run part, the targets, the prior (the search space) and the study settings."""
    from alignment.fit.calibrate import check_search
    from alignment.fit.targets import load_targets
    from alignment.runs import prepare
    from alignment.sweeps.executors import check_executor

    check_infer(cfg.infer)
    check_executor(cfg.executor)
    for module in ("sbi", "torch"):
        if importlib.util.find_spec(module) is None:
            raise ConfigError("infer.library", cfg.infer.library, f"needs the {module} package: pip install 'alignment[infer]'")
    prepared = prepare(cfg)
    targets = load_targets(cfg.targets, prepared.world, cfg.world, until=prepared.end // 12)
    space = check_search(OmegaConf.to_container(cfg.search))
    ints = [n for n, s in space.items() if s[3]]
    if ints:
        raise ConfigError(f"search.{ints[0]}", OmegaConf.to_container(cfg.search)[ints[0]],
                          "an integer parameter cannot be inferred by a density estimator; fix it in model instead")
    if cfg.infer.discrepancy is not None:
        families = dict.fromkeys(FAMILIES[t.kind] for t in targets if t.kind != "pattern")
        d = cfg.infer.discrepancy
        space.update({f"{DISCREPANCY}{f}": (float(d.low), float(d.high), True, False) for f in families})
    return Inference(prepared, targets, space)


# ------------------------------------------------------------------ simulating
def errors(targets, runs) -> np.ndarray:
    """(n, T) each target's error in tolerances for finished runs, ``(model - record) / tolerance`` (log ratio for a
    relative target); a pattern is 1.0 where it holds, else 0.0. An undefined statistic counts as ``FAR`` off."""
    out = np.empty((len(runs), len(targets)))
    for k, t in enumerate(targets):
        if t.kind == "pattern":
            out[:, k] = [t.ensemble([t.statistic(m)]) if t.ensemble else t.statistic(m) for m in runs]
            continue
        out[:, k] = t.error(np.array([t.statistic(m) for m in runs], dtype=float)) / t.scale
    return np.where(np.isfinite(out), out, FAR)


def noisy(e: np.ndarray, targets, sigma: np.ndarray | None, families: list, rng: np.random.Generator) -> np.ndarray:
    """(n, T) summaries from errors ``e``: plus the record's noise and the family's discrepancy, ``sqrt(1 + sigma^2)``
    tolerances (``sigma``: (n, F) per run and family, or None for the record's noise alone), squashed into +-CAP.
    Patterns pass as they are."""
    values = np.array([t.kind != "pattern" for t in targets])
    scale = np.ones((e.shape[0], len(targets)))
    if sigma is not None:
        fam = np.array([families.index(FAMILIES[t.kind]) if t.kind != "pattern" else 0 for t in targets])
        scale = np.sqrt(1.0 + sigma[:, fam] ** 2)
    eps = rng.standard_normal(e.shape)
    return np.where(values, CAP * np.tanh((e + scale * eps) / CAP), e)


def observed(targets) -> np.ndarray:
    """(T,) the record's summary: every error 0, every pattern holding."""
    return np.array([1.0 if t.kind == "pattern" else 0.0 for t in targets])


def chunk_rng(seed: int, stream: str, k: int, rnd: int = 0) -> np.random.Generator:
    """The generator of one chunk: stable however many chunks the study has."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream], rnd, k]))


def sigmas(inf: Inference, z: np.ndarray) -> np.ndarray | None:
    """(n, F) the discrepancies of parameter sets in estimator coordinates (None when the study has none)."""
    return inf.to_values(z)[:, len(inf.model_names):] if inf.families else None


def prior_draws(inf: Inference, rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, D) draws from the prior, uniform over the box, in estimator coordinates."""
    lo, hi = inf.bounds
    return lo + (hi - lo) * rng.random((n, len(lo)))


@lru_cache(maxsize=2)
def _prepared_in_worker(cfg_yaml: str) -> Inference:
    from alignment.schema import InferConfig

    return prepare_inference(OmegaConf.merge(OmegaConf.structured(InferConfig), OmegaConf.create(cfg_yaml)))


def simulate_chunk(task: dict) -> dict:
    """Run one chunk (in a worker): parameter sets ``task['z']`` (estimator coordinates), one seed each."""
    inf = _prepared_in_worker(task["cfg"])
    z = np.asarray(task["z"])
    values = inf.to_values(z)[:, :len(inf.model_names)]
    base = inf.prepared.params
    params = [dataclasses.replace(base, **dict(zip(inf.model_names, map(float, row)))) for row in values]
    from alignment.runs import check_params, run_batch

    for p in params:
        check_params(p)
    runs = run_batch(inf.prepared, params, list(task["seeds"]))
    return {"stream": task["stream"], "round": task["round"], "k": task["k"], "z": z, "e": errors(inf.targets, runs)}


def _chunk_path(sim_dir: Path, stream: str, k: int, rnd: int = 0) -> Path:
    return sim_dir / f"{stream}{rnd}_{k:05d}.npz"


def _write_chunk(sim_dir: Path, result: dict) -> None:
    with replacing(_chunk_path(sim_dir, result["stream"], result["k"], result["round"])) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, z=result["z"], e=result["e"].astype(np.float32))  # float32: half the disk, far finer than a tolerance


def _read_chunks(inf: Inference, sim_dir: Path, stream: str, n_chunks: int, seed: int, rnd: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(z, x) of a stream's round: parameter sets and their summaries, the noise drawn from each chunk's own stream."""
    zs, xs = [], []
    for k in range(n_chunks):
        with np.load(_chunk_path(sim_dir, stream, k, rnd)) as d:
            z, e = d["z"], d["e"]
        zs.append(z)
        xs.append(noisy(e.astype(float), inf.targets, sigmas(inf, z), inf.families, chunk_rng(seed, stream, k, rnd)))
    return np.concatenate(zs), np.concatenate(xs)


def plan_chunks(st, stream: str, n: int, thetas: np.ndarray | None, inf: Inference, rnd: int = 0) -> list[dict]:
    """The chunks of one stream and round: prior draws (or the given parameter sets), seeds offset by both."""
    tasks, size = [], int(st.chunk)
    for k in range(math.ceil(n / size)):
        m = min(size, n - k * size)
        z = thetas[k * size:k * size + m] if thetas is not None else prior_draws(inf, chunk_rng(st.seed, stream, k + 1_000_000, rnd), m)
        seeds = [STREAMS[stream] * SEED_OFFSET + rnd * ROUND_OFFSET + k * size + i for i in range(m)]
        tasks.append({"stream": stream, "round": rnd, "k": k, "z": z, "seeds": seeds, "seed": int(st.seed)})
    return tasks


def simulate(cfg: DictConfig, inf: Inference, stream: str, n: int, out: Path, thetas=None, progress=True, rnd: int = 0):
    """Simulate the missing chunks of a stream's round through the configured executor; returns (z, x) of the whole
    round: parameter sets (estimator coordinates) and summaries."""
    from tqdm.auto import tqdm

    from alignment.sweeps.executors import executor

    st = cfg.infer
    sim_dir = out / "simulations"
    sim_dir.mkdir(parents=True, exist_ok=True)
    tasks = plan_chunks(st, stream, n, thetas, inf, rnd)
    todo = [t for t in tasks if not _chunk_path(sim_dir, stream, t["k"], rnd).exists()]
    if todo:
        cfg_yaml = OmegaConf.to_yaml(cfg, resolve=True)
        for t in todo:
            t["cfg"] = cfg_yaml
        done = sum(len(t["seeds"]) for t in tasks) - sum(len(t["seeds"]) for t in todo)
        label = f"{stream} simulations" + (f", round {rnd + 1}/{int(st.rounds)}" if stream == "train" and int(st.rounds) > 1 else "")
        with tqdm(total=n, initial=done, desc=label, unit="sim", disable=not progress) as bar:
            with executor(cfg.executor, out / "slurm") as run:
                for result in run(simulate_chunk, todo):
                    _write_chunk(sim_dir, result)
                    bar.update(len(result["z"]))
    return _read_chunks(inf, sim_dir, stream, len(tasks), int(st.seed), rnd)


def valid_runs(inf: Inference, x: np.ndarray) -> np.ndarray:
    """(n,) whether each run reproduces every pattern of the brief among the targets (all True without patterns)."""
    cols = [k for k, t in enumerate(inf.targets) if t.kind == "pattern"]
    return (x[:, cols] > 0.5).all(axis=1) if cols else np.ones(len(x), dtype=bool)


def restricted_draws(inf: Inference, z: np.ndarray, valid: np.ndarray, n: int, seed: int, path: Path) -> np.ndarray:
    """(n, D) parameter sets from the prior restricted to where the brief's patterns can hold: a classifier trained
    on the runs so far (sbi's RestrictionEstimator, Deistler et al. 2022; its threshold leaves no valid run out; the
    classes weighted by their size, as valid runs are rare). With fewer than ``MIN_VALID`` valid runs the classifier
    cannot be trusted, and the draws come from the prior. Kept in ``path``, so an interrupted round resumes with the
    same draws."""
    if path.exists():
        return np.load(path)
    if valid.sum() < MIN_VALID:
        draws = prior_draws(inf, np.random.default_rng(np.random.SeedSequence([seed, 0xB0C5])), n)
    else:
        import io

        import torch
        from sbi.utils import RestrictionEstimator

        with _torch_seeded(seed), contextlib.redirect_stdout(io.StringIO()):  # sbi prints its epochs and rates
            est = RestrictionEstimator(prior=logistic_prior(len(inf.names)), decision_criterion=lambda x: x[:, 0] > 0.5)
            est.append_simulations(torch.as_tensor(inf.to_unbounded(z), dtype=torch.float32),
                                   torch.as_tensor(valid[:, None].astype(np.float32)))
            est.train(loss_importance_weights=True)
            u = est.restrict_prior(allowed_false_negatives=0.0).sample((n,)).double().numpy()
        draws = inf.from_unbounded(u)
    with replacing(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, draws)
    return draws


def simulate_rounds(cfg: DictConfig, inf: Inference, out: Path) -> tuple[np.ndarray, np.ndarray, list, object]:
    """The training simulations, round by round: the first from the prior, each later one from the prior restricted
    by the runs before it to where the brief's patterns hold. Returns the valid runs' (z, x), a line per round
    (simulations, valid share) and the draws of the last restriction's kind for the held-out check."""
    st = cfg.infer
    rounds = int(st.rounds) if st.restrict_to_patterns else 1
    sizes = [int(st.simulations) // rounds + (1 if r < int(st.simulations) % rounds else 0) for r in range(rounds)]
    zs, xs, vs, lines = [], [], [], []
    for r, n in enumerate(sizes):
        thetas = None
        if r > 0:
            z_all, v_all = np.concatenate(zs), np.concatenate(vs)
            if not v_all.any():
                raise ConfigError("infer.simulations", int(st.simulations), f"none of the {len(z_all):,} simulations so far "
                                  "reproduces the brief's patterns; simulate more in the first round, or set "
                                  "infer.restrict_to_patterns=false")
            thetas = restricted_draws(inf, z_all, v_all, n, int(st.seed) + 100 + r, out / "simulations" / f"train{r}_theta.npy")
        z, x = simulate(cfg, inf, "train", n, out, thetas=thetas, progress=st.progress, rnd=r)
        v = valid_runs(inf, x) if st.restrict_to_patterns else np.ones(len(x), dtype=bool)
        zs.append(z), xs.append(x), vs.append(v)
        lines.append({"round": r, "simulations": n, "valid": int(v.sum()), "from": "prior" if r == 0 else "restricted prior"})
    v = np.concatenate(vs)
    return np.concatenate(zs)[v], np.concatenate(xs)[v], lines, (np.concatenate(zs), v)


def heldout(cfg: DictConfig, inf: Inference, out: Path, history) -> tuple[np.ndarray, np.ndarray, int]:
    """``infer.sbc_simulations`` held-out valid runs, drawn as the training runs of the last round were, and how many
    runs that took."""
    st = cfg.infer
    n = int(st.sbc_simulations)
    if not st.restrict_to_patterns or int(st.rounds) == 1:
        z, x = simulate(cfg, inf, "sbc", n, out, progress=st.progress)
        return z, x, n
    z_all, v_all = history
    zs, xs, got, batch, simulated = [], [], 0, 0, 0
    while got < n:
        if batch >= 20:
            raise ConfigError("infer.sbc_simulations", n, "too few held-out runs reproduce the brief's patterns")
        share = max(v_all.mean(), 0.05)
        m = int(math.ceil(1.5 * (n - got) / share))
        thetas = restricted_draws(inf, z_all, v_all, m, int(st.seed) + 200 + batch, out / "simulations" / f"sbc{batch}_theta.npy")
        z, x = simulate(cfg, inf, "sbc", m, out, thetas=thetas, progress=st.progress, rnd=batch)
        v = valid_runs(inf, x)
        zs.append(z[v]), xs.append(x[v])
        got += int(v.sum())
        simulated += m
        batch += 1
    return np.concatenate(zs)[:n], np.concatenate(xs)[:n], simulated


# ------------------------------------------------------------------ the estimator
@contextlib.contextmanager
def _torch_seeded(seed: int):
    """A torch random context seeded from the study's seed that leaves torch's global state as it was. sbi's advice
    inside it (outlying or constant summaries, sample sizes, batch caps) is silenced: the report gives what matters."""
    import warnings

    import torch

    with warnings.catch_warnings(), torch.random.fork_rng():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"sbi(\..*)?$")
        torch.manual_seed(seed)
        yield


def logistic_prior(D: int):
    """The uniform prior of the box seen through the logit: independent standard logistic distributions."""
    import torch
    from torch.distributions import Independent, SigmoidTransform, TransformedDistribution, Uniform

    base = Uniform(torch.zeros(D), torch.ones(D))
    return Independent(TransformedDistribution(base, [SigmoidTransform().inv]), 1)


def train(inf: Inference, st, z: np.ndarray, x: np.ndarray, out: Path):
    """The NPE posterior trained on (z, x), saved to ``estimator.pt`` (reused when the study resumes). It works in
    the unbounded coordinates of :meth:`Inference.to_unbounded`; :func:`sample` maps its draws back."""
    import io

    import torch
    from sbi.inference import NPE

    prior = logistic_prior(len(inf.names))
    z = inf.to_unbounded(z)
    path, mark = out / "estimator.pt", out / "estimator.json"
    trained_for = training_hash(st)
    with _torch_seeded(int(st.seed)):
        from sbi.utils.tracking import TensorBoardTracker
        from torch.utils.tensorboard.writer import SummaryWriter

        # the training curves go to the study's folder (tensorboard --logdir it), not to ./sbi-logs
        tracker = TensorBoardTracker(SummaryWriter(log_dir=str(out / "training")))
        npe = NPE(prior=prior, density_estimator=st.density_estimator, tracker=tracker, show_progress_bars=False)
        npe.append_simulations(torch.as_tensor(z, dtype=torch.float32), torch.as_tensor(x, dtype=torch.float32))
        if path.exists() and mark.exists() and json.loads(mark.read_text()).get("training_hash") == trained_for:
            estimator = torch.load(path, weights_only=False)
            epochs = json.loads(mark.read_text()).get("epochs")
        else:
            with contextlib.redirect_stdout(io.StringIO()):  # sbi prints its last epoch without a newline
                estimator = npe.train(max_num_epochs=int(st.max_epochs), training_batch_size=int(st.training_batch_size))
            epochs = int(npe.summary["epochs_trained"][-1])
            print(f"{PROG}: estimator trained on {len(z):,} simulations ({epochs} epochs)", flush=True)
            with replacing(path) as tmp:
                torch.save(estimator, tmp)
            atomic_write_text(json.dumps({"training_hash": trained_for, "epochs": epochs}) + "\n", mark)
        posterior = npe.build_posterior(estimator)
    return posterior, epochs


def sample(posterior, inf: Inference, x_o: np.ndarray, n: int, seed: int) -> np.ndarray:
    """(n, D) posterior draws at the summary ``x_o``, in estimator coordinates (log for a log-scale parameter)."""
    import torch

    with _torch_seeded(seed):
        s = posterior.sample((n,), x=torch.as_tensor(x_o, dtype=torch.float32), show_progress_bars=False)
    return inf.from_unbounded(s.double().numpy())


# ------------------------------------------------------------------ diagnostics
def sbc(posterior, inf: Inference, z: np.ndarray, x: np.ndarray, samples: int, seed: int) -> dict:
    """Simulation-based calibration (Talts et al. 2018) on held-out simulations: per parameter, the rank of the true
    value among posterior samples, and a Kolmogorov-Smirnov test of their uniformity."""
    import torch
    from sbi.diagnostics import run_sbc
    from scipy import stats

    with _torch_seeded(seed):
        ranks, _ = run_sbc(torch.as_tensor(inf.to_unbounded(z), dtype=torch.float32), torch.as_tensor(x, dtype=torch.float32), posterior,
                           num_posterior_samples=samples, show_progress_bar=False)
    ranks = ranks.numpy().astype(int)
    out = {}
    for d, name in enumerate(inf.names):
        u = (ranks[:, d] + 0.5) / (samples + 1)
        out[name] = {"ranks": ranks[:, d].tolist(), "ks_pvalue": float(stats.kstest(u, "uniform").pvalue)}
    return out


def contraction(inf: Inference, draws_z: np.ndarray) -> np.ndarray:
    """(D,) 1 - posterior variance / prior variance, in the estimator's coordinates (0: the data say nothing)."""
    lo, hi = inf.bounds
    return 1.0 - draws_z.var(axis=0) / ((hi - lo) ** 2 / 12.0)


def predictive_coverage(targets, x_pred: np.ndarray) -> dict:
    """Share of the record's targets inside the posterior-predictive 50 % and 90 % central intervals (patterns
    aside: each is reported as the share of predictive runs where it holds)."""
    values = [k for k, t in enumerate(targets) if t.kind != "pattern"]
    xv = x_pred[:, values]
    inside = {}
    for level in (50, 90):
        lo, hi = np.quantile(xv, [(1 - level / 100) / 2, 1 - (1 - level / 100) / 2], axis=0)
        inside[level] = (lo <= 0.0) & (0.0 <= hi)
    kinds = pd.Series([targets[k].kind for k in values])
    by_kind = {kind: {"targets": int((kinds == kind).sum()),
                      "coverage_50": float(inside[50][(kinds == kind).to_numpy()].mean()),
                      "coverage_90": float(inside[90][(kinds == kind).to_numpy()].mean())}
               for kind in sorted(kinds.unique())}
    patterns = {t.name: float(x_pred[:, k].mean()) for k, t in enumerate(targets) if t.kind == "pattern"}
    return {"coverage_50": float(inside[50].mean()), "coverage_90": float(inside[90].mean()),
            "by_kind": by_kind, "patterns_hold": patterns,
            "missed_90": [targets[values[k]].name for k in np.flatnonzero(~inside[90])]}


# ------------------------------------------------------------------ outputs
def study_hash(cfg: DictConfig) -> str:
    """What the simulations depend on: everything but where the outputs go, how many of each, and the executor."""
    c = OmegaConf.to_container(cfg, resolve=True)
    c.pop("executor", None)
    keep = {k: v for k, v in c["infer"].items() if k in ("library", "method", "seed", "chunk", "restrict_to_patterns", "rounds",
                                                         "simulations")}
    c["infer"] = keep
    return hashlib.sha256(json.dumps(c, sort_keys=True, default=str).encode()).hexdigest()[:16]


def training_hash(st) -> str:
    """What the trained estimator and the outputs depend on beyond the simulations."""
    keys = ("density_estimator", "max_epochs", "training_batch_size", "discrepancy", "simulations", "draws",
            "sbc_simulations", "sbc_samples", "predictive_simulations")
    c = {k: OmegaConf.to_container(st[k]) if OmegaConf.is_config(st[k]) else st[k] for k in keys}
    return hashlib.sha256(json.dumps(c, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("alignment", "numpy", "pandas", "mesa", "hydra-core", "sbi", "torch", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _check_folder(out: Path, digest: str) -> None:
    mark = out / "study.json"
    if mark.exists():
        recorded = json.loads(mark.read_text()).get("hash")
        if recorded != digest:
            raise ConfigError("infer.output_dir", str(out), "holds a study of another configuration (its simulations "
                              "would not match); choose another infer.name or delete the folder")
    elif (out / "simulations").exists() and any((out / "simulations").iterdir()):
        raise ConfigError("infer.output_dir", str(out), "holds simulations without a study record; delete the folder")


def _finished(out: Path, digest: str, st) -> dict | None:
    """The outputs of a finished study of this configuration and size, or None (then it is run or resumed)."""
    try:
        diag = json.loads((out / "diagnostics.json").read_text())
        post = pd.read_parquet(out / "posterior.parquet")
    except (OSError, ValueError):
        return None
    if diag.get("hash") != digest or diag.get("training_hash") != training_hash(st) or len(post) != int(st.draws):
        return None
    return {"posterior": post, "diagnostics": diag, "output_dir": out}


def posterior_table(inf: Inference, draws_z: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(inf.to_values(draws_z), columns=inf.columns())


def report(inf: Inference, st, post: pd.DataFrame, diag: dict) -> str:
    lines = [f"# Posterior of the searched parameters: study `{st.name}`", "",
             f"Neural posterior estimation (sbi {diag['versions'].get('sbi')}, {st.density_estimator}) trained on "
             f"{diag['valid_simulations']:,} of {diag['simulations']:,} simulations (the prior: the search space, uniform, "
             "log-uniform where log; restricted, round by round, to where the brief's patterns hold), "
             f"with the {diag['targets']} calibration targets of 2015-2021 as summaries (errors in tolerances, "
             "plus the record's noise and the model's discrepancy per family of targets). Regenerate: `" + diag["command"] + "`.", "",
             f"- Posterior-predictive coverage of the targets: {diag['coverage_50']:.2f} inside the 50 % interval, "
             f"{diag['coverage_90']:.2f} inside the 90 % interval (a calibrated model and noise model: 0.50 and 0.90).",
             f"- Simulation-based calibration over {diag['sbc_simulations']} held-out simulations: "
             f"{len(diag['sbc_failed'])} of {len(inf.names)} parameters fail the uniformity test (KS p < 0.01)"
             + (": " + ", ".join(f"`{n}`" for n in diag["sbc_failed"]) if diag["sbc_failed"] else "") + ".",
             "- Rounds: " + "; ".join(f"{r['round'] + 1}: {r['simulations']:,} from the {r['from']}, {r['valid']:,} reproduce the "
                                       "brief's patterns" for r in diag["rounds"])
             + (f". The estimator is trained on the {diag['valid_simulations']:,} that do: the patterns are data it is "
                "conditioned on." if diag["restrict_to_patterns"] else "."),
             f"- Cost: {diag['seconds']['simulate']:.0f} s simulating ({diag['simulations_per_second']:.0f} simulations/s), "
             f"{diag['seconds']['train']:.0f} s training, {diag['seconds']['diagnose']:.0f} s diagnostics.", "",
             "| parameter | prior | posterior median | 90 % interval | contraction | SBC KS p |", "|---|---|---|---|---|---|"]
    for name, column in zip(inf.names, inf.columns()):
        d = diag["parameters"][name]
        low, high, log, _ = inf.space[name]
        q = post[column].quantile([0.05, 0.5, 0.95])
        lines.append(f"| `{name}` | {low:g} - {high:g}{' (log)' if log else ''} | {q[0.5]:.3g} | {q[0.05]:.3g} - {q[0.95]:.3g} "
                     f"| {d['contraction']:.2f} | {d['ks_pvalue']:.3f} |")
    lines += ["", "Contraction is 1 - posterior variance / prior variance in the estimator's coordinates: near 0 the "
              "targets say nothing about the parameter, near 1 they pin it.", "",
              "## Coverage by kind of target", "", "| kind | targets | 50 % | 90 % |", "|---|---|---|---|"]
    for kind, c in diag["by_kind"].items():
        lines.append(f"| {kind} | {c['targets']} | {c['coverage_50']:.2f} | {c['coverage_90']:.2f} |")
    lines += ["", "## Patterns of the brief (share of posterior-predictive runs where each holds)", ""]
    lines += [f"- {k}: {v:.2f}" for k, v in diag["patterns_hold"].items()]
    strong = diag["correlations"]
    lines += ["", "## Strongest posterior correlations", ""]
    lines += [f"- `{a}` and `{b}`: {r:+.2f}" for a, b, r in strong] or ["- none above 0.3"]
    return "\n".join(lines) + "\n"


def strongest_correlations(post: pd.DataFrame, n: int = 8, floor: float = 0.3) -> list:
    """The ``n`` strongest pairwise correlations of the posterior draws (at least ``floor`` in size)."""
    c = np.corrcoef(post.to_numpy(), rowvar=False)
    names = [col.removeprefix("model.") for col in post.columns]
    pairs = [(names[i], names[j], float(c[i, j])) for i in range(len(names)) for j in range(i + 1, len(names))
             if abs(c[i, j]) >= floor]
    return sorted(pairs, key=lambda p: -abs(p[2]))[:n]


def run_inference(cfg: DictConfig) -> dict:
    """Simulate (resuming), train, sample, diagnose; write the study's outputs into ``infer.output_dir``."""
    inf = prepare_inference(cfg)
    st = cfg.infer
    out = Path(st.output_dir)
    digest = study_hash(cfg)
    _check_folder(out, digest)
    done = _finished(out, digest, st)
    if done is not None:
        print(f"{PROG}: study '{st.name}' is finished ({out}); nothing to do")
        return done
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(json.dumps({"hash": digest, "name": st.name}, indent=1) + "\n", out / "study.json")
    T = len(inf.targets)
    rounds = f" in {st.rounds} rounds (the patterns restrict the prior)" if st.restrict_to_patterns and st.rounds > 1 else ""
    print(f"{PROG}: study '{st.name}': {st.simulations:,} simulations{rounds} over {len(inf.names)} parameters, "
          f"{T} targets as summaries; then {st.sbc_simulations} held out for the calibration check and "
          f"{st.predictive_simulations} from the posterior ({out})", flush=True)
    seconds = {}
    t0 = time.perf_counter()
    z, x, rounds, history = simulate_rounds(cfg, inf, out)
    z_sbc, x_sbc, n_heldout = heldout(cfg, inf, out, history)
    seconds["simulate"] = time.perf_counter() - t0
    keep = x.std(axis=0) > 0  # a summary no simulation moves (a membership the data fix) carries no information
    t0 = time.perf_counter()
    posterior, epochs = train(inf, st, z, x[:, keep], out)
    seconds["train"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    x_o = observed(inf.targets)
    draws_z = sample(posterior, inf, x_o[keep], int(st.draws), int(st.seed))
    post = posterior_table(inf, draws_z)
    ranks = sbc(posterior, inf, z_sbc, x_sbc[:, keep], int(st.sbc_samples), int(st.seed) + 1)
    seconds["diagnose"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    _, x_pred = simulate(cfg, inf, "predictive", int(st.predictive_simulations), out,
                         thetas=draws_z[:int(st.predictive_simulations)], progress=st.progress)
    seconds["simulate"] += time.perf_counter() - t1
    cover = predictive_coverage(inf.targets, x_pred)
    con = contraction(inf, draws_z)
    n_sims = int(st.simulations) + int(st.predictive_simulations) + n_heldout
    diag = {"study": st.name, "library": st.library, "method": st.method, "density_estimator": st.density_estimator,
            "simulations": int(st.simulations), "sbc_simulations": int(st.sbc_simulations),
            "predictive_simulations": int(st.predictive_simulations), "draws": int(st.draws), "targets": T,
            "epochs": epochs, "seconds": seconds, "rounds": rounds, "valid_simulations": int(len(z)),
            "restrict_to_patterns": bool(st.restrict_to_patterns),
            "constant_summaries": [t.name for t, k in zip(inf.targets, keep) if not k],
            "simulations_per_second": n_sims / max(seconds["simulate"], 1e-9),
            "coverage_50": cover["coverage_50"], "coverage_90": cover["coverage_90"],
            "by_kind": cover["by_kind"], "patterns_hold": cover["patterns_hold"], "missed_90": cover["missed_90"],
            "parameters": {n: {"contraction": float(con[d]), "ks_pvalue": ranks[n]["ks_pvalue"], "sbc_ranks": ranks[n]["ranks"],
                               "sbc_samples": int(st.sbc_samples)} for d, n in enumerate(inf.names)},
            "sbc_failed": [n for n in inf.names if ranks[n]["ks_pvalue"] < 0.01],
            "correlations": strongest_correlations(post),
            "command": f"alignment-infer infer.name={st.name}", "versions": _versions(), "hash": digest,
            "training_hash": training_hash(st)}
    from alignment.outputs import atomic_write_table
    import pyarrow as pa

    atomic_write_table(pa.Table.from_pandas(post, preserve_index=False), out / "posterior.parquet")
    atomic_write_text(json.dumps(diag, indent=1) + "\n", out / "diagnostics.json")
    atomic_write_text(OmegaConf.to_yaml(cfg, resolve=True), out / "config.yaml")
    atomic_write_text(json.dumps(diag["versions"], indent=1) + "\n", out / "versions.json")
    atomic_write_text(report(inf, st, post, diag), out / "report.md")
    print(f"coverage of the targets: {cover['coverage_50']:.2f} at 50 %, {cover['coverage_90']:.2f} at 90 %; "
          f"SBC fails for {len(diag['sbc_failed'])} of {len(inf.names)} parameters; wrote {out / 'posterior.parquet'}, "
          f"{out / 'diagnostics.json'} and {out / 'report.md'}")
    return {"posterior": post, "diagnostics": diag, "output_dir": out}


main = console_entry(PROG, "infer", run_inference, prepare_inference)


if __name__ == "__main__":
    main()
