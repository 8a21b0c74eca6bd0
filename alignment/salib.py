"""SALib's problem of a sweep, for its samplers and analysers (``SALib.analyze.sobol.analyze(problem, Y)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping


def problem(sweep: str | Mapping = "sensitivity", config_dir: str | Path | None = None) -> dict:
    """The SALib problem of a sweep's ranged parameters: ``{"num_vars", "names", "bounds", "log10"}``.

    The same problem the sweep samples its design from (alignment.sweeps.design.salib_problem): a log range's
    bounds are in log10 units, as sampled (``log10`` says which). ``sweep``: a sweep of configs/sweep/ by name,
    or a mapping as such a file's ``sweep:`` block.

    Raises:
        ConfigError: an unknown sweep, or a parameter spec the sweep would refuse (the command's message).
    """
    import shutil

    from alignment.api import _sweep_overrides, compose
    from alignment.sweeps.design import check_parameters, flatten, salib_problem
    from omegaconf import OmegaConf

    ov, tmp = _sweep_overrides(sweep, config_dir)
    try:
        cfg = compose("sweep", ov, tmp or config_dir)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    params = flatten(OmegaConf.to_container(cfg.sweep.parameters, resolve=True))
    return salib_problem(check_parameters(params, cfg.sweep.design.sampler))
