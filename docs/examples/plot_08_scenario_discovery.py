"""
Scenario discovery
==================

Which parameter boxes lead to an outcome of interest? PRIM (as EMA Workbench implements it) over an EMA experiment
of the model: here, the runs in which the Middle Corridor carries more than its median volume in 2025.
"""

# %%
import alignment
import matplotlib.pyplot as plt
from ema_workbench import perform_experiments
from ema_workbench.analysis import prim

model = alignment.ema.model(
    outcomes=["corridor_volume_mt:MIDDLE@2025"],
    uncertainties={"logit_scale_usd": (400.0, 2500.0), "max_capacity_growth_share": (0.02, 0.2),
                   "threat_urgency": (0.0, 8.0)},
)
experiments, outcomes = perform_experiments(model, scenarios=40)
volume = outcomes["corridor_volume_mt_MIDDLE_2025"]
print(f"Middle Corridor 2025: {volume.min():.2f}-{volume.max():.2f} million tonnes over 40 runs")

# %%
# PRIM looks for a box of the parameters in which high volumes concentrate.
x = experiments[["logit_scale_usd", "max_capacity_growth_share", "threat_urgency"]]
y = volume > float(sorted(volume)[len(volume) // 2])
box = prim.Prim(x, y, threshold=0.8).find_box()
print(box.inspect(style="table") if hasattr(box, "inspect") else box)

# %%
# The trade-off between the box's coverage and its density along the peeling trajectory.
box.show_tradeoff()
plt.title("PRIM: coverage against density (Middle Corridor above its median volume)")
plt.tight_layout()
