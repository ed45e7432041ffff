"""Efficiency of PamC's meta-node negatives vs SCGC's all-pairs negatives (CPU).

For each graph (SDCN acm/dblp/cite and synthetic attributed SBMs) and model, a fresh
subprocess builds the model and runs a few full-batch epochs through the shared Trainer;
we report seconds/epoch (mean over the timed epochs, the first epoch is a warm-up) and the
peak resident memory of the training phase (``ru_maxrss`` at the end minus at the start of
training). Pretraining and k-means are not part of an epoch and are skipped (random
encoder weights and centroids: the cost of an epoch does not depend on them).

The all-pairs loss needs several N x N float32 matrices. Before launching SCGC we estimate
``ALL_PAIRS_MATRICES * 4 N^2`` bytes and skip the run with a note when that exceeds
``--max-gib`` (the machine is shared; a 50k-node SCGC would need ~47 GiB).

Usage: python experiments/bench_cluster.py [--sizes 10000 50000 200000] [--epochs 3] [--max-gib 6]
Writes experiments/results/cluster/bench_cluster.{json,md,png}.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "cluster"
# N x N float32 buffers alive at the peak of an SCGC step: the cosine matrix, its masked
# copy, the exp inside logsumexp, and the gradient of the masked matrix in backward
# (checked against the measured 10k-node peak, see the JSON).
ALL_PAIRS_MATRICES = 5
SBM_ENCODER = {"hidden": [256, 256, 512], "z_dim": 10}
SBM_FEATURES = 64


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB on Linux


def child(graph: str, model: str, epochs: int, data_root: str) -> dict:
    import torch

    torch.set_num_threads(1)
    from graphcl.data.sbm import planted_partition
    from graphcl.models.pamc import PamC
    from graphcl.models.scgc import SCGC, ContrastClusterConfig
    from graphcl.nn.mlp import MLPDecoder, MLPEncoder
    from graphcl.tasks.cluster import load_node_dataset
    from graphcl.train.trainer import TrainConfig, Trainer
    from graphcl.utils import seed_everything

    seed_everything(0)
    if graph.startswith("sbm"):
        n = int(graph[3:])
        data = planted_partition(n, 10, degree_in=8, degree_out=2, num_features=SBM_FEATURES, seed=0)
        hidden, z_dim, k = SBM_ENCODER["hidden"], SBM_ENCODER["z_dim"], 10
        loss = ContrastClusterConfig(alpha=1.0, beta=1.0, order=1, tau=1.0, recon_weight=0.0)
        decoder = None
    else:
        data = load_node_dataset(graph, Path(data_root))
        hidden, z_dim, k = [500, 500, 2000], 10, int(data.y.max()) + 1
        settings = {"acm": (0.5, 0.5, 1, 0.5), "dblp": (2.0, 2.0, 1, 1.0), "cite": (2.0, 2.5, 3, 0.5)}[graph]
        loss = ContrastClusterConfig(*settings)
        decoder = MLPDecoder(data.num_features, hidden, z_dim)
    encoder = MLPEncoder(data.num_features, hidden, z_dim)
    centroids = torch.randn(k, z_dim)
    cls = PamC if model == "pamc" else SCGC
    net = cls(encoder, centroids, data.x, data.edge_index, loss, decoder=decoder)
    base = _rss_gib()
    cfg = TrainConfig(epochs=epochs + 1, lr=1e-3, patience=0, metric="loss", mode="min", progress=False, threads=1)
    t0 = time.perf_counter()
    fit = Trainer(net, cfg, lambda e: [(net.x, net.edge_index)]).fit()
    wall = time.perf_counter() - t0
    per_epoch = [h["seconds"] for h in fit.history[1:]]
    return {
        "graph": graph, "model": model, "nodes": int(data.num_nodes), "edges": int(data.edge_index.shape[1] // 2),
        "features": int(data.num_features), "clusters": k, "positive_pairs": int(net.pairs.shape[1]),
        "encoder": f"MLP {data.num_features}-{'-'.join(map(str, hidden))}-{z_dim}" + (" + decoder" if decoder else ""),
        "seconds_per_epoch": sum(per_epoch) / len(per_epoch), "timed_epochs": len(per_epoch),
        "wall_seconds": wall, "rss_before_gib": base, "peak_rss_gib": _rss_gib(),
        "train_peak_gib": _rss_gib() - base,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graphs", nargs="*", default=["acm", "dblp", "cite"])
    ap.add_argument("--sizes", nargs="*", type=int, default=[10000, 50000, 200000])
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    ap.add_argument("--max-gib", type=float, default=6.0, help="skip all-pairs runs estimated above this")
    ap.add_argument("--data-root", default=os.environ.get("GRAPHCL_DATA", "/work/shared/datasets"))
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child", nargs=2, metavar=("GRAPH", "MODEL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.epochs, args.data_root)))
        return 0

    graphs = list(args.graphs) + [f"sbm{n}" for n in args.sizes]
    rows = []
    for graph in graphs:
        for model in ("pamc", "scgc"):
            n = int(graph[3:]) if graph.startswith("sbm") else {"acm": 3025, "dblp": 4057, "cite": 3327}[graph]
            estimate = ALL_PAIRS_MATRICES * 4 * n * n / 2**30
            row = {"graph": graph, "model": model, "nodes": n}
            if model == "scgc" and estimate > args.max_gib:
                row.update(skipped=True, note=f"all-pairs needs ~{estimate:.0f} GiB (> {args.max_gib} GiB limit): "
                                              "out of memory on this 24 GiB shared machine")
                print(f"{graph:>10} {model}: skipped ({row['note']})", flush=True)
                rows.append(row)
                continue
            cmd = [sys.executable, __file__, "--child", graph, model, "--epochs", str(args.epochs),
                   "--data-root", args.data_root]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                row.update(skipped=True, note=f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
            else:
                row.update(json.loads(proc.stdout.strip().splitlines()[-1]), skipped=False)
                if model == "scgc":
                    row["all_pairs_estimate_gib"] = estimate
            print(f"{graph:>10} {model}: {row.get('seconds_per_epoch', float('nan')):.3f} s/epoch, "
                  f"train peak +{row.get('train_peak_gib', float('nan')):.2f} GiB {row.get('note', '')}", flush=True)
            rows.append(row)

    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "bench_cluster.json", "w") as fh:
        json.dump({"epochs_timed": args.epochs, "max_gib": args.max_gib, "threads": 1, "rows": rows}, fh, indent=2)
    table = ["| graph | N | encoder | PamC s/epoch | SCGC s/epoch | speed-up | PamC train peak GiB | SCGC train peak GiB | memory ratio |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    by = {(r["graph"], r["model"]): r for r in rows}
    for graph in graphs:
        p, s = by[(graph, "pamc")], by[(graph, "scgc")]
        if s.get("skipped"):
            sc_t, sc_m, speed, mem = "—", "—", "—", s["note"]
        else:
            sc_t, sc_m = f"{s['seconds_per_epoch']:.3f}", f"{s['train_peak_gib']:.3f}"
            speed = f"{s['seconds_per_epoch'] / p['seconds_per_epoch']:.1f}×"
            mem = f"{s['train_peak_gib'] / max(p['train_peak_gib'], 1e-3):.1f}×"
        table.append(f"| {graph} | {p['nodes']} | {p.get('encoder', '')} | {p.get('seconds_per_epoch', float('nan')):.3f} | "
                     f"{sc_t} | {speed} | {p.get('train_peak_gib', float('nan')):.3f} | {sc_m} | {mem} |")
    text = "\n".join(table)
    (args.out / "bench_cluster.md").write_text(text + "\n")
    print(text)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sbm = [g for g in graphs if g.startswith("sbm")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for model, style in (("pamc", "o-"), ("scgc", "s--")):
        pts = [by[(g, model)] for g in sbm if not by[(g, model)].get("skipped")]
        axes[0].plot([r["nodes"] for r in pts], [r["seconds_per_epoch"] for r in pts], style, label=model)
        axes[1].plot([r["nodes"] for r in pts], [r["train_peak_gib"] for r in pts], style, label=model)
    for g in sbm:
        if by[(g, "scgc")].get("skipped"):
            for ax in axes:
                ax.axvline(by[(g, "scgc")]["nodes"], color="grey", lw=0.5, ls=":")
    axes[0].set(xscale="log", yscale="log", xlabel="nodes (SBM)", ylabel="seconds / epoch (1 thread)")
    axes[1].set(xscale="log", yscale="log", xlabel="nodes (SBM)", ylabel="training peak RSS increase (GiB)")
    axes[0].set_title("dotted: all-pairs skipped (out of memory)", fontsize=8)
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "bench_cluster.png", dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
