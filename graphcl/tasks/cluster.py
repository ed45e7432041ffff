"""End-to-end node clustering runs: dataset -> (pretrain) -> train -> cluster -> metrics.

One function per step so that the CLI and the benchmark script share them:

* :func:`load_node_dataset` reads a named benchmark (SDCN acm/dblp/cite, Planetoid
  cora/citeseer) or a user's files;
* :func:`pretrained_autoencoder` trains the feature autoencoder with the shared
  :class:`~graphcl.train.Trainer` (mini-batches for the MLP, full graph for the GCN) and
  caches its weights per (features, graph, settings, seed) under ``cache_dir()``;
* :func:`build_contrast_model` initialises the DEC centroids by k-means on the pretrained
  ``z`` and wraps encoder/decoder into :class:`SCGC` or :class:`PamC`;
* :func:`cluster_once` trains one seed and scores ``argmax q`` (or k-means for GRACE);
* :func:`cluster_runs` repeats it over seeds and aggregates mean/std.

Labels are only used for the final scores: there is no label-based model selection (the
weights of the last epoch are scored).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from sklearn.cluster import KMeans
from torch_geometric.data import Data

from graphcl.config import check_positive, to_dict
from graphcl.errors import ConfigError, DataError
from graphcl.eval.clustering import clustering_metrics
from graphcl.models.grace import GRACE, GraceConfig
from graphcl.models.pamc import PamC
from graphcl.models.scgc import SCGC, ContrastClusterConfig, FeatureAutoEncoder
from graphcl.nn.gcn import GCNEncoder
from graphcl.nn.mlp import MLPDecoder, MLPEncoder
from graphcl.train.checkpoint import load_checkpoint, save_atomic
from graphcl.train.trainer import TrainConfig, Trainer
from graphcl.utils import resolve_device, seed_everything

SDCN_DATASETS = ("acm", "dblp", "cite")
PLANETOID_DATASETS = ("cora", "citeseer")
DATASETS = SDCN_DATASETS + PLANETOID_DATASETS
MODELS = ("pamc", "scgc", "grace")
ENCODERS = ("mlp", "gcn")


@dataclass
class PretrainConfig:
    """Autoencoder pretraining (SDCN: 30 epochs, Adam 1e-3, batch 256)."""

    epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 256
    # None: one autoencoder per run seed. An int: every run starts from the autoencoder
    # pretrained with this seed, as SDCN/SCGC/PamC's code does (runs then differ in k-means
    # initialisation and training randomness only).
    seed: Optional[int] = None

    def __post_init__(self) -> None:
        check_positive("pretrain.epochs", self.epochs, allow_zero=True)
        check_positive("pretrain.lr", self.lr)
        check_positive("pretrain.batch_size", self.batch_size)


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=200, lr=1e-3, patience=0, metric="loss", mode="min", progress=False)


@dataclass
class ClusterConfig:
    """Everything one clustering run needs (YAML: experiments/configs/cluster/<dataset>.yaml)."""

    model: str = "pamc"
    encoder: str = "mlp"
    hidden: List[int] = field(default_factory=lambda: [500, 500, 2000])
    z_dim: int = 10
    num_clusters: Optional[int] = None  # default: the number of label classes
    kmeans_n_init: int = 20
    loss: ContrastClusterConfig = field(default_factory=ContrastClusterConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    grace: GraceConfig = field(default_factory=GraceConfig)
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.encoder not in ENCODERS:
            raise ConfigError(f"encoder must be one of {', '.join(ENCODERS)}, got {self.encoder!r}")
        check_positive("z_dim", self.z_dim)
        check_positive("kmeans_n_init", self.kmeans_n_init)
        for i, width in enumerate(self.hidden):
            check_positive(f"hidden[{i}]", width)
        if self.num_clusters is not None and self.num_clusters < 2:
            raise ConfigError(f"num_clusters must be >= 2, got {self.num_clusters}")


def load_node_dataset(name: str, root: Optional[Path] = None) -> Data:
    """A named clustering benchmark from ``root`` (default: env ``GRAPHCL_DATA``)."""
    name = name.lower()
    if name not in DATASETS:
        raise ConfigError(f"unknown clustering dataset {name!r} (choose from {', '.join(DATASETS)})")
    if root is None:
        env = os.environ.get("GRAPHCL_DATA")
        if not env:
            raise DataError(None, "no data root: pass --data-root or set GRAPHCL_DATA to the datasets folder")
        root = Path(env)
    if name in SDCN_DATASETS:
        from graphcl.data.sdcn import load_sdcn

        return load_sdcn(Path(root), name)
    from graphcl.data.planetoid import load_planetoid

    return load_planetoid(Path(root), name)


def cache_dir() -> Path:
    """``$GRAPHCL_CACHE`` or ``~/.cache/graphcl``."""
    return Path(os.environ.get("GRAPHCL_CACHE") or Path.home() / ".cache" / "graphcl")


def _fingerprint(data: Data, cfg: ClusterConfig, seed: int) -> str:
    h = hashlib.sha1()
    h.update(data.x.detach().cpu().numpy().tobytes())
    h.update(str(tuple(data.x.shape)).encode())
    if cfg.encoder == "gcn":
        h.update(data.edge_index.detach().cpu().numpy().tobytes())
    settings = {k: v for k, v in to_dict(cfg.pretrain).items() if k != "seed"}
    h.update(json.dumps([cfg.encoder, list(cfg.hidden), cfg.z_dim, settings, seed]).encode())
    return h.hexdigest()[:16]


def _make_encoder(cfg: ClusterConfig, in_dim: int) -> torch.nn.Module:
    if cfg.encoder == "mlp":
        return MLPEncoder(in_dim, cfg.hidden, cfg.z_dim)
    return GCNEncoder(in_dim, cfg.hidden, cfg.z_dim, cached=True)


def pretrained_autoencoder(data: Data, cfg: ClusterConfig, seed: int, device: torch.device,
                           use_cache: bool = True) -> Tuple[torch.nn.Module, torch.nn.Module, bool]:
    """``(encoder, decoder, from_cache)`` trained to reconstruct ``data.x`` (MSE), cached.

    ``cfg.pretrain.seed``, when set, replaces ``seed``.
    """
    if cfg.pretrain.seed is not None:
        seed = cfg.pretrain.seed
    seed_everything(seed)
    encoder = _make_encoder(cfg, data.num_features)
    decoder = MLPDecoder(data.num_features, cfg.hidden, cfg.z_dim)
    path = cache_dir() / "cluster_ae" / f"{getattr(data, 'name', 'graph')}-{cfg.encoder}-{_fingerprint(data, cfg, seed)}.pt"
    if use_cache and path.is_file():
        state = load_checkpoint(path, map_location="cpu")
        encoder.load_state_dict(state["encoder"])
        decoder.load_state_dict(state["decoder"])
        return encoder.to(device), decoder.to(device), True
    x, edge_index = data.x.to(device), data.edge_index.to(device)
    node_wise = cfg.encoder == "mlp"
    model = FeatureAutoEncoder(encoder, decoder, x, edge_index, node_wise=node_wise)
    n = x.shape[0]
    gen = torch.Generator().manual_seed(seed)

    def batches(epoch: int):
        if not node_wise:
            return [torch.arange(n)]
        return torch.randperm(n, generator=gen).split(cfg.pretrain.batch_size)

    train_cfg = TrainConfig(epochs=cfg.pretrain.epochs, lr=cfg.pretrain.lr, patience=0, metric="loss",
                            mode="min", seed=seed, device=str(device), threads=cfg.train.threads, progress=False)
    Trainer(model, train_cfg, batches).fit()
    if use_cache:
        save_atomic({"encoder": encoder.state_dict(), "decoder": decoder.state_dict()}, path)
    return encoder, decoder, False


def kmeans_labels(z: torch.Tensor, k: int, seed: int, n_init: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(labels, centres)`` of k-means on ``z``."""
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    labels = km.fit_predict(z.detach().cpu().numpy().astype(np.float64))
    return labels, km.cluster_centers_.astype(np.float32)


