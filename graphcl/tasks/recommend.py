"""Train and evaluate a recommender: the job behind ``graphcl train``.

Protocols:

* ``honest`` (default): early stopping and model selection on the validation split (given,
  or carved from train with ``data.valid_ratio``); the test split is scored once, with the
  best checkpoint.
* ``paper``: the practice of LightGCN's and SELFRec's code — the best epoch is picked on the
  *test* split. Results are labelled ``protocol: paper`` and only shown beside honest ones.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Literal, Optional, Tuple

import torch
import yaml

from graphcl.errors import DataError
from graphcl.config import ConfigError, check_fraction, from_dict, to_dict
from graphcl.data.interaction import InteractionData
from graphcl.data.registry import load_dataset
from graphcl.data.sampler import BPRSampler
from graphcl.eval.ranking import METRICS, RankingEvaluator
from graphcl.models.registry import get_model
from graphcl.train.checkpoint import load_checkpoint
from graphcl.train.trainer import FitResult, TrainConfig, Trainer
from graphcl.utils import resolve_device, seed_everything, write_json_atomic


@dataclass
class DataConfig:
    """How the dataset is found and split."""

    data_dir: Optional[str] = None  # overrides GRAPHCL_DATA / cache resolution
    format: Optional[str] = None  # force a format for a path dataset
    valid_ratio: float = 0.1  # share of each user's train items held out for validation
    split: Tuple[float, ...] = (0.8, 0.1, 0.1)  # RecBole RS ratios for single-file datasets
    order: Literal["RO", "TO"] = "RO"
    seed: int = 2020
    # users with held-out interactions but no training ones cannot be ranked: fail, or drop them
    # from the held-out splits (reported in metrics.json as data.dropped_cold_users)
    cold_users: Literal["error", "drop"] = "error"

    def __post_init__(self) -> None:
        check_fraction("data.valid_ratio", self.valid_ratio)
        if len(self.split) not in (2, 3) or any(r < 0 for r in self.split) or abs(sum(self.split) - 1) > 1e-6:
            raise ConfigError(f"data.split must be 2 or 3 non-negative ratios summing to 1, got {list(self.split)}")


@dataclass
class EvalConfig:
    ks: Tuple[int, ...] = (10, 20)
    metrics: Tuple[str, ...] = METRICS
    chunk_size: int = 1024

    def __post_init__(self) -> None:
        bad = [m for m in self.metrics if m not in METRICS]
        if bad:
            raise ConfigError(f"eval.metrics: unknown metric {bad[0]!r} (choose from {', '.join(METRICS)})")
        if not self.ks or min(self.ks) < 1:
            raise ConfigError(f"eval.ks must be positive integers, got {list(self.ks)}")


@dataclass
class RecConfig:
    """Everything a recommendation run needs; ``params`` are checked against the model's Config."""

    model: str = "lightgcn"
    dataset: str = "ml-100k"
    protocol: Literal["honest", "paper"] = "honest"
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    params: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        computed = {f"{m}@{k}" for m in self.eval.metrics for k in self.eval.ks}
        if self.train.metric not in computed:
            raise ConfigError(f"train.metric {self.train.metric!r} is not among the evaluated metrics "
                              f"({', '.join(sorted(computed))}); adjust eval.ks / eval.metrics")

    def model_config(self):
        cls = get_model(self.model)
        return from_dict(cls.Config, self.params, "params")


def load_interactions(cfg: RecConfig) -> InteractionData:
    """Resolve ``cfg.dataset`` (registered name or path) and apply the protocol's splits."""
    data = load_dataset(cfg.dataset, data_dir=cfg.data.data_dir, format=cfg.data.format,
                        split=cfg.data.split, seed=cfg.data.seed, order=cfg.data.order)
    if not isinstance(data, InteractionData):
        raise ConfigError(f"dataset {cfg.dataset!r} is not a recommendation dataset; use `graphcl cluster` or `graphcl hetero`")
    return prepare_interactions(data, cfg)


