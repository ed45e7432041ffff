"""One training loop for every graphcl model.

The :class:`Trainer` knows nothing about recommendation, clustering or heterogeneous
graphs. It needs:

* a model (``torch.nn.Module``) with ``loss(batch) -> dict[str, Tensor]`` whose ``"loss"``
  entry is the total to minimise (other entries are logged, e.g. ``bpr``, ``cl``, ``l2``);
  optional hooks ``on_epoch_start(epoch)`` and ``on_epoch_end(epoch)`` (e.g. to regenerate
  augmented graphs or recompute clustering targets);
* ``batches(epoch) -> iterable`` giving that epoch's batches (a full-batch task yields one);
* optionally ``validate() -> dict[str, float]`` for early stopping on ``config.metric``.

It provides epochs, per-epoch validation, early stopping with patience, atomic best/last
checkpoints that load with ``weights_only=True``, resume, a JSON-lines log, tqdm
progress, and a hard stop on a NaN/inf loss that keeps the last good checkpoint.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Literal, Optional

import torch
from tqdm.auto import tqdm

from graphcl.config import check_positive
from graphcl.errors import ConfigError, TrainingDiverged
from graphcl.train.checkpoint import load_checkpoint, save_atomic
from graphcl.utils import resolve_device


@dataclass
class TrainConfig:
    """Optimisation and loop settings shared by every model."""

    epochs: int = 300
    batch_size: int = 2048
    lr: float = 1e-3
    weight_decay: float = 0.0  # Adam weight decay; model-specific L2 terms live in the model
    eval_every: int = 1
    patience: int = 10  # evaluations without improvement before stopping; 0 disables
    # no early stop before this many epochs: models whose first epochs fall before they rise
    # (contrastive terms that outweigh BPR at initialisation) are not stopped at their start
    min_epochs: int = 0
    metric: str = "ndcg@20"
    mode: Literal["max", "min"] = "max"
    seed: int = 2020
    device: str = "cpu"
    threads: Optional[int] = None
    progress: bool = True
    grad_clip: Optional[float] = None
    max_steps_per_epoch: Optional[int] = None  # cut epochs short (smoke tests on big datasets)
    # Wall-clock budget of the run's training, summed over the fit() calls that resumed it (a run
    # continued in a later session keeps counting): no epoch is started that would, at the pace
    # measured so far, end past it. The run then ends as any other (best weights, result), stopped
    # "time_budget", instead of being killed with nothing to show for it; a larger budget on
    # resume continues it.
    max_minutes: Optional[float] = None

    def __post_init__(self) -> None:
        check_positive("train.epochs", self.epochs, allow_zero=True)
        check_positive("train.batch_size", self.batch_size)
        check_positive("train.lr", self.lr)
        check_positive("train.weight_decay", self.weight_decay, allow_zero=True)
        check_positive("train.eval_every", self.eval_every)
        check_positive("train.patience", self.patience, allow_zero=True)
        check_positive("train.min_epochs", self.min_epochs, allow_zero=True)
        if self.threads is not None:
            check_positive("train.threads", self.threads)
        if self.max_minutes is not None:
            check_positive("train.max_minutes", self.max_minutes)
        if self.mode not in ("max", "min"):
            raise ConfigError(f"train.mode must be 'max' or 'min', got {self.mode!r}")


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns."""

    best_epoch: int
    best_metrics: Dict[str, float]
    epochs_run: int
    seconds_per_epoch: float
    seconds_per_eval: float
    stopped: str  # "early_stop", "max_epochs", "time_budget"
    history: List[dict] = field(default_factory=list)
    wall_seconds: float = 0.0  # training wall time of the whole run, every resumed call included


def _same_device(a: torch.device, b: torch.device) -> bool:
    return a.type == b.type and (a.index is None or b.index is None or a.index == b.index)


def _mean(values: List[float]) -> float:
    return sum(values) / max(len(values), 1)


