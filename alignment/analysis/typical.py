"""Which seed is a typical run: the default seed of ``alignment-run`` and of the classroom page.

One run is what ``make run`` draws and what a class sees first. Seed 0 was no better than any other, and it was
unlucky: 79 interactions among the five states in 2015 against the replicates' mean of 60 and 90 % band of 47-76,
beside a recorded 60. The default seed is instead the one whose headline indicators lie nearest the mean of
``replicates`` runs of the default configuration (historical scenario, calibrated parameters), in three families
that count alike:

- the interactions among the five states in each year, 2015 to the horizon (the chart a class compares with the
  recorded 2015 and 2019 counts);
- every state's weight on every power, its mean over the horizon (35 numbers: where each state sits);
- each overland corridor's volume, its mean over the horizon (million tonnes a year).

Each number is standardised by its spread across the replicates (numbers that do not vary are left out); a family's
distance is the root mean square of its z-scores, a run's the root mean square of its families'. Families count
alike so that the many weights do not drown the interactions a class sees first; within a family, a run a few
numbers far off stands out against one a little off everywhere.

    python -m alignment.analysis.typical            # the table and the seed; configs/run.yaml says which is set
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

OVERLAND = ("NORTHERN", "MIDDLE", "CKU", "INSTC")


def headline(run) -> dict[str, np.ndarray]:
    """A run's headline indicators: interactions among the five by calendar year (Y,); weights (N, P) and overland
    corridor volumes in million tonnes a year (K,), each the mean of its yearly means."""
    months = run.end - run.start + 1
    years = (run.start + np.arange(months)) // 12
    first, last = years[0], years[-1]
    n_years = last - first + 1
    count = np.zeros(n_years)
    for row in run.ledger:
        if row[6]:  # among the five states
            count[row[0] // 12 - first] += 1
    yearly = lambda a: np.stack([a[years == y].mean(axis=0) for y in range(first, last + 1)])  # noqa: E731
    corridors = list(run.world.corridors)
    volume = np.asarray(run.rec["volume"][:months])[:, [corridors.index(c) for c in OVERLAND]] * run.p.tonnes_per_teu / 1e6
    return {"interactions": count, "weights": yearly(np.asarray(run.rec["weights"][:months])).mean(axis=0),
            "volume_mt": yearly(volume).mean(axis=0)}


def distances(runs) -> pd.DataFrame:
    """Each run's distance from the replicates' mean (module docstring), with each family's and the run's
    interactions among the five states in its first year, sorted nearest first."""
    parts = [headline(r) for r in runs]
    table = pd.DataFrame({"seed": [r.seed for r in runs]})
    for family in ("interactions", "weights", "volume_mt"):
        values = np.stack([p[family].ravel() for p in parts])
        sd = values.std(axis=0)
        varies = sd > 1e-12
        z = (values[:, varies] - values[:, varies].mean(axis=0)) / sd[varies]
        if varies.any():  # the corridors' volumes are the same in every run: route choice has no noise
            table[family] = np.sqrt((z ** 2).mean(axis=1))
    families = [f for f in ("interactions", "weights", "volume_mt") if f in table]
    table.insert(1, "distance", np.sqrt((table[families] ** 2).mean(axis=1)))
    table["interactions_first_year"] = [p["interactions"][0] for p in parts]
    return table.sort_values(["distance", "seed"], kind="stable").reset_index(drop=True)


def typical_seed(replicates: int = 100, overrides: list | None = None) -> tuple[int, pd.DataFrame]:
    """The seed among 0..replicates-1 nearest the mean of the default configuration's runs, and the whole table."""
    from alignment.cli import compose_config
    from alignment.runs import prepare, run_batch

    p = prepare(compose_config(list(overrides or [])))
    runs = run_batch(p, [p.params] * replicates, list(range(replicates)))
    table = distances(runs)
    return int(table.seed.iloc[0]), table


def main(argv=None) -> None:
    from alignment.cli import compose_config

    seed, table = typical_seed()
    configured = int(compose_config([]).seed)
    counts = table.interactions_first_year
    print(table.head(10).to_string(index=False))
    print(f"replicates: {len(table)}; interactions among the five in the first year: mean {counts.mean():.1f}, "
          f"90 % band {counts.quantile(0.05):.0f}-{counts.quantile(0.95):.0f}")
    for s in sorted({seed, configured, 0}):
        row = table[table.seed == s].iloc[0]
        print(f"seed {s}: distance {row.distance:.3f} (rank {int(row.name) + 1} of {len(table)}), "
              f"{row.interactions_first_year:.0f} interactions in the first year")
    print(f"typical seed: {seed}; configs/run.yaml sets seed: {configured}")
    sys.exit(0 if seed == configured else 1)


if __name__ == "__main__":
    main()
