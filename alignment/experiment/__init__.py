"""Experiments: the figures of a paper or a lecture, each regenerated from its config by one command.

``alignment-experiment experiment=NAME`` reads ``configs/experiment/NAME.yaml`` (the sweeps it needs and the
indicators it reads from each), reuses those sweeps from ``<results_dir>/sweeps/`` or runs what is missing,
and hands the data to ``experiments/NAME/figure.py``, which makes the table (written as ``NAME.csv``) and
draws the figure from that table (``NAME.png``).
"""
