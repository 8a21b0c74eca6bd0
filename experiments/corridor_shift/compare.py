"""Corridor shift: historical against the no-war counterfactual, from two run directories.

    alignment-run -m scenario=historical,no_war_2022 hydra.sweep.dir=outputs/main
    python experiments/corridor_shift/compare.py outputs/main results/corridor_shift

Reads only the output contract (timeseries.parquet); writes corridor_shift.png and corridor_shift.csv.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from alignment.outputs import read_timeseries  # noqa: E402


def load(sweep: Path) -> pd.DataFrame:
    frames = []
    for run in sorted(p for p in sweep.iterdir() if (p / "run.json").exists()):
        ts = read_timeseries(run / "timeseries.parquet")
        scenario = run.name.split("_", 1)[1].rsplit("_seed", 1)[0]
        frames.append(ts.assign(scenario=scenario))
    return pd.concat(frames, ignore_index=True)


def main(sweep: str, out: str) -> None:
    df = load(Path(sweep))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    vol = df[(df["indicator"] == "corridor_volume_mt") & df["entity"].isin(["NORTHERN", "MIDDLE", "CKU", "INSTC"])]
    yearly = vol.groupby(["scenario", "entity", "year"], as_index=False)["value"].mean()
    yearly.to_csv(out_dir / "corridor_shift.csv", index=False, float_format="%.4f")
    sns.set_theme(style="whitegrid")
    g = sns.relplot(data=yearly, x="year", y="value", hue="scenario", col="entity", col_wrap=2, kind="line",
                    height=2.8, aspect=1.5, facet_kws={"sharey": False}, palette={"historical": "C3", "no_war_2022": "C0"})
    for ax in g.axes.flat:
        ax.axvline(2022.15, color="grey", lw=0.8, ls="--")
    g.set_titles("{col_name}")
    g.set_axis_labels("", "million tonnes per year")
    g.figure.suptitle("Corridor volumes: historical vs no war in 2022 (dashed: Feb 2022)", y=1.03)
    g.figure.savefig(out_dir / "corridor_shift.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    window = yearly[yearly["year"].between(2023, 2025)].groupby(["entity", "scenario"])["value"].mean().unstack()
    window["ratio"] = window["historical"] / window["no_war_2022"]
    print(window.round(2).to_string())


if __name__ == "__main__":
    main(*sys.argv[1:3])
