"""Seconds per epoch, seconds per evaluation and peak memory of the graph recommenders.

Usage::

    python experiments/bench_epoch.py --threads 1           # ml-100k, 2 full epochs per model
    GRAPHCL_DATA=/work/shared/datasets python experiments/bench_epoch.py --dataset gowalla --epochs 1 --threads 1
    # on a busy machine: time 30 batches per epoch and 5% of the test users, then scale
    ... --dataset gowalla --epochs 1 --threads 1 --max-batches 30 --eval-fraction 0.05
    # plus step times with the models taking turns in one process (ratios robust to drift)
    ... --dataset gowalla --epochs 1 --threads 1 --max-batches 20 --interleaved 20

Each model runs in a fresh child process so that its peak resident memory
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of that child: the high-water mark of
the whole process, including Python, torch and the loaded data) is its own. Every model
uses batch 2048, dim 64 and ``--layers`` layers (2 by default, the setting of the peer
measurements in the issue) with its other hyperparameters at their defaults. One epoch is
a full pass of BPR batches with the model's training loss (views included); an evaluation
is a full-ranking pass over the test users. Wall-clock and CPU seconds (``process_time``
of the child; with one thread, what the wall time would be on an idle machine) are both
reported, each with its ratio to LightGCN's in the same run. A second table times the sparse product ``A @ X`` for
``X`` of width 64, 128 and 192 against separate 64-wide products (the "wide product" idea
for SimGCL's three propagations). The JSON goes to ``experiments/results/bench/``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

MODELS = ("lightgcn", "sgl", "simgcl", "xsimgcl", "lightgcl")
RESULTS = Path(__file__).resolve().parent / "results" / "bench"


def load(dataset: str):
    from graphcl.config import from_dict
    from graphcl.tasks.recommend import RecConfig, load_interactions

    cfg = from_dict(RecConfig, {"dataset": dataset, "protocol": "paper"})
    return cfg, load_interactions(cfg)


def build_model(spec: str, data, layers: int):
    """The model named by ``spec`` (``name[:key=value+key=value][@full-rows]``) with ``layers`` layers.

    ``@full-rows``: the batch's rows are gathered from a full propagation instead of computing
    the last layer on their rows only (``LightGCNEncoder.rows``): the baseline of that change.
    """
    from graphcl.config import from_dict
    from graphcl.models.registry import get_model

    spec, _, variant = spec.partition("@")
    if variant not in ("", "full-rows"):
        raise SystemExit(f"unknown variant @{variant} (known: @full-rows)")
    name, _, overrides = spec.partition(":")
    params = {"layers": layers}
    params.update(dict(kv.split("=", 1) for kv in overrides.split("+") if kv))
    cls = get_model(name)
    model = cls(data, from_dict(cls.Config, params, "params"))
    if variant:
        encoder = model.encoder
        encoder.rows = lambda adj, nodes: encoder(adj)[nodes]
    return model


def worker(args: argparse.Namespace) -> Dict:
    """Time ``args.model``'s training epochs and one evaluation; print one JSON line.

    With ``--max-batches k`` each epoch runs only its first k batches and the epoch time is
    extrapolated: ``regen + (per-epoch time - regen) * n_batches / k`` where ``regen`` is the
    measured per-epoch view regeneration (``on_epoch_start``). With ``--eval-fraction f`` the
    evaluation ranks a fraction f of the test users and is scaled by 1/f. Wall-clock and
    CPU time (``time.process_time``, this process only; with one thread it is the wall time
    of an otherwise idle machine) are both reported.
    """
    import itertools

    import numpy as np
    import scipy.sparse as sp
    import torch

    from graphcl.data.sampler import BPRSampler
    from graphcl.eval.ranking import RankingEvaluator
    from graphcl.train.trainer import TrainConfig, Trainer
    from graphcl.utils import seed_everything

    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(2020)
    _, data = load(args.dataset)
    model = build_model(args.model, data, args.layers)
    sampler = BPRSampler(data.train, args.batch_size, seed=2020)
    n_batches = len(sampler)
    k = min(args.max_batches or n_batches, n_batches)

    def clock(fn):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        return out, time.process_time() - c0, time.perf_counter() - w0

    regen_cpu = regen_wall = 0.0
    if hasattr(model, "on_epoch_start"):
        _, regen_cpu, regen_wall = clock(lambda: model.on_epoch_start(0))
    train_cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, progress=False, patience=0,
                            threads=args.threads)
    trainer = Trainer(model, train_cfg, batches=lambda e: itertools.islice(sampler.epoch(e), k))
    _, fit_cpu, fit_wall = clock(trainer.fit)
    scale = n_batches / k

    def per_epoch(total: float, regen: float) -> float:
        return regen + (total / args.epochs - regen) * scale

    rng = np.random.default_rng(0)
    keep = rng.random(data.num_users) < args.eval_fraction
    truth = sp.diags(keep.astype(np.float32)) @ data.test
    seen = [data.train] + ([data.valid] if data.valid is not None else [])
    evaluator = RankingEvaluator(truth, exclude=seen, ks=(20,))
    model.eval()
    _, eval_cpu, eval_wall = clock(lambda: evaluator.evaluate(model.score))
    fraction = len(evaluator.users) / max(int((np.diff(data.test.indptr) > 0).sum()), 1)
    return {"model": args.model, "batches_timed": k, "batches_per_epoch": n_batches,
            "seconds_per_epoch": per_epoch(fit_wall, regen_wall), "cpu_seconds_per_epoch": per_epoch(fit_cpu, regen_cpu),
            "seconds_per_eval": eval_wall / fraction, "cpu_seconds_per_eval": eval_cpu / fraction,
            "view_regeneration_seconds": regen_wall, "eval_user_fraction": fraction}


def interleaved(args: argparse.Namespace, models: List[str]) -> Dict:
    """Median seconds per training step of each model, the models taking turns step by step in one process.

    Drift on a shared machine (another job's memory traffic) then hits every model alike, so
    the ratios are stable where separate runs are not. Also times the in-batch InfoNCE alone
    (forward + backward over the batch's unique users and unique items, d = 64) on the same
    batches: LightGCN's step plus that is the least any in-batch contrastive model can cost.
    """
    import statistics

    import torch

    from graphcl.data.sampler import BPRSampler
    from graphcl.losses.infonce import info_nce

    if args.threads:
        torch.set_num_threads(args.threads)
    _, data = load(args.dataset)
    built = {}
    for spec in models:
        torch.manual_seed(2020)
        model = build_model(spec, data, args.layers)
        if hasattr(model, "on_epoch_start"):
            model.on_epoch_start(0)
        built[spec] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
    batches = list(BPRSampler(data.train, args.batch_size, seed=2020).epoch(0))[: args.interleaved + 2]

    def infonce_only(batch) -> None:
        for nodes in (torch.unique(batch.users), torch.unique(batch.pos)):
            a, p = (torch.randn(len(nodes), 64, requires_grad=True) for _ in range(2))
            info_nce(a, p, 0.2).backward()

    steps: Dict[str, List[float]] = {spec: [] for spec in list(built) + ["in-batch InfoNCE alone"]}
    for i, batch in enumerate(batches):
        for spec, (model, opt) in built.items():
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            model.loss(batch)["loss"].backward()
            opt.step()
            if i >= 2:  # warm-up
                steps[spec].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        infonce_only(batch)
        if i >= 2:
            steps["in-batch InfoNCE alone"].append(time.perf_counter() - t0)
    median = {spec: statistics.median(v) for spec, v in steps.items()}
    base = median[models[0]]
    median["lightgcn + in-batch InfoNCE (floor)"] = base + median["in-batch InfoNCE alone"]
    return {"steps_timed": args.interleaved, "median_seconds_per_step": median,
            "ratios_to_lightgcn": {k: v / base for k, v in median.items()}}


def spmm_widths(dataset: str, threads: int | None, repeats: int = 5) -> Dict[str, float]:
    """CPU seconds of one ``A @ X`` at widths 64/128/192 and of 2 or 3 separate 64-wide products."""
    import torch

    from graphcl.graph.sparse import bipartite_norm_adj, interactions_to_tensors

    if threads:
        torch.set_num_threads(threads)
    _, data = load(dataset)
    users, items = interactions_to_tensors(data.train)
    adj = bipartite_norm_adj(users, items, data.num_users, data.num_items)
    n = data.num_users + data.num_items
    xs = [torch.randn(n, 64) for _ in range(3)]

    def clock(fn) -> float:
        """CPU seconds per call (robust to other processes on a shared machine)."""
        fn()
        t0 = time.process_time()
        for _ in range(repeats):
            fn()
        return (time.process_time() - t0) / repeats

    wide = {w: torch.randn(n, w) for w in (64, 128, 192)}
    return {
        "1x64": clock(lambda: adj @ wide[64]),
        "2x64 separate": clock(lambda: [adj @ x for x in xs[:2]]),
        "1x128 wide": clock(lambda: adj @ wide[128]),
        "3x64 separate": clock(lambda: [adj @ x for x in xs]),
        "1x192 wide": clock(lambda: adj @ wide[192]),
    }


def run_child(args: argparse.Namespace, model: str) -> Dict:
    cmd = [sys.executable, __file__, "--worker", model, "--dataset", args.dataset, "--epochs", str(args.epochs),
           "--layers", str(args.layers), "--batch-size", str(args.batch_size), "--max-batches", str(args.max_batches),
           "--eval-fraction", str(args.eval_fraction)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # RUSAGE_CHILDREN's ru_maxrss is the largest child so far; children run one at a time, so
    # a child that peaks below an earlier one is reported as "<= earlier peak".
    result["peak_rss_mb"] = peak_kb / 1024
    result["peak_rss_exact"] = peak_kb > before
    return result


def table(rows: List[Dict], base: Dict) -> str:
    head = ("model", "s/epoch", "x lgcn", "cpu s/epoch", "x lgcn", "s/eval", "cpu s/eval", "peak RSS MB")
    lines = [head]
    for r in rows:
        mem = f"{r['peak_rss_mb']:.0f}" if r["peak_rss_exact"] else f"<={r['peak_rss_mb']:.0f}"
        lines.append((r["model"], f"{r['seconds_per_epoch']:.3f}", f"{r['seconds_per_epoch'] / base['seconds_per_epoch']:.2f}",
                      f"{r['cpu_seconds_per_epoch']:.3f}", f"{r['cpu_seconds_per_epoch'] / base['cpu_seconds_per_epoch']:.2f}",
                      f"{r['seconds_per_eval']:.3f}", f"{r['cpu_seconds_per_eval']:.3f}", mem))
    width = [max(len(l[i]) for l in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(l, width)) for l in lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated; lightgcn is always measured first; a model may carry params, "
                        "e.g. sgl:negatives=batch+rho=0.2, and @full-rows (see build_model)")
    p.add_argument("--tag", default="", help="suffix of the JSON file name")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--threads", type=int, default=None, help="torch threads (use 1 on a shared machine)")
    p.add_argument("--max-batches", type=int, default=0, help="time only the first N batches of each epoch and "
                   "extrapolate to the full epoch (0 = full epochs)")
    p.add_argument("--eval-fraction", type=float, default=1.0, help="rank this random fraction of the test users "
                   "and scale the evaluation time")
    p.add_argument("--no-spmm", action="store_true", help="skip the sparse-product width table")
    p.add_argument("--interleaved", type=int, default=0, metavar="STEPS",
                   help="also time STEPS training steps per model with the models taking turns in one process "
                        "(median s/step; stable ratios on a busy machine) and the in-batch InfoNCE floor")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.model = args.worker
        print(json.dumps(worker(args)))
        return 0
    models = ["lightgcn"] + [m for m in args.models.split(",") if m and m != "lightgcn"]
    load_before = os.getloadavg()
    rows = []
    for m in models:
        rows.append(run_child(args, m))
        print(f"measured {m}: {rows[-1]['seconds_per_epoch']:.3f} s/epoch, {rows[-1]['cpu_seconds_per_epoch']:.3f} cpu s/epoch",
              file=sys.stderr, flush=True)
    base = rows[0]
    timed = f"first {args.max_batches} batches of {base['batches_per_epoch']}, extrapolated" if args.max_batches else "full"
    print(f"\n{args.dataset}: {args.epochs} epoch(s) ({timed}), batch {args.batch_size}, dim 64, {args.layers} layers, "
          f"threads={args.threads or 'torch default'}, eval on {base['eval_user_fraction']:.0%} of test users (scaled), "
          f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(table(rows, base))
    turns = interleaved(args, models) if args.interleaved else None
    if turns:
        print(f"\ninterleaved: median of {args.interleaved} steps per model, models taking turns")
        for k, v in turns["median_seconds_per_step"].items():
            print(f"  {k:>36}: {v * 1000:8.1f} ms/step  x{turns['ratios_to_lightgcn'][k]:.2f}")
    spmm = None if args.no_spmm else spmm_widths(args.dataset, args.threads)
    if spmm:
        print("\nA @ X (CPU seconds per call):")
        for k, v in spmm.items():
            print(f"  {k:>14}: {v:.4f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"epoch_{Path(args.dataset).name}{'_' + args.tag if args.tag else ''}.json"
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"dataset": args.dataset, "epochs": args.epochs, "layers": args.layers, "batch_size": args.batch_size,
                   "threads": args.threads, "load_average_before": load_before, "load_average_after": os.getloadavg(),
                   "memory": "peak RSS of each model's own child process (ru_maxrss)",
                   "host": platform.node(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "max_batches": args.max_batches, "eval_fraction": args.eval_fraction,
                   "models": rows,
                   "ratios_to_lightgcn": {r["model"]: r["seconds_per_epoch"] / base["seconds_per_epoch"] for r in rows},
                   "cpu_ratios_to_lightgcn": {r["model"]: r["cpu_seconds_per_epoch"] / base["cpu_seconds_per_epoch"] for r in rows},
                   "interleaved": turns, "spmm_seconds": spmm}, fh, indent=2)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