def _num_clusters(data: Data, cfg: ClusterConfig) -> int:
    if cfg.num_clusters is not None:
        return cfg.num_clusters
    if getattr(data, "y", None) is None:
        raise ConfigError("num_clusters must be given when the graph has no labels")
    return int(data.y.max()) + 1


def build_contrast_model(data: Data, cfg: ClusterConfig, seed: int, device: torch.device,
                         use_cache: bool = True) -> Tuple[SCGC, Dict[str, float]]:
    """Pretrained encoder + k-means centroids wrapped in PamC or SCGC; also returns timings."""
    t0 = time.perf_counter()
    encoder, decoder, cached = pretrained_autoencoder(data, cfg, seed, device, use_cache)
    t1 = time.perf_counter()
    x, edge_index = data.x.to(device), data.edge_index.to(device)
    with torch.no_grad():
        z = encoder(x, edge_index)
    k = _num_clusters(data, cfg)
    _, centres = kmeans_labels(z, k, seed, cfg.kmeans_n_init)
    cls = PamC if cfg.model == "pamc" else SCGC
    model = cls(encoder, torch.from_numpy(centres).to(device), x, edge_index, cfg.loss, decoder=decoder)
    info = {"pretrain_seconds": 0.0 if cached else t1 - t0, "pretrain_cached": float(cached),
            "kmeans_seconds": time.perf_counter() - t1}
    return model, info


