"""A sweep dataset's identity: the design a folder holds, and whether a configuration may add runs to it.

Every run of a sweep depends on what the runs share (the run config, its scenario's timeline, the summaries
kept, ``sweep.seed`` from which the replicates' seeds come) and on its place in the design (the varied
parameters with their ranges or values, the sampler with its size and seed, the scenarios, the replicates).
The manifest keeps a record of each design a folder has held, in order (:func:`design_record`). A
configuration meets the folder's last design in one of five ways (:func:`decide`):

    new      the folder holds no dataset yet.
    same     the same runs: a rerun computes what is missing.
    within   every run of the configuration is a run of the folder's design (a smaller Sobol sample, fewer
             replicates, fewer grid values): its runs are read (and, if missing, computed) and the folder's
             design stays as it is.
    extends  every run of the folder's design is a run of the configuration, which adds more: more replicates,
             more grid or list values, a larger Sobol sample whose first points are the old ones, another
             scenario. Allowed with ``sweep.extend=true`` and then recorded as the folder's next design, so
             that a dataset grows on purpose, never by accident.
    refused  anything else (another Latin hypercube, a varied parameter swapped, another range, seed,
             timeline, summaries or run config): its runs would be mixed with the folder's.

Runs are compared by their ids (scenario, parameter values, replicate: alignment/sweeps/plan.py), so the rule
is the same for every sampler: a design extends another when it holds all of its points and replicates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from alignment.errors import ConfigError

# the design settings each sampler uses (alignment/sweeps/design.py); the others do not change its points
SAMPLER_SETTINGS = {"grid": ("levels",), "list": (), "latin": ("n",), "sobol": ("n", "second_order"), "morris": ("n", "levels"),
                    "posterior": ("n",)}
# what every run shares: a change here changes finished runs, so no design with it extends the folder's
SHARED = ("run_config", "timelines", "sweep.seed", "sweep.summaries")


def digest(obj) -> str:
    """A stable SHA-256 of a JSON-able object (sorted keys), as 16 hex digits."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def points_digest(point_ids) -> str:
    """The SHA-256 of a design's point ids in design order: what a folder's design.parquet must match."""
    return hashlib.sha256("\n".join(point_ids).encode()).hexdigest()


def design_record(settings: dict, point_ids: list, replicates: int) -> dict:
    """A manifest's record of one design: its settings (:func:`settings`), size, points digest and when it was made
    (the manifest adds who recorded it)."""
    return {"settings": settings, "points": len(point_ids), "runs": len(point_ids) * int(replicates),
            "points_sha256": points_digest(point_ids), "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def settings(sweep, parameters: dict, timelines: dict, run_config: dict, years: list) -> dict:
    """The settings that make a design: ``sweep`` is the composed ``sweep`` node, ``parameters`` its flattened
    parameters, ``timelines`` {scenario: its events and overrides}, ``run_config`` the shared run config (without
    the swept keys), ``years`` the calendar years kept, sorted (``null`` spelled out as the horizon's years)."""
    design = {"sampler": str(sweep.design.sampler)}
    for name in SAMPLER_SETTINGS.get(design["sampler"], ()):
        design[name] = sweep.design[name]
    if design["sampler"] == "posterior":  # the draws are the file's: its content, not its path, makes the design
        from alignment.sweeps.design import file_digest

        design["posterior_sha256"] = file_digest(sweep.design.posterior)
    return {
        "sweep.scenarios": [str(s) for s in sweep.scenarios], "sweep.parameters": parameters, "sweep.design": design,
        "sweep.replicates": int(sweep.replicates), "sweep.seed": int(sweep.seed),
        "sweep.summaries": {"indicators": [str(i) for i in sweep.summaries.indicators], "years": [int(y) for y in years]},
        "timelines": {name: digest(t) for name, t in timelines.items()}, "run_config": digest(run_config),
    }


@dataclass
class Decision:
    kind: str  # new | same | within | extends | refused | unknown (design.parquet lost: a change cannot be told apart)
    changes: list = field(default_factory=list)  # what differs from the folder's last design, one phrase each
    kept: int = 0  # runs of the folder's design that the configuration keeps
    added: int = 0  # runs the configuration adds to the folder's design
    shared: bool = False  # refused because what every run shares differs (run config, timeline, seed, summaries)

    @property
    def records(self) -> bool:
        """Whether the configuration's design becomes the folder's next record."""
        return self.kind in ("new", "extends") or (self.kind == "same" and bool(self.changes))


_FIRST = ("sampler", "low", "high", "log", "values")  # the order a reader expects, whatever order a JSON file kept


def _show(value) -> str:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: _FIRST.index(k) if k in _FIRST else len(_FIRST))
        return "{" + ", ".join(f"{k}: {_show(value[k])}" for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _leaves(node, prefix: str = "") -> dict:
    if isinstance(node, dict) and node:
        out = {}
        for k, v in node.items():
            out.update(_leaves(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: node}


def config_changes(old: dict | None, new: dict, limit: int = 3) -> list[str]:
    """'model.noise_scale: 0.03 -> 0.05' for each leaf of the run config that differs (at most ``limit``, then a count)."""
    if old is None:
        return ["the run config (horizon, world, actors, corridors, model)"]
    a, b = _leaves(old), _leaves(new)
    keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k, "<unset>") != b.get(k, "<unset>")]
    out = [f"{k}: {_show(a.get(k, '<unset>'))} -> {_show(b.get(k, '<unset>'))}" for k in keys[:limit]]
    return out + ([f"{len(keys) - limit} more run-config keys"] if len(keys) > limit else [])


