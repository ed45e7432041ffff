"""Task adapters: how a table cell of a given task is configured, checked and run.

A cell names its task ("recommendation", "clustering", "hetero"). The adapter writes the
protocol and seed into the cell's config, says whether the cell can run here (is the
model registered?), and calls the task's Python entry point through a small function
``run_<task>(config, out_dir, resume) -> dict`` whose result holds at least ``test``
(metric -> value) and ``best_epoch``, ``epochs_run``, ``stopped``, ``seconds_per_epoch``;
the per-epoch log is the Trainer's ``log.jsonl`` in ``out_dir``.
"""
from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from graphcl.config import from_dict, merge
from graphcl.errors import ConfigError

_ENV = re.compile(r"\$\{(\w+)\}")


def expand_env(value: Any) -> Any:
    """Replace ``${VAR}`` in every string of ``value`` (nested dicts/lists) by its environment value."""
    if isinstance(value, dict):
        return {k: expand_env(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v) for v in value]
    if isinstance(value, str):
        def sub(m: re.Match) -> str:
            if m.group(1) not in os.environ:
                raise ConfigError(f"{value!r}: environment variable {m.group(1)} is not set")
            return os.environ[m.group(1)]
        return _ENV.sub(sub, value)
    return value


@dataclass(frozen=True)
class Task:
    """Where a task's entry point lives and how its config takes a protocol and a seed.

    ``entry``: ``"module:attr"`` of ``run(config: dict, out_dir, resume) -> dict`` (the
    result's ``test`` maps metric -> value). ``models``: ``"module:attr"`` of the task's
    model names. ``seed_path``/``protocol_path``: config keys set per run
    (``protocol_path`` None: the task has one protocol, honest). ``volatile``: keys a
    resume may change without invalidating the checkpoints (more epochs, other thread
    count); ``epochs_path`` is the one among them that extends a finished run.
    """

    name: str
    entry: str
    models: str
    seed_path: Tuple[str, ...] = ("train", "seed")
    protocol_path: Optional[Tuple[str, ...]] = None
    volatile: Tuple[Tuple[str, ...], ...] = (("train", "epochs"), ("train", "threads"), ("train", "progress"),
                                             ("train", "max_minutes"))
    epochs_path: Tuple[str, ...] = ("train", "epochs")

    def available(self) -> Optional[str]:
        """Why this task cannot run in this build, or None."""
        for ref in (self.entry, self.models):
            module = ref.split(":")[0]
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name and module.startswith(exc.name):
                    return f"task {self.name!r} is not in this build ({module} missing)"
                raise
        return None

    def unavailable(self, config: Dict[str, Any]) -> Optional[str]:
        """Why a cell with ``config`` cannot run here (task or model missing), or None."""
        reason = self.available()
        if reason:
            return reason
        model = config.get("model")
        if model is not None and str(model).lower() not in _load(self.models):
            return f"model {model!r} is not registered in this build"
        return None

    def prepare(self, config: Dict[str, Any], protocol: str, seed: int) -> Dict[str, Any]:
        """``config`` with the run's seed (and protocol, when the task has protocols)."""
        update: Dict[str, Any] = _nested(self.seed_path, seed)
        if self.protocol_path is not None:
            update = merge(update, _nested(self.protocol_path, protocol))
        elif protocol != "honest":
            raise ConfigError(f"task {self.name!r} has only the honest protocol, cell asks for {protocol!r}")
        return merge(config, update)

    def run(self, config: Dict[str, Any], out_dir: Path, resume: bool) -> Dict[str, Any]:
        return _load(self.entry)(expand_env(config), out_dir, resume)


def _load(ref: str):
    module, attr = ref.split(":")
    return getattr(importlib.import_module(module), attr)


