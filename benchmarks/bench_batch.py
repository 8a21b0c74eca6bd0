"""How the pure mechanisms scale with the batch axis (not a test).

    python benchmarks/bench_batch.py [--batch 1 16 256]

Times one month of the numerical core (the five mechanism modules, with the
model's shapes: 5 states, 7 powers, 12 partners, 5 corridors, 2 markets) for B
runs in one call, and reports run-months per second. This is what a batched
stepper could reach; the Mesa model steps one run (B = 1) and adds agents,
events and bookkeeping around the same calls (see bench_run.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from alignment.mechanisms import alignment as al
from alignment.mechanisms import corridors as co
from alignment.mechanisms import diplomacy as di
from alignment.mechanisms import engagement as en
from alignment.mechanisms import trade as tr

N, P, Q, K, M = 5, 7, 12, 5, 2


def inputs(B, rng):
    w = rng.dirichlet(np.ones(P), size=(B, N))
    nest = np.array([[1, 0], [1, 0], [1, 0], [1, 0], [0, 1]], dtype=float)
    serves = np.ones((B, M, K), dtype=bool)
    return dict(
        w=w, gdp_s=rng.uniform(5, 200, (B, N)), gdp_q=rng.uniform(5, 2e4, (B, Q)), dist=rng.uniform(500, 9000, (B, N, Q)),
        aff=rng.normal(0, 1, (B, N, Q)), cost=rng.uniform(0, 0.1, (B, N, Q)), gc=rng.uniform(3000, 9000, (B, K)),
        serves=serves, cap=np.tile([6e5, 1e5, 0.0, 1.5e5, np.inf], (B, 1)), demand=np.tile([2.2e7, 1e6], (B, 1)),
        nest=nest, lam=np.array([0.5, 1.0]), budget=rng.uniform(0, 4, (B, P)), open_=rng.uniform(0.3, 1, (B, N)),
        channels=rng.uniform(0, 1, (B, 6, N, P)), noise=rng.standard_normal((B, N, P)),
    )


def one_month(x, rng):
    core = tr.gravity_core(x["gdp_s"], x["gdp_q"], x["dist"], 0.8, 1.0)
    flows = tr.gravity_flows(core, x["aff"], x["cost"], 5.0)
    co.assign_routes(x["demand"], x["gc"], x["serves"], x["cap"], x["nest"], x["lam"], 1000.0)
    alloc = en.allocate_engagement(x["budget"], x["w"], x["open_"], x["gdp_s"], 1.5, 1.0)
    rates = di.pair_rates(x["open_"], np.full(len(flows), 0.5), np.zeros(len(flows)), 0.4, 1.0, 0.5)
    counts = rng.poisson(rates)
    kp = di.kind_probabilities(np.full(len(flows), 0.5), np.ones(len(flows)), [1.0, -1.95, -1.16, -1.16], [-2, 0.6, 0.3, 0.3])
    n = int(counts.sum())
    di.draw_interactions(rates, kp, np.full((4, 3), 1 / 3), rng.random(n), rng.random(n), counts)
    s = al.attraction_scores(x["channels"], np.ones(6), np.zeros((len(flows), P)), np.zeros((len(flows), P)), np.zeros((len(flows), N)), 1.0, 1.0)
    tgt = al.target_weights(s, 1.4, np.full((len(flows), N), 0.45))
    x["w"] = al.update_weights(x["w"], tgt, 0.04, x["noise"], 0.015)
    al.regional_cohesion(x["w"], np.ones(len(flows)), np.full(len(flows), 0.2), 0.4, 0.3)
    return alloc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16, 256])
    ap.add_argument("--months", type=int, default=252)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for B in args.batch:
        x = inputs(B, rng)
        one_month(x, rng)
        t = time.perf_counter()
        for _ in range(args.months):
            one_month(x, rng)
        dt = time.perf_counter() - t
        print(f"B={B:4d}: {args.months} months in {dt:.3f} s -> {B * args.months / dt:>10,.0f} run-months/s of the numerical core")


if __name__ == "__main__":
    main()