class Trainer:
    """Train ``model`` on ``batches(epoch)`` with validation and checkpoints in ``out_dir``."""

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        batches: Callable[[int], Iterable],
        validate: Optional[Callable[[], Dict[str, float]]] = None,
        out_dir: Optional[os.PathLike] = None,
        optimizer: Optional[torch.optim.Optimizer] = None,
    ) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        built_on = getattr(model, "device_", None)
        if built_on is not None and not _same_device(torch.device(built_on), self.device):
            # .to() moves parameters and buffers, not the graph tensors a model built on its device
            raise ConfigError(f"the model was built on {built_on} but train.device is {self.device}: "
                              f"build it with device={str(self.device)!r}")
        if config.threads:
            torch.set_num_threads(config.threads)
        self.model = model.to(self.device)
        self.batches = batches
        self.validate = validate
        self.out_dir = Path(out_dir) if out_dir is not None else None
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = optimizer or torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
        self._best_state: Optional[dict] = None

    # -- checkpoints -----------------------------------------------------------------
    @property
    def best_path(self) -> Optional[Path]:
        return None if self.out_dir is None else self.out_dir / "best.pt"

    @property
    def last_path(self) -> Optional[Path]:
        return None if self.out_dir is None else self.out_dir / "last.pt"

    def _save_best(self, epoch: int, metrics: Dict[str, float]) -> None:
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self._best_state = state
        if self.best_path is not None:
            save_atomic({"model": state, "epoch": epoch, "metrics": dict(metrics)}, self.best_path)

    def _save_last(self, epoch: int, loop: dict) -> None:
        if self.last_path is None:
            return
        save_atomic(
            {
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "epoch": epoch,
                "loop": loop,
            },
            self.last_path,
        )

    # -- loop ------------------------------------------------------------------------
    def _out_of_time(self, before: float, this_call: float, epochs_this_call: int, epochs_before: int) -> bool:
        """Whether the next epoch would end past ``train.max_minutes``, at this call's pace (the
        run's earlier pace before this call has timed an epoch; a run's first epoch always runs)."""
        if self.config.max_minutes is None:
            return False
        if epochs_this_call:
            pace = this_call / epochs_this_call
        elif epochs_before:
            pace = before / epochs_before
        else:
            return False
        return before + this_call + pace > 60.0 * self.config.max_minutes

    def fit(self, resume: bool = False) -> FitResult:
        cfg = self.config
        sign = 1.0 if cfg.mode == "max" else -1.0
        loop = {"best_value": -math.inf, "best_epoch": -1, "bad": 0, "best_metrics": {}, "history": []}
        start = 0
        if resume and self.last_path is not None and self.last_path.is_file():
            ckpt = load_checkpoint(self.last_path, map_location=self.device)
            self.model.load_state_dict(ckpt["model"])
            self.optimizer.load_state_dict(ckpt["optimizer"])
            loop = ckpt["loop"]
            start = int(ckpt["epoch"]) + 1
            if self.best_path is not None and self.best_path.is_file():
                self._best_state = load_checkpoint(self.best_path, map_location=self.device)["model"]
        log_fh = None
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            log_fh = open(self.out_dir / "log.jsonl", "a" if start else "w", encoding="utf-8")
        stopped = "max_epochs"
        last_epoch = start - 1
        # Checkpoints written before the run's wall time was kept have only their epoch log.
        before = float(loop.get("wall_seconds", sum(h.get("seconds", 0.0) + h.get("eval_seconds", 0.0)
                                                    for h in loop["history"])))
        fit_start = time.perf_counter()
        try:
            for epoch in range(start, cfg.epochs):
                if self._out_of_time(before, time.perf_counter() - fit_start, epoch - start, start):
                    stopped = "time_budget"
                    break
                self.model.train()
                t0 = time.perf_counter()  # the hooks (view regeneration, re-clustering) are training time too
                if hasattr(self.model, "on_epoch_start"):
                    self.model.on_epoch_start(epoch)
                sums: Dict[str, float] = {}
                n = 0
                bar = tqdm(self.batches(epoch), desc=f"epoch {epoch}", leave=False, disable=not cfg.progress)
                for bi, batch in enumerate(bar):
                    terms = self.model.loss(batch)
                    total = terms["loss"]
                    value = float(total.detach())
                    if not math.isfinite(value):
                        where = f"last good checkpoint kept at {self.last_path}" if self.last_path and self.last_path.exists() else "no checkpoint was written yet"
                        detail = ", ".join(f"{k}={float(v.detach()):.4g}" for k, v in terms.items())
                        raise TrainingDiverged(
                            f"loss became {value} at epoch {epoch}, batch {bi} ({detail}); training stopped, {where}"
                        )
                    self.optimizer.zero_grad(set_to_none=True)
                    total.backward()
                    if cfg.grad_clip:
                        torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                    self.optimizer.step()
                    for k, v in terms.items():
                        sums[k] = sums.get(k, 0.0) + float(v.detach())
                    n += 1
                    if cfg.max_steps_per_epoch and n >= cfg.max_steps_per_epoch:
                        break
                    if n % 20 == 0:
                        bar.set_postfix(loss=f"{sums['loss'] / n:.4f}")
                if hasattr(self.model, "on_epoch_end"):
                    self.model.on_epoch_end(epoch)
                record = {"epoch": epoch, "seconds": round(time.perf_counter() - t0, 4)}
                record.update({k: v / max(n, 1) for k, v in sums.items()})
                do_eval = self.validate is not None and ((epoch + 1) % cfg.eval_every == 0 or epoch + 1 == cfg.epochs)
                if do_eval:
                    self.model.eval()
                    t1 = time.perf_counter()
                    with torch.no_grad():
                        metrics = self.validate()
                    record["eval_seconds"] = round(time.perf_counter() - t1, 4)
                    record["valid"] = metrics
                    if cfg.metric not in metrics:
                        raise ConfigError(f"train.metric {cfg.metric!r} is not computed (available: {', '.join(metrics)})")
                    value = sign * metrics[cfg.metric]
                    if value > loop["best_value"]:
                        loop.update(best_value=value, best_epoch=epoch, bad=0, best_metrics=dict(metrics))
                        self._save_best(epoch, metrics)
                    else:
                        loop["bad"] += 1
                elif self.validate is None:
                    # Unsupervised tasks without a validation signal keep the latest weights.
                    loop.update(best_epoch=epoch, best_metrics={})
                    self._save_best(epoch, {})
                loop["history"].append(record)
                loop["wall_seconds"] = before + time.perf_counter() - fit_start
                last_epoch = epoch
                if log_fh is not None:
                    log_fh.write(json.dumps(record) + "\n")
                    log_fh.flush()
                self._save_last(epoch, loop)
                if cfg.progress:
                    shown = {k: round(v, 4) for k, v in record.items() if isinstance(v, float)}
                    if "valid" in record and cfg.metric in record["valid"]:
                        shown[cfg.metric] = round(record["valid"][cfg.metric], 4)
                    tqdm.write(f"epoch {epoch}: {shown}")
                if cfg.patience and loop["bad"] >= cfg.patience and epoch + 1 >= cfg.min_epochs:
                    stopped = "early_stop"
                    break
        finally:
            if log_fh is not None:
                log_fh.close()
        if self._best_state is not None:
            self.model.load_state_dict(self._best_state)
        self.model.eval()
        return FitResult(
            best_epoch=int(loop["best_epoch"]),
            best_metrics=dict(loop["best_metrics"]),
            epochs_run=last_epoch + 1,
            # Over the whole run's log, so a resumed run reports every session's epochs.
            seconds_per_epoch=_mean([h["seconds"] for h in loop["history"]]),
            seconds_per_eval=_mean([h["eval_seconds"] for h in loop["history"] if "eval_seconds" in h]),
            stopped=stopped,
            history=list(loop["history"]),
            wall_seconds=float(loop.get("wall_seconds", before)),
        )
