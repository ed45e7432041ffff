"""Model names for the CLI and configs, mapped lazily to their classes.

The table is a constant: importing graphcl does not import every model, and registering a
model is one line here. Each class exposes a ``Config`` dataclass (its hyperparameters) and
a ``task`` string ("recommendation", "clustering", "hetero").
"""
from __future__ import annotations

import importlib
from typing import Dict, List

from graphcl.errors import ConfigError

MODELS: Dict[str, str] = {
    "pop": "graphcl.models.pop:MostPop",
    "lightgcn": "graphcl.models.lightgcn:LightGCN",
    "mf": "graphcl.models.lightgcn:BPRMF",
    "gcl": "graphcl.models.gcl:GCL",
    "sgl": "graphcl.models.sgl:SGL",
    "simgcl": "graphcl.models.simgcl:SimGCL",
    "xsimgcl": "graphcl.models.xsimgcl:XSimGCL",
    "lightgcl": "graphcl.models.lightgcl:LightGCL",
}


def available_models(task: str | None = None) -> List[str]:
    names = sorted(MODELS)
    if task is None:
        return names
    return [n for n in names if getattr(get_model(n), "task", None) == task]


def get_model(name: str):
    """The model class registered as ``name``."""
    key = name.lower()
    if key not in MODELS:
        raise ConfigError(f"unknown model {name!r} (available: {', '.join(sorted(MODELS))})")
    module, cls = MODELS[key].split(":")
    return getattr(importlib.import_module(module), cls)
