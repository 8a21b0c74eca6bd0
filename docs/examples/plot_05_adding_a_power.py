"""
Adding a power
==============

The world data knows more powers than a run takes by default (Japan, South Korea, India and the Gulf states are in
its catalogue, each with an entry under ``actors.powers``). Listing one in ``world.powers`` brings it in: its trade
record, its budget and its share of every state's weights.
"""

# %%
import alignment
import matplotlib.pyplot as plt

powers = ["RUS", "CHN", "USA", "EU", "GBR", "TUR", "IRN", "JPN"]
r = alignment.run(seed=0, horizon={"end": "2025-12", "drop_later_events": True}, world={"powers": powers})
w = r.timeseries.query("indicator == 'alignment_weight'")
share = w.groupby(["entity", "partner"], observed=True)["value"].mean().unstack()[powers]
print(share.round(3))

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
share.plot.barh(stacked=True, ax=ax, colormap="tab10", width=0.8)
ax.set(xlabel="mean alignment weight 2015-2025 (share)", ylabel="state", title="Eight powers, Japan among them (seed 0)")
ax.legend(ncols=4, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2))
fig.tight_layout()

# %%
# A power the data does not know is refused, naming the ones it does.
try:
    alignment.run(world={"powers": ["RUS", "CHN", "XXX"]})
except alignment.ConfigError as err:
    print(err)
