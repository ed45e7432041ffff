"""``graphcl hetero``: self-supervised embeddings of a heterogeneous graph's target nodes.

Trains HeCo, MEOW or AdaMEOW without labels, then evaluates the frozen embeddings with the
linear probe on the 20/40/60-labels-per-class splits (selected on val, reported on test)
and with k-means (NMI/ARI). Prints the tables and writes ``metrics.json`` to ``--out``.

Settings come from ``experiments/configs/hetero/<model>_<dataset>.yaml`` when it exists
(or ``--config``), then ``--set key=value`` overrides. Early stopping uses either the
training loss (HeCo's rule) or, with ``select: val_probe``, the Micro-F1 of a quick probe
trained on ``train_20`` and scored on ``val_20`` — never test labels.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Literal, Optional

import torch

from graphcl.config import check_positive, from_dict, load_yaml, merge, parse_overrides, to_dict
from graphcl.data.hetero import SPLIT_SIZES, load_hetero
from graphcl.errors import ConfigError
from graphcl.eval.probe import ProbeConfig, kmeans_scores, linear_probe
from graphcl.train.trainer import Trainer, TrainConfig
from graphcl.utils import resolve_device, seed_everything, write_json_atomic

MODELS = {
    "heco": ("graphcl.models.heco", "HeCo"),
    "meow": ("graphcl.models.meow", "MEOW"),
    "adameow": ("graphcl.models.meow", "AdaMEOW"),
}
DATASETS = ("acm", "dblp", "aminer", "freebase", "imdb")
CONFIG_DIR = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "hetero"

_DEFAULT_SIGNAL = {"metric": "train_loss", "mode": "min"}  # HeteroRunConfig.train's defaults


@dataclass
class HeteroRunConfig:
    """One ``graphcl hetero`` run."""

    model: str = "heco"
    dataset: str = "acm"
    layout: Optional[Literal["heco", "meow"]] = None  # default: meow for imdb, else heco
    data_dir: Optional[str] = None
    select: Literal["train_loss", "val_probe"] = "train_loss"
    params: Dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=10000, lr=8e-4, patience=5, metric=_DEFAULT_SIGNAL["metric"], mode=_DEFAULT_SIGNAL["mode"], seed=0))
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    cluster_runs: int = 10
    threads: Optional[int] = None

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"model {self.model!r} is not a heterogeneous model (choose from {', '.join(MODELS)})")
        if self.dataset not in DATASETS:
            raise ConfigError(f"dataset {self.dataset!r} is not supported (choose from {', '.join(DATASETS)})")
        check_positive("cluster_runs", self.cluster_runs)
        if self.threads is not None:
            check_positive("threads", self.threads)
        if self.layout is None:
            self.layout = "meow" if self.dataset == "imdb" else "heco"
        # The early-stopping signal follows from ``select``; the Trainer reads it from train.*.
        # train.metric/mode may be left at this class's default or agree with ``select``;
        # anything else would be silently replaced, so it is refused.
        implied = ("train_loss", "min") if self.select == "train_loss" else ("val_micro_f1", "max")
        for key, value, want in zip(("metric", "mode"), (self.train.metric, self.train.mode), implied):
            if value not in (want, _DEFAULT_SIGNAL[key]):
                raise ConfigError(f"train.{key}={value!r} conflicts with select={self.select!r}, which early-stops "
                                  f"on {implied[0]} ({implied[1]}); set select instead of train.{key}")
        self.train.metric, self.train.mode = implied

    def model_class(self):
        import importlib

        module, name = MODELS[self.model]
        return getattr(importlib.import_module(module), name)

    def model_config(self):
        cls = self.model_class()
        return from_dict(cls.Config, self.params, f"params ({self.model})")


def register(sub) -> None:
    p = sub.add_parser("hetero", help="self-supervised heterogeneous-graph embeddings (HeCo, MEOW, AdaMEOW)",
                       description="Train HeCo/MEOW/AdaMEOW and report linear-probe and k-means scores.")
    p.add_argument("--model", choices=sorted(MODELS), default=None)
    p.add_argument("--dataset", choices=DATASETS, default=None)
    p.add_argument("--config", type=Path, help="YAML config (default: experiments/configs/hetero/<model>_<dataset>.yaml)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key, e.g. --set params.tau=0.5 --set train.epochs=50")
    p.add_argument("--epochs", type=int, help="shortcut for --set train.epochs=N")
    p.add_argument("--device", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, help="torch threads (use 1 for background runs)")
    p.add_argument("--data-dir", help="folder laid out like shared/datasets (default: GRAPHCL_DATA)")
    p.add_argument("--out", type=Path, help="output folder (default: runs/hetero/<model>-<dataset>)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/last.pt (the same --epochs only re-scores the best checkpoint)")
    p.set_defaults(func=main)


def config_from_args(args: argparse.Namespace) -> HeteroRunConfig:
    path = args.config
    if path is None:
        default = CONFIG_DIR / f"{args.model or 'heco'}_{args.dataset or 'acm'}.yaml"
        path = default if default.is_file() else None
    raw = load_yaml(path) if path else {}
    # An explicit --config names its own model and dataset; --model/--dataset must agree with it.
    model = args.model or raw.get("model") or "heco"
    dataset = args.dataset or raw.get("dataset") or "acm"
    if raw.get("model", model) != model or raw.get("dataset", dataset) != dataset:
        raise ConfigError(f"{path}: config is for {raw.get('model')}/{raw.get('dataset')}, not {model}/{dataset}")
    cli: Dict[str, Any] = {"model": model, "dataset": dataset}
    if args.epochs is not None:
        cli.setdefault("train", {})["epochs"] = args.epochs
    if args.device:
        cli.setdefault("train", {})["device"] = args.device
    if args.threads:
        cli["threads"] = args.threads
    if args.data_dir:
        cli["data_dir"] = args.data_dir
    if args.quiet:
        cli.setdefault("train", {})["progress"] = False
    merged = merge(merge(raw, cli), parse_overrides(args.overrides))
    cfg = from_dict(HeteroRunConfig, merged, str(path) if path else "config")
    cfg.model_config()  # validate model parameters before loading data
    return cfg


def run(cfg: HeteroRunConfig, out_dir: Optional[Path] = None, resume: bool = False) -> Dict[str, Any]:
    """Train, evaluate, and return (and write) the metrics dictionary.

    ``resume`` continues from ``out_dir/last.pt`` when it exists (a larger ``train.epochs``
    trains further; an equal one only re-scores the best checkpoint).
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data_dir = cfg.data_dir or os.environ.get("GRAPHCL_DATA")
    if not data_dir:
        raise ConfigError("no data folder: pass --data-dir or set GRAPHCL_DATA")
    seed_everything(cfg.train.seed)
    device = resolve_device(cfg.train.device)
    t0 = time.perf_counter()
    data = load_hetero(Path(data_dir), cfg.layout, cfg.dataset)
    load_seconds = time.perf_counter() - t0
    model = cfg.model_class()(data, cfg.model_config(), device=device)
    target = data[data.target]
    labels = target.y.to(device)

    if cfg.select == "val_probe":
        quick = replace(cfg.probe, runs=1)

        def validate() -> Dict[str, float]:
            emb = model.embed()
            scores = linear_probe(emb, labels, target["train_20"], target["val_20"], target["val_20"], quick)
            return {"val_micro_f1": scores["micro_f1"], "train_loss": model.last_loss}

    else:

        def validate() -> Dict[str, float]:
            return {"train_loss": model.last_loss}


    trainer = Trainer(model, cfg.train, batches=lambda epoch: [None], validate=validate, out_dir=out_dir)
    fit = trainer.fit(resume=resume)
    emb = model.embed()

    classification = {}
    for size in SPLIT_SIZES:
        classification[str(size)] = linear_probe(
            emb, labels, target[f"train_{size}"], target[f"val_{size}"], target[f"test_{size}"], cfg.probe
        )
    clustering = kmeans_scores(emb, labels, runs=cfg.cluster_runs, seed=cfg.probe.seed)
    result = {
        "model": cfg.model,
        "dataset": cfg.dataset,
        "layout": cfg.layout,
        "classification": classification,
        "clustering": clustering,
        "best_epoch": fit.best_epoch,
        "epochs_run": fit.epochs_run,
        "stopped": fit.stopped,
        "seconds_per_epoch": fit.seconds_per_epoch,
        "seconds_per_eval": fit.seconds_per_eval,
        "load_seconds": load_seconds,
        "threads": torch.get_num_threads(),
        "config": to_dict(cfg),
    }
    if out_dir is not None:
        write_json_atomic(result, Path(out_dir) / "metrics.json")
    return result