def _train_config(cfg: ClusterConfig, seed: int, device: torch.device) -> TrainConfig:
    tc = cfg.train
    return TrainConfig(epochs=tc.epochs, lr=tc.lr, weight_decay=tc.weight_decay, patience=0, metric="loss",
                       mode="min", seed=seed, device=str(device), threads=tc.threads, progress=tc.progress,
                       grad_clip=tc.grad_clip, max_minutes=tc.max_minutes)


def cluster_once(data: Data, cfg: ClusterConfig, seed: int, device: str = "cpu", use_cache: bool = True,
                 out_dir: Optional[Path] = None) -> Dict[str, object]:
    """Train ``cfg.model`` with ``seed`` and return predictions, metrics (if labelled) and timings."""
    dev = resolve_device(device)
    seed_everything(seed)
    x, edge_index = data.x.to(dev), data.edge_index.to(dev)
    info: Dict[str, float] = {}
    if cfg.model == "grace":
        model = GRACE(x, edge_index, cfg.grace)
    else:
        model, info = build_contrast_model(data, cfg, seed, dev, use_cache)
    seed_everything(seed)
    fit = Trainer(model, _train_config(cfg, seed, dev), lambda epoch: [(x, edge_index)], out_dir=out_dir).fit()
    k = _num_clusters(data, cfg)
    if cfg.model == "grace":
        pred, _ = kmeans_labels(model.embed(), k, seed, cfg.kmeans_n_init)
    else:
        pred = model.predict().cpu().numpy()
    result: Dict[str, object] = {
        "seed": seed,
        "seconds_per_epoch": fit.seconds_per_epoch,
        "epochs": fit.epochs_run,
        "stopped": fit.stopped,
        "final_loss": fit.history[-1]["loss"] if fit.history else float("nan"),
        **info,
        "pred": pred,
    }
    if getattr(data, "y", None) is not None:
        result.update(clustering_metrics(data.y.cpu().numpy(), pred))
    return result


def summarize(runs: Sequence[Dict[str, object]]) -> Dict[str, Dict[str, float]]:
    """Mean and (population) std over runs of every numeric metric."""
    keys = [k for k in ("acc", "nmi", "ari", "f1", "seconds_per_epoch", "pretrain_seconds") if k in runs[0]]
    return {k: {"mean": float(np.mean([r[k] for r in runs])), "std": float(np.std([r[k] for r in runs]))} for k in keys}


def cluster_runs(data: Data, cfg: ClusterConfig, seeds: Sequence[int], device: str = "cpu",
                 use_cache: bool = True, log=None) -> Dict[str, object]:
    """:func:`cluster_once` for each seed; ``{"runs": [...], "summary": {...}}`` (no predictions)."""
    runs = []
    for seed in seeds:
        res = cluster_once(data, cfg, seed, device=device, use_cache=use_cache)
        res.pop("pred")
        runs.append(res)
        if log is not None:
            log(res)
    return {"runs": runs, "summary": summarize(runs)}


__all__ = [
    "ClusterConfig",
    "PretrainConfig",
    "DATASETS",
    "load_node_dataset",
    "cache_dir",
    "pretrained_autoencoder",
    "build_contrast_model",
    "cluster_once",
    "cluster_runs",
    "summarize",
]