def changes(old: dict, new: dict, old_config: dict | None = None, new_config: dict | None = None) -> list[str]:
    """What differs between two designs' settings, one phrase each, in the words of the config's keys."""
    out = []
    if old["run_config"] != new["run_config"]:
        out += config_changes(old_config, new_config or {})
    for key in ("sweep.scenarios",):
        gone = [s for s in old[key] if s not in new[key]]
        added = [s for s in new[key] if s not in old[key]]
        out += [f"{key}: {' '.join(['-' + s for s in gone] + ['+' + s for s in added])}"] if gone or added else []
        if not gone and not added and old[key] != new[key]:
            out.append(f"{key}: order {', '.join(old[key])} -> {', '.join(new[key])}")
    for name, h in old["timelines"].items():
        if name in new["timelines"] and new["timelines"][name] != h:
            out.append(f"scenario {name}: its events or overrides (configs/scenario/{name}.yaml)")
    a, b = old["sweep.parameters"], new["sweep.parameters"]
    for key in dict.fromkeys([*a, *b]):
        where = f"sweep.parameters.{key}"
        if key not in b:
            out.append(f"{where}: removed")
        elif key not in a:
            out.append(f"{where}: added {_show(b[key])}")
        elif a[key] != b[key]:
            out.append(f"{where}: {_show(a[key])} -> {_show(b[key])}")
    if list(a) != list(b) and set(a) == set(b):
        out.append(f"sweep.parameters: order {', '.join(a)} -> {', '.join(b)}")
    for key in ("sweep.design", "sweep.summaries"):
        for leaf in sorted(dict.fromkeys([*old[key], *new[key]]), key=lambda k: _FIRST.index(k) if k in _FIRST else len(_FIRST)):
            x, y = old[key].get(leaf, "<unset>"), new[key].get(leaf, "<unset>")
            if x != y:
                out.append(f"{key}.{leaf}: {_show(x)} -> {_show(y)}")
    for key in ("sweep.replicates", "sweep.seed"):
        if old[key] != new[key]:
            out.append(f"{key}: {old[key]} -> {new[key]}")
    return out


def decide(old: dict | None, old_points, new: dict, new_points: list, old_config: dict | None = None,
           new_config: dict | None = None) -> Decision:
    """How a configuration's design (record ``new``, point ids ``new_points``) meets a folder's last design
    (record ``old`` or None for an empty folder; ``old_points`` its point ids, or None if design.parquet is lost:
    enough to tell ``same`` from a change by the points digest, not to tell an extension)."""
    if old is None:
        return Decision("new", added=new["runs"])
    what = changes(old["settings"], new["settings"], old_config, new_config)
    shared = [k for k in SHARED if old["settings"][k] != new["settings"][k] and not (
        k == "timelines" and all(new["settings"][k].get(s, h) == h for s, h in old["settings"][k].items()))]
    if shared:
        return Decision("refused", what, shared=True)
    r_old, r_new = old["settings"]["sweep.replicates"], new["settings"]["sweep.replicates"]
    if old["points_sha256"] == new["points_sha256"] and r_old == r_new:
        return Decision("same", what, kept=old["runs"])
    if old_points is None:
        return Decision("unknown", what)
    a, b = set(old_points), set(new_points)
    if a == b and r_old == r_new:  # the same runs in another order (scenarios or values listed anew): numbered anew
        return Decision("same", what or ["the order of the design's points"], kept=old["runs"])
    if a <= b and r_old <= r_new:
        return Decision("extends", what, kept=old["runs"], added=new["runs"] - old["runs"])
    if b <= a and r_new <= r_old:
        return Decision("within", what, kept=new["runs"])
    return Decision("refused", what)


def refusal(decision: Decision, root, name: str, extend_hint: str = "rerun with sweep.extend=true to extend that dataset") -> ConfigError:
    """The one-line error for a design the folder at ``root`` cannot take (or, without the extend flag, may not yet)."""
    what = "; ".join(decision.changes) or "its design"
    if decision.kind == "extends":
        return ConfigError("sweep.name", name, f"{root} holds a smaller design ({what}): the new one keeps its {decision.kept:,} "
                                               f"runs and adds {decision.added:,}; {extend_hint}, or choose another sweep.name")
    design = any(c.startswith(("sweep.parameters", "sweep.design", "sweep.replicates", "sweep.scenarios")) for c in decision.changes)
    kind = "made with another configuration" if decision.shared and not design else "of another design"
    return ConfigError("sweep.name", name, f"{root} holds a sweep {kind} ({what}); their runs are not mixed: "
                                           "choose another sweep.name, or remove that folder")