def format_tables(result: Dict[str, Any]) -> str:
    """Classification rows (Ma-F1 / Mi-F1 / AUC, mean ± std in %) and clustering NMI/ARI."""
    lines = [f"{'labels':>6}  {'Macro-F1':>14}  {'Micro-F1':>14}  {'AUC':>14}"]
    for size, s in result["classification"].items():
        cells = [f"{s[k]:6.2f} ± {s[k + '_std']:5.2f}" for k in ("macro_f1", "micro_f1", "auc")]
        lines.append(f"{size:>6}  " + "  ".join(cells))
    c = result["clustering"]
    lines.append(f"k-means: NMI {c['nmi']:.2f} ± {c['nmi_std']:.2f}, ARI {c['ari']:.2f} ± {c['ari_std']:.2f}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    out = args.out or Path("runs") / "hetero" / f"{cfg.model}-{cfg.dataset}"
    if args.resume and not (out / "last.pt").is_file():
        raise ConfigError(f"--resume: no checkpoint {out / 'last.pt'} to continue from")
    result = run(cfg, out_dir=out, resume=args.resume)
    print(f"{cfg.model} on {cfg.dataset}: {result['epochs_run']} epochs ({result['stopped']}, best {result['best_epoch']}), "
          f"{result['seconds_per_epoch']:.2f} s/epoch")
    print(format_tables(result))
    print(f"wrote {out / 'metrics.json'}")
    return 0
