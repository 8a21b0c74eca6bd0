"""
Exploring with EMA Workbench
============================

``alignment.ema.model`` gives an EMA Workbench model whose experiments are runs of the batched engine, so EMA's
samplers, evaluators and analyses drive this model. Uncertainties are model parameters with ranges (by default
the calibration's search space); an outcome is ``INDICATOR[:ENTITY[:PARTNER]]@YEAR``. With ``replications`` the
model is a ``ReplicatorModel``: replication k runs seed k, and the seed spread is kept.
"""

# %%
import alignment
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from ema_workbench import perform_experiments

model = alignment.ema.model(
    outcomes=["alignment_weight:*:RUS@2024", "alignment_weight:*:CHN@2024", "corridor_volume_mt:MIDDLE@2024"],
    uncertainties={"coercion_weight": (0.0, 4.0), "threat_urgency": (0.0, 8.0), "temperature": (1.0, 4.0)},
    replications=2,
)
experiments, outcomes = perform_experiments(model, scenarios=16)  # Latin hypercube over the three ranges
print(experiments[["coercion_weight", "threat_urgency", "temperature"]].describe().round(2))

# %%
# Each outcome has one value per experiment and replication; the mean over the two seeds per experiment:
rus = outcomes["alignment_weight_all_RUS_2024"].mean(axis=1)
frame = experiments.assign(weight_on_russia_2024=rus,
                           seed_spread=np.ptp(outcomes["alignment_weight_all_RUS_2024"], axis=1))
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharey=True)
for ax, x in zip(axes, ("coercion_weight", "threat_urgency")):
    sns.scatterplot(data=frame, x=x, y="weight_on_russia_2024", hue="temperature", ax=ax)
axes[0].set(ylabel="mean weight on Russia, 2024 (share)")
fig.suptitle("16 experiments x 2 seeds: what moves the weight on Russia after the war")
fig.tight_layout()
print(f"largest seed spread in one experiment: {frame['seed_spread'].max():.4f}")
