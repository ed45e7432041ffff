"""``graphcl cluster``: cluster the nodes of an attributed graph (PamC, SCGC or GRACE).

Prints mean ± std of ACC/NMI/ARI/F1 (%) over ``--runs`` seeds and seconds/epoch, and writes
``metrics.json`` (per-run scores, summary, the resolved config) to ``--out``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional


from graphcl.config import from_dict, load_yaml, merge, parse_overrides, to_dict
from graphcl.errors import ConfigError
from graphcl.utils import write_json_atomic

CONFIG_DIR = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "cluster"


def register(sub) -> None:
    p = sub.add_parser("cluster", help="node clustering with PamC / SCGC / GRACE",
                       description="Cluster the nodes of a benchmark graph (--dataset) or of your own files "
                                   "(--edges + --features [+ --labels]).")
    p.add_argument("--model", choices=["pamc", "scgc", "grace"], help="default: pamc (or the config's)")
    p.add_argument("--dataset", help="acm, dblp, cite (SDCN data) or cora, citeseer (Planetoid)")
    p.add_argument("--edges", type=Path, help="your graph: edge-list file, one 'src dst' per line")
    p.add_argument("--features", type=Path, help="your graph: feature matrix (.npy or .npz)")
    p.add_argument("--labels", type=Path, help="your graph: optional labels (one int per line, or .npy)")
    p.add_argument("--num-clusters", type=int, help="number of clusters (default: number of label classes)")
    p.add_argument("--encoder", choices=["mlp", "gcn"], help="node encoder (default: mlp, SDCN autoencoder)")
    p.add_argument("--runs", type=int, default=1, help="number of seeds (default 1)")
    p.add_argument("--seed", type=int, default=0, help="first seed; runs use seed, seed+1, ...")
    p.add_argument("--config", type=Path,
                   help="YAML config (default: experiments/configs/cluster/<dataset>.yaml when it exists)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set loss.tau=0.5 --set train.epochs=100")
    p.add_argument("--epochs", type=int, help="shortcut for --set train.epochs=N")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--data-dir", type=Path, help="folder laid out like shared/datasets (default: GRAPHCL_DATA)")
    p.add_argument("--out", type=Path, help="output folder (default: runs/cluster-<dataset>-<model>)")
    p.add_argument("--no-cache", action="store_true", help="retrain the autoencoder instead of using the cache")
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace):
    """The ClusterConfig from (default or given) YAML, CLI flags and ``--set`` overrides."""
    from graphcl.tasks.cluster import ClusterConfig

    path: Optional[Path] = args.config
    if path is None and args.dataset and (CONFIG_DIR / f"{args.dataset.lower()}.yaml").is_file():
        path = CONFIG_DIR / f"{args.dataset.lower()}.yaml"
    raw = load_yaml(path) if path else {}
    cli: dict = {"train": {"progress": False, "patience": 0}}
    if args.model:
        cli["model"] = args.model
    if args.encoder:
        cli["encoder"] = args.encoder
    if args.num_clusters is not None:
        cli["num_clusters"] = args.num_clusters
    if args.epochs is not None:
        cli["train"]["epochs"] = args.epochs
    if args.threads is not None:
        cli["train"]["threads"] = args.threads
    merged = merge(merge(raw, cli), parse_overrides(args.overrides))
    return from_dict(ClusterConfig, merged, str(path) if path else "config"), path


def _load_graph(args: argparse.Namespace):
    from graphcl.tasks.cluster import load_node_dataset

    if args.dataset and (args.edges or args.features):
        raise ConfigError("give either --dataset or --edges/--features, not both")
    if args.dataset:
        return load_node_dataset(args.dataset, args.data_dir), args.dataset.lower()
    if not (args.edges and args.features):
        raise ConfigError("give --dataset, or both --edges and --features for your own graph")
    from graphcl.data.node_files import load_node_files

    return load_node_files(args.edges, args.features, args.labels), Path(args.edges).stem


def format_summary(summary: dict) -> str:
    """One line per metric: ``name  mean ± std`` (scores in %)."""
    lines = []
    for key in ("acc", "nmi", "ari", "f1"):
        if key in summary:
            lines.append(f"{key.upper():<4} {100 * summary[key]['mean']:6.2f} ± {100 * summary[key]['std']:5.2f}")
    s = summary["seconds_per_epoch"]
    lines.append(f"s/epoch {s['mean']:.3f} ± {s['std']:.3f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from graphcl.tasks.cluster import cluster_runs, summarize

    if args.runs < 1:
        raise ConfigError(f"--runs must be >= 1, got {args.runs}")
    cfg, cfg_path = build_config(args)
    data, name = _load_graph(args)
    if getattr(data, "y", None) is None and cfg.num_clusters is None:
        raise ConfigError("the graph has no labels: give --num-clusters")
    out = args.out or Path("runs") / f"cluster-{name}-{cfg.model}"
    seeds = list(range(args.seed, args.seed + args.runs))
    print(f"{cfg.model} ({cfg.encoder} encoder) on {name}: {data.num_nodes} nodes, "
          f"{data.edge_index.shape[1] // 2} edges, {data.num_features} features; seeds {seeds[0]}..{seeds[-1]}")

    out.mkdir(parents=True, exist_ok=True)
    header = {"dataset": name, "model": cfg.model, "encoder": cfg.encoder, "seeds": seeds,
              "config_file": str(cfg_path) if cfg_path else None, "config": to_dict(cfg),
              "protocol": "unsupervised: last-epoch weights, labels used only for the reported scores"}
    done: list = []

    def log(res: dict) -> None:
        scores = "  ".join(f"{k}={100 * res[k]:.2f}" for k in ("acc", "nmi", "ari", "f1") if k in res)
        print(f"  seed {res['seed']}: {scores}  ({res['seconds_per_epoch']:.3f} s/epoch)", flush=True)
        done.append(res)
        # Written after every seed so that an interrupted long run keeps its finished seeds.
        write_json_atomic({**header, "complete": len(done) == len(seeds), "runs": done,
                           "summary": summarize(done)}, out / "metrics.json")

    cluster_runs(data, cfg, seeds, device=args.device, use_cache=not args.no_cache, log=log)
    print(format_summary(summarize(done)))
    print(f"wrote {out / 'metrics.json'}")
    return 0
