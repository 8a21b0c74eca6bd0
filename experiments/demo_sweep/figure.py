"""The demo sweep's figure, drawn from its dataset only.

    alignment-sweep sweep=demo
    python experiments/demo_sweep/figure.py [results/sweeps/demo] [results/demo_sweep]

Three panels: the Middle Corridor's share of China-Europe freight by year in both scenarios (median
and 5-95 % band over every design point and replicate); that share in 2025 against shippers'
sensitivity to cost (the logit scale: the parameter that explains it, Spearman 0.98 in this design);
Kazakhstan's alignment weight on Russia by year. Writes demo_sweep.png
and demo_sweep.csv (the numbers behind the panels).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from alignment.sweep.store import read_summaries  # noqa: E402

COLOURS = {"historical": "C3", "no_war_2022": "C0"}


def bands(d: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = d.groupby(by)["value"]
    return pd.DataFrame({"median": g.median(), "p05": g.quantile(0.05), "p95": g.quantile(0.95), "runs": g.size()}).reset_index()


def main(sweep: Path, out: Path) -> None:
    s = read_summaries(sweep, filters=[("indicator", "in", ["corridor_share", "alignment_weight"])])
    mid = s[(s.indicator == "corridor_share") & (s.entity == "MIDDLE") & (s.partner == "EAST_WEST")]
    kaz = s[(s.indicator == "alignment_weight") & (s.entity == "KAZ") & (s.partner == "RUS")]
    by_year = bands(mid, ["scenario", "year"]).assign(panel="middle_share_by_year")
    y2025 = (mid[mid.year == 2025].groupby(["scenario", "model.logit_scale_usd"], as_index=False)["value"].mean()
             .rename(columns={"model.logit_scale_usd": "x", "value": "median"}).assign(panel="middle_share_2025", year=2025))
    kaz_year = bands(kaz, ["scenario", "year"]).assign(panel="kaz_weight_on_rus_by_year")

    sns.set_theme(style="whitegrid")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, data, ylabel, title in ((axes[0], by_year, "share of China-Europe freight (TEU)", "Middle Corridor share"),
                                    (axes[2], kaz_year, "alignment weight (share)", "Kazakhstan's weight on Russia")):
        for scenario, d in data.groupby("scenario"):
            ax.fill_between(d.year, d.p05, d.p95, color=COLOURS.get(scenario), alpha=0.2, lw=0)
            ax.plot(d.year, d["median"], color=COLOURS.get(scenario), label=scenario)
        ax.axvline(2022 + 1 / 12, color="0.3", ls=":", lw=1)
        ax.text(2022.2, ax.get_ylim()[1], " Feb 2022", va="top", fontsize=8, color="0.3")
        ax.set(xlabel="year", ylabel=ylabel, title=title + "\n(median and 5-95 % band over all runs)")
        ax.legend(fontsize=8, loc="upper left")
    for scenario, d in y2025.groupby("scenario"):
        axes[1].scatter(d.x, d["median"], s=14, color=COLOURS.get(scenario), label=scenario)
    axes[1].set(xlabel="route-choice logit scale, USD per FEU (larger: shippers less sensitive to cost)",
                ylabel="share of China-Europe freight (TEU)",
                title="Middle Corridor share in 2025\n(each point: a design point, mean of its replicates)")
    axes[1].legend(fontsize=8)
    n_runs = s.run_id.nunique()
    fig.suptitle(f"Demo sweep: {n_runs} runs (2 scenarios x 40 Latin-hypercube points x 3 replicates), 2015-2035", y=1.02)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "demo_sweep.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    table = pd.concat([by_year, y2025, kaz_year], ignore_index=True)
    table.to_csv(out / "demo_sweep.csv", index=False, float_format="%.6g")
    print(f"wrote {out / 'demo_sweep.png'} and {out / 'demo_sweep.csv'}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]) if args else Path("results/sweeps/demo"), Path(args[1]) if len(args) > 1 else Path("results/demo_sweep"))
