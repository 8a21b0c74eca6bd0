"""
A first sweep and its figure
============================

Many runs of the batched engine: two scenarios, a Latin hypercube over one parameter, three replicates each. The
sweep is resumable (a second call finds the folder finished and runs nothing) and returns its tidy dataset.
"""

# %%
import tempfile

import alignment
import seaborn as sns

spec = {
    "name": "first",
    "scenarios": ["historical", "no_war_2022"],
    "parameters": {"model": {"threat_urgency": {"low": 0.0, "high": 8.0}}},
    "design": {"sampler": "latin", "n": 4},
    "replicates": 3,
    "summaries": {"indicators": ["alignment_weight"], "years": None},
}
results = tempfile.mkdtemp()
df = alignment.sweep(spec, results_dir=results, progress=False,
                     overrides=["horizon.end=2025-12", "horizon.drop_later_events=true"])
print(df.groupby("scenario")["run_id"].nunique())

# %%
# Each state's weight on Russia, the band over design points and replicates (the 90 % interval of the runs).
rus = df.query("partner == 'RUS'")
g = sns.relplot(data=rus, x="year", y="value", hue="scenario", col="entity", kind="line", errorbar=("pi", 90),
                height=2.6, aspect=0.8)
g.set_axis_labels("year", "weight on Russia (share)")
g.figure.suptitle("With and without the 2022 war: 4 design points x 3 replicates, 90 % band", y=1.03)

# %%
# The same call again: the folder is finished, nothing runs.
again = alignment.sweep(spec, results_dir=results, progress=False,
                        overrides=["horizon.end=2025-12", "horizon.drop_later_events=true"])
assert again.equals(df)
