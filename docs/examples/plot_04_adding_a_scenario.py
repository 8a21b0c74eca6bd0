"""
Adding a scenario
=================

A scenario is a YAML file of dated events over a base timeline. Here a new one, written into a config folder of
our own (``config_dir``, searched before the project's ``configs/``): the historical timeline plus a 2024
tightening of Western sanctions on Russia. The same file in ``configs/scenario/`` would make it
``alignment-run scenario=sanctions_2024`` for everybody.
"""

# %%
import tempfile
from pathlib import Path

import alignment
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

mine = Path(tempfile.mkdtemp())
(mine / "scenario").mkdir()
(mine / "scenario" / "sanctions_2024.yaml").write_text("""\
# @package scenario
defaults:
  - historical       # every event of the historical timeline, then ours
  - _self_
name: sanctions_2024
description: "historical plus tighter Western sanctions on Russia from 2024-06 (an illustration, not a forecast)"
layers:
  sanctions_2024:
    - {id: sanctions_2024, date: "2024-06", kind: sanctions, target: RUS, by: [EU, USA, GBR], intensity: 1.0,
       note: "sanctions tightened (illustrative)", source: "assumption"}
""")

# %%
# Five seeds of each, 2015-2028: the weights on Russia, means over the five states.
frames = []
for scenario in ("historical", "sanctions_2024"):
    for seed in range(5):
        r = alignment.run(scenario=scenario, seed=seed, horizon={"end": "2028-12", "drop_later_events": True}, config_dir=mine)
        w = r.timeseries.query("indicator == 'alignment_weight' and partner == 'RUS'")
        frames.append(w.groupby("year", as_index=False)["value"].mean().assign(scenario=scenario, seed=seed))
df = pd.concat(frames)
fig, ax = plt.subplots(figsize=(7, 3.5))
sns.lineplot(data=df, x="year", y="value", hue="scenario", errorbar=("pi", 90), ax=ax)
ax.set(ylabel="mean weight on Russia (share)", title="A scenario of our own against the historical timeline (5 seeds, 90 % band)")
fig.tight_layout()

# %%
# A bad event is refused before anything runs, with the key, the value and what is allowed.
(mine / "scenario" / "broken.yaml").write_text(
    "# @package scenario\nname: broken\nevents:\n  - {date: '2024-06', kind: sanctionz, target: RUS}\n")
try:
    alignment.run(scenario="broken", config_dir=mine)
except alignment.ConfigError as err:
    print(err)
