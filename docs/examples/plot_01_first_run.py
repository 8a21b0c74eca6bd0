"""
A first run
===========

One run of the model, 2015 to 2030, through the Python API, and the weights Kazakhstan puts on the external
powers month by month. ``alignment.run`` is ``alignment-run`` without the files: the same config, the same checks,
the same tables.
"""

# %%
# Run the historical timeline (the dated events of 2015-2025, then none) with seed 0.
import alignment
import matplotlib.pyplot as plt
import seaborn as sns

r = alignment.run(scenario="historical", seed=0, horizon={"end": "2030-12", "drop_later_events": True})
print(r)

# %%
# The timeseries is tidy: one row per month, indicator, entity and partner. An alignment weight is the share of
# a state's alignment it puts on a power (each state's weights sum to 1 across the powers).
w = r.timeseries.query("indicator == 'alignment_weight' and entity == 'KAZ'")
print(w.groupby("partner")["value"].agg(["min", "max"]).round(3))

fig, ax = plt.subplots(figsize=(8, 4))
sns.lineplot(data=w, x="date", y="value", hue="partner", ax=ax)
ax.axvline(w["date"].iloc[0].replace(year=2022, month=2), color="grey", ls=":", lw=1)
ax.set(xlabel="month", ylabel="alignment weight (share)", title="Kazakhstan's weights on the powers, seed 0")
ax.legend(title="power", ncols=4, fontsize=8)
fig.tight_layout()
