"""
Calibrating
===========

``alignment-calibrate`` fits the searched parameters (configs/search/) to the 2015-2021 record (configs/targets/)
with an Optuna study in SQLite storage. Every command is also a function taking the command line's arguments, so
a script can run a (here very short) study and read it back with Optuna itself. The real study runs 1,500 trials
(``make calibrate``); six are enough to see the pieces.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import optuna
import pandas as pd
import seaborn as sns
from alignment.fit.calibrate import main as calibrate

out = Path(tempfile.mkdtemp())
storage = f"sqlite:///{out / 'study.db'}"
calibrate(["study.n_trials=6", "study.replicates=2", "study.batch_trials=3", "study.progress=false",
           f"study.storage={storage}", f"study.output_dir={out}", f"hydra.run.dir={out / 'hydra'}"])
print(sorted(p.name for p in out.iterdir()))

# %%
# The study is Optuna's own: load it from its storage, resume it, or analyse it with Optuna's tools.
study = optuna.load_study(study_name="alignment", storage=storage)
print(f"best loss {study.best_value:.3f} after {len(study.trials)} trials; targets met by the best: "
      f"{study.best_trial.user_attrs['targets_met']} of {study.best_trial.user_attrs['targets']}")

# %%
# trials.csv holds every trial's parameters and loss; the best parameters are written as a model config.
trials = pd.read_csv(out / "trials.csv")
fig, ax = plt.subplots(figsize=(6, 3.5))
sns.scatterplot(data=trials, x="params_temperature", y="value", size="params_dependence_aversion", ax=ax)
ax.set(xlabel="temperature (dimensionless)", ylabel="loss (mean scaled error over targets)",
       title="Six trials of the calibration (2 seeds each)")
fig.tight_layout()
print((out / "model_calibrated.yaml").read_text().splitlines()[:6])
