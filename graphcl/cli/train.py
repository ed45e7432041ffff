"""``graphcl train``: train a recommender, early-stop on validation, score test once."""
from __future__ import annotations

import argparse
from pathlib import Path

from graphcl.config import from_dict, load_yaml, merge, parse_overrides
from graphcl.models.registry import available_models
from graphcl.tasks.recommend import RecConfig, run


def register(sub) -> None:
    p = sub.add_parser("train", help="train a recommender and report Recall/NDCG on test",
                       description="Train a recommender (default: LightGCN on the bundled ml-100k).")
    p.add_argument("--model", help=f"model name ({', '.join(available_models())}, ...)")
    p.add_argument("--dataset", help="registered dataset name or a path (default: ml-100k, bundled)")
    p.add_argument("--config", type=Path, help="YAML config (keys: model, dataset, protocol, data, train, eval, params)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set train.lr=0.01 --set params.layers=3")
    p.add_argument("--epochs", type=int, help="shortcut for --set train.epochs=N")
    p.add_argument("--device", help="cpu, cuda, cuda:1 or auto")
    p.add_argument("--data-dir", help="folder laid out like shared/datasets (overrides GRAPHCL_DATA)")
    p.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<model>-<dataset>)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=main)


def config_from_args(args: argparse.Namespace) -> RecConfig:
    raw = load_yaml(args.config) if args.config else {}
    cli: dict = {}
    if args.model:
        cli["model"] = args.model
    if args.dataset:
        cli["dataset"] = args.dataset
    if args.epochs is not None:
        cli.setdefault("train", {})["epochs"] = args.epochs
    if args.device:
        cli.setdefault("train", {})["device"] = args.device
    if args.data_dir:
        cli.setdefault("data", {})["data_dir"] = args.data_dir
    if args.quiet:
        cli.setdefault("train", {})["progress"] = False
    merged = merge(merge(raw, cli), parse_overrides(args.overrides))
    cfg = from_dict(RecConfig, merged, str(args.config) if args.config else "config")
    cfg.model_config()  # validate params against the model now, before loading data
    return cfg


def format_table(result: dict) -> str:
    """A small aligned table of valid/test metrics."""
    keys = list(result["test"])
    rows = [("metric", "valid", "test")]
    for k in keys:
        v = result["valid"].get(k)
        rows.append((k, "-" if v is None else f"{v:.4f}", f"{result['test'][k]:.4f}"))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, width)) for r in rows)


def main(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    out = args.out or Path("runs") / f"{cfg.model}-{Path(cfg.dataset).name}"
    result = run(cfg, out_dir=out, resume=args.resume)
    print(f"{cfg.model} on {cfg.dataset} ({cfg.protocol} protocol): best epoch {result['best_epoch']}, "
          f"{result['seconds_per_epoch']:.2f} s/epoch, {result['seconds_per_eval']:.2f} s/eval")
    print(format_table(result))
    print(f"wrote {out / 'metrics.json'}")
    return 0
