"""
Reading the outputs
===================

What a run gives: the timeseries (indicators by month or year), the interaction ledger (who met whom, how), the
composed config, and the same as an xarray Dataset. ``save`` writes the folder ``alignment-run`` writes.
"""

# %%
import tempfile

import alignment
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

r = alignment.run(seed=1, horizon={"end": "2021-12", "drop_later_events": True})
print(r.timeseries["indicator"].value_counts().sort_index())

# %%
# Units travel with the rows.
print(r.timeseries.groupby("indicator", observed=True)["unit"].first())

# %%
# The interaction ledger: one row per telegram, call, visit, meeting or summit, with its level and participants.
print(r.interactions.head())
per_year = r.interactions.assign(year=pd.to_datetime(r.interactions["date"]).dt.year) \
    .groupby(["year", "intraregional"]).size().rename("interactions").reset_index()
fig, ax = plt.subplots(figsize=(7, 3.5))
sns.barplot(data=per_year, x="year", y="interactions", hue="intraregional", ax=ax)
ax.set(ylabel="interactions per year", title="Interactions by year: among the five (True) and with powers (False)")
fig.tight_layout()

# %%
# The same timeseries as an xarray Dataset, one variable per indicator.
ds = r.to_xarray()
print(ds["alignment_weight"].sel(entity="UZB").mean("date").round(3).to_series())

# %%
# And the run folder of ``alignment-run``: parquet tables, the resolved config, run.json last.
folder = r.save(tempfile.mkdtemp())
print(sorted(p.name for p in folder.iterdir()))
