"""demo_sweep: the demo sweep's figure, drawn from its dataset only.

Three panels: the Middle Corridor's share of China-Europe freight by year in both scenarios (median
and 5-95 % band over every design point and replicate); that share in ``share_year`` against shippers'
sensitivity to cost (the logit scale: the parameter that explains it); Kazakhstan's alignment weight on
Russia by year. Table: one row per panel, scenario and year (or design point): median, p05, p95, runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MultipleLocator

from alignment.experiment.plotting import theme

SWEEP = "demo"
COLOURS = {"historical": "C3", "no_war_2022": "C0"}


def _bands(d: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = d.groupby(by)["value"]
    return pd.DataFrame({"median": g.median(), "p05": g.quantile(0.05), "p95": g.quantile(0.95), "runs": g.size()}).reset_index()


def table(data, options):
    mid = data.summaries(SWEEP, "corridor_share", entity="MIDDLE", partner="EAST_WEST")
    kaz = data.summaries(SWEEP, "alignment_weight", entity="KAZ", partner="RUS")
    year = int(options["share_year"])
    by_year = _bands(mid, ["scenario", "year"]).assign(panel="middle_share_by_year")
    at_year = (mid[mid.year == year].groupby(["scenario", "model.logit_scale_usd"], as_index=False)["value"].mean()
               .rename(columns={"model.logit_scale_usd": "x", "value": "median"}).assign(panel=f"middle_share_{year}", year=year))
    kaz_year = _bands(kaz, ["scenario", "year"]).assign(panel="kaz_weight_on_rus_by_year")
    return pd.concat([by_year, at_year, kaz_year], ignore_index=True)[["panel", "scenario", "year", "x", "median", "p05", "p95", "runs"]]


def draw(table, options, data):
    theme()
    year = int(options["share_year"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, panel, ylabel, title in ((axes[0], "middle_share_by_year", "share of China-Europe freight (TEU)", "Middle Corridor share"),
                                     (axes[2], "kaz_weight_on_rus_by_year", "alignment weight (share)", "Kazakhstan's weight on Russia")):
        for scenario, d in table[table.panel == panel].groupby("scenario"):
            ax.fill_between(d.year + 0.5, d.p05, d.p95, color=COLOURS.get(scenario), alpha=0.2, lw=0)
            ax.plot(d.year + 0.5, d["median"], color=COLOURS.get(scenario), label=scenario)
        ax.axvline(2022 + 1 / 12, color="0.3", ls=":", lw=1)
        ax.text(2022.2, ax.get_ylim()[1], " Feb 2022", va="top", fontsize=8, color="0.3")
        ax.set(xlabel="year", ylabel=ylabel, title=title + "\n(median and 5-95 % band over all runs)")
        ax.xaxis.set_major_locator(MultipleLocator(5))
        ax.legend(fontsize=8, loc="upper left")
    for scenario, d in table[table.panel == f"middle_share_{year}"].groupby("scenario"):
        axes[1].scatter(d.x, d["median"], s=14, color=COLOURS.get(scenario), label=scenario)
    axes[1].set(xlabel="route-choice logit scale, USD per FEU (larger: shippers less sensitive to cost)",
                ylabel="share of China-Europe freight (TEU)",
                title=f"Middle Corridor share in {year}\n(each point: a design point, mean of its replicates)")
    axes[1].legend(fontsize=8)
    runs = int(table.loc[table.panel == "middle_share_by_year", "runs"].max())
    fig.suptitle(f"Demo sweep: {runs} runs per scenario (40 Latin-hypercube points x 3 replicates), 2015-2035", y=1.02)
    fig.tight_layout()
    return fig