def run_recommendation(config: Dict[str, Any], out_dir: Path, resume: bool) -> Dict[str, Any]:
    """:func:`graphcl.tasks.recommend.run` on a :class:`RecConfig` mapping (resumable)."""
    from graphcl.tasks.recommend import RecConfig, run

    cfg = from_dict(RecConfig, config, "recommendation cell config")
    cfg.model_config()
    return run(cfg, out_dir, resume=resume)


def run_clustering(config: Dict[str, Any], out_dir: Path, resume: bool) -> Dict[str, Any]:
    """One seed of :func:`graphcl.tasks.cluster.cluster_once`; scores in % as the papers print them.

    ``config``: a ClusterConfig mapping plus ``dataset`` and ``seed``. Clustering runs are
    short and keep the last epoch's weights, so a killed run restarts (``resume`` unused).
    """
    from graphcl.tasks.cluster import ClusterConfig, cluster_once, load_node_dataset

    rest = dict(config)
    dataset, seed = rest.pop("dataset", None), rest.pop("seed", None)
    if dataset is None or seed is None:
        raise ConfigError("clustering cell config needs 'dataset' and 'seed'")
    cfg = from_dict(ClusterConfig, rest, "clustering cell config")
    res = cluster_once(load_node_dataset(str(dataset)), cfg, int(seed), device=cfg.train.device, out_dir=out_dir)
    res.pop("pred", None)
    test = {k: 100.0 * float(res[k]) for k in ("acc", "nmi", "ari", "f1") if k in res}
    return {"test": test, "best_epoch": int(res["epochs"]) - 1, "epochs_run": int(res["epochs"]),
            "stopped": res["stopped"], "seconds_per_epoch": res["seconds_per_epoch"],
            "extra": {k: v for k, v in res.items() if k not in test and isinstance(v, (int, float))}}


def run_hetero(config: Dict[str, Any], out_dir: Path, resume: bool) -> Dict[str, Any]:
    """``graphcl hetero``'s run; test metrics ``macro_f1@20``, ..., ``auc@60`` (probe, %) and ``nmi``/``ari``.

    ``extra`` keeps the probe's validation Micro-F1 and its preprocessing choice per split.
    ``resume`` continues the Trainer from ``out_dir/last.pt``.
    """
    from graphcl.cli.hetero import HeteroRunConfig, run

    cfg = from_dict(HeteroRunConfig, config, "hetero cell config")
    cfg.model_config()
    res = run(cfg, out_dir, resume=resume)
    test = {f"{m}@{size}": float(scores[m]) for size, scores in res["classification"].items()
            for m in ("macro_f1", "micro_f1", "auc")}
    test.update({k: float(res["clustering"][k]) for k in ("nmi", "ari")})
    out = {k: res[k] for k in ("best_epoch", "epochs_run", "stopped", "seconds_per_epoch")}
    out["test"] = test
    out["probe_std"] = {f"{m}@{size}": float(scores[f"{m}_std"]) for size, scores in res["classification"].items()
                        for m in ("macro_f1", "micro_f1", "auc")}
    out["extra"] = {f"{m}@{size}": float(scores[m]) for size, scores in res["classification"].items()
                    for m in ("val_micro_f1", "standardized") if m in scores}
    return out


def _nested(path: Tuple[str, ...], value: Any) -> Dict[str, Any]:
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    return out


TASKS: Dict[str, Task] = {
    "recommendation": Task("recommendation", "graphcl.reproduce.tasks:run_recommendation",
                           "graphcl.models.registry:MODELS", protocol_path=("protocol",)),
    "clustering": Task("clustering", "graphcl.reproduce.tasks:run_clustering", "graphcl.tasks.cluster:MODELS",
                       seed_path=("seed",)),
    "hetero": Task("hetero", "graphcl.reproduce.tasks:run_hetero", "graphcl.cli.hetero:MODELS",
                   volatile=(("train", "epochs"), ("train", "threads"), ("train", "progress"),
                             ("train", "max_minutes"), ("threads",))),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r} (known: {', '.join(sorted(TASKS))})")
    return TASKS[name]