def prepare_interactions(data: InteractionData, cfg: RecConfig) -> InteractionData:
    """Apply ``cfg``'s protocol to loaded ``data``: a validation split carved from train when the
    honest protocol needs one, cold users handled, and every evaluated split non-empty."""
    if data.test is None or data.test.nnz == 0:
        raise ConfigError(f"dataset {cfg.dataset!r} has no test interactions (data.split={list(cfg.data.split)})")
    if cfg.protocol == "honest" and data.valid is None:
        data = data.with_valid_split(cfg.data.valid_ratio, cfg.data.seed)
    if cfg.protocol == "honest" and (data.valid is None or data.valid.nnz == 0):
        raise ConfigError(f"dataset {cfg.dataset!r} has no validation interactions for the honest protocol "
                          f"(data.split={list(cfg.data.split)}, data.valid_ratio={cfg.data.valid_ratio})")
    if cfg.data.cold_users == "drop":
        data = data.drop_cold_users()
    try:
        data.check_test_users_have_train()
    except DataError as exc:
        raise DataError(exc.path, exc.problem + "; use --set data.cold_users=drop to evaluate without them") from None
    return data


def build_model(cfg: RecConfig, data: InteractionData, device: torch.device):
    cls = get_model(cfg.model)
    if getattr(cls, "task", None) != "recommendation":
        raise ConfigError(f"model {cfg.model!r} is not a recommender")
    return cls(data, cfg.model_config(), device=device)


def evaluators(data: InteractionData, cfg: RecConfig, device) -> Tuple[RankingEvaluator, RankingEvaluator]:
    """(selection, test) evaluators for the protocol."""
    kw = dict(ks=cfg.eval.ks, metrics=cfg.eval.metrics, chunk_size=cfg.eval.chunk_size, device=device)
    seen = [data.train] + ([data.valid] if data.valid is not None else [])
    test = RankingEvaluator(data.test, exclude=seen, **kw)
    if cfg.protocol == "paper":
        return test, test
    return RankingEvaluator(data.valid, exclude=[data.train], **kw), test


def run(cfg: RecConfig, out_dir: Optional[os.PathLike] = None, resume: bool = False,
        data: Optional[InteractionData] = None) -> Dict[str, Any]:
    """Train ``cfg.model`` on ``cfg.dataset``; returns (and writes) ``metrics.json`` content."""
    seed_everything(cfg.train.seed)
    device = resolve_device(cfg.train.device)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    data = load_interactions(cfg) if data is None else prepare_interactions(data, cfg)
    model = build_model(cfg, data, device)
    select_eval, test_eval = evaluators(data, cfg, device)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "config.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(to_dict(cfg), fh, sort_keys=False)
    fit: Optional[FitResult] = None
    if getattr(model, "trainable", True):
        sampler = BPRSampler(data.train, cfg.train.batch_size, seed=cfg.train.seed, device=device)
        trainer = Trainer(model, cfg.train, batches=sampler.epoch,
                          validate=lambda: select_eval.evaluate(model.score), out_dir=out)
        fit = trainer.fit(resume=resume)
    model.eval()
    t0 = time.perf_counter()
    test_metrics = test_eval.evaluate(model.score)
    test_seconds = time.perf_counter() - t0
    valid_metrics = fit.best_metrics if fit else select_eval.evaluate(model.score)
    result = {
        "model": cfg.model,
        "dataset": cfg.dataset,
        "protocol": cfg.protocol,
        "valid": valid_metrics if cfg.protocol == "honest" else {},
        "test": test_metrics,
        "best_epoch": fit.best_epoch if fit else None,
        "epochs_run": fit.epochs_run if fit else 0,
        "stopped": fit.stopped if fit else None,
        "seconds_per_epoch": fit.seconds_per_epoch if fit else 0.0,
        "seconds_per_eval": fit.seconds_per_eval if fit else test_seconds,
        "test_eval_seconds": test_seconds,
        "data": data.stats(),
    }
    if out is not None:
        write_json_atomic(result, out / "metrics.json")
    return result


def evaluate_checkpoint(run_dir: os.PathLike, split: str = "test") -> Dict[str, float]:
    """Re-score a saved run (its ``config.yaml`` and ``best.pt``) on ``split``."""
    run_dir = Path(run_dir)
    if run_dir.is_file():
        run_dir = run_dir.parent
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        raise ConfigError(f"{cfg_path}: not found (expected a run folder written by `graphcl train --out`)")
    with open(cfg_path, encoding="utf-8") as fh:
        cfg = from_dict(RecConfig, yaml.safe_load(fh), str(cfg_path))
    device = resolve_device(cfg.train.device)
    data = load_interactions(cfg)
    model = build_model(cfg, data, device)
    ckpt = load_checkpoint(run_dir / "best.pt", map_location=device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    select_eval, test_eval = evaluators(data, cfg, device)
    return (test_eval if split == "test" else select_eval).evaluate(model.score)
