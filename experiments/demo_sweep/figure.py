"""demo_sweep: the demo sweep's figure, drawn from its dataset only.

Three panels: the Middle Corridor's share of China-Europe freight by year in both scenarios (median
and 5-95 % band over every design point and replicate); that share in ``share_year`` against shippers'
sensitivity to cost (the logit scale: the parameter that explains it); Kazakhstan's alignment weight on
Russia by year. Table: one row per panel, scenario and year (or design point): median, p05, p95, runs; the
shares are fractions there (0.046) and drawn in % (4.6).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MultipleLocator

from alignment.experiment.plotting import MAX_WIDTH_IN, mark_events, theme

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
    """The shares drawn in % (the table holds them as fractions), the scenarios' legend below the panels."""
    theme()
    year = int(options["share_year"])
    fig, axes = plt.subplots(1, 3, figsize=(MAX_WIDTH_IN, 4.9), layout="constrained")
    war = pd.DataFrame({"year": [2022 + 1 / 12], "label": ["Feb 2022"]})
    for ax, panel, scale, ylabel, title in (
            (axes[0], "middle_share_by_year", 100, "share of China-Europe freight (TEU), %", "Middle Corridor share"),
            (axes[2], "kaz_weight_on_rus_by_year", 1, "alignment weight (share, 0-1)", "Kazakhstan's weight on Russia")):
        for scenario, d in table[table.panel == panel].groupby("scenario"):
            ax.fill_between(d.year + 0.5, d.p05 * scale, d.p95 * scale, color=COLOURS.get(scenario), alpha=0.2, lw=0)
            ax.plot(d.year + 0.5, d["median"] * scale, color=COLOURS.get(scenario), label=scenario)
        pad = mark_events(ax, war)
        ax.set(xlabel="year", ylabel=ylabel)
        ax.set_title(title + "\n(median and 5-95 % band over all runs)", pad=pad + 4)
        ax.xaxis.set_major_locator(MultipleLocator(5))
    for scenario, d in table[table.panel == f"middle_share_{year}"].groupby("scenario"):
        axes[1].scatter(d.x, d["median"] * 100, s=14, color=COLOURS.get(scenario), label=scenario)
    axes[1].set(xlabel="route-choice logit scale, USD per FEU\n(larger: shippers less sensitive to cost)",
                ylabel="share of China-Europe freight (TEU), %",
                title=f"Middle Corridor share in {year}\n(each point: a design point, mean of its replicates)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    runs = int(table.loc[table.panel == "middle_share_by_year", "runs"].max())
    fig.suptitle(f"Demo sweep: {runs} runs per scenario (40 Latin-hypercube points x 3 replicates), 2015-2035")
    return fig
