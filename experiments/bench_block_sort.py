"""What sorting the CSR block of ``neighbourhood_block`` costs in a LightGCN step.

``LightGCNEncoder.rows`` computes the last layer on a batch's rows through a CSR block of the
adjacency whose columns are renumbered (the batch's nodes first); the block is then sorted
within rows, because torch's CSR invariants and cuSPARSE assume sorted column indices. This
script times, in one process with the variants taking turns (robust to a busy machine):

* ``step``: a 2-layer LightGCN forward + backward over a batch's nodes through ``rows``;
* ``sort``: the argsort of the block's row-major keys alone (what sorting adds);
* ``product_sorted`` / ``product_unsorted``: the block product and its backward with the block's
  entries in sorted order and in the renumbered (unsorted) order the sort replaces.

Usage::

    GRAPHCL_DATA=/work/shared/datasets python experiments/bench_block_sort.py --steps 30

Prints medians in ms and the sort's share of a step; writes
``experiments/results/bench/block_sort_<dataset>.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results" / "bench"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="gowalla")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    from graphcl.config import from_dict
    from graphcl.data.sampler import BPRSampler
    from graphcl.graph.sparse import bipartite_norm_adj, interactions_to_tensors, neighbourhood_block
    from graphcl.nn.lightgcn import LightGCNEncoder
    from graphcl.tasks.recommend import RecConfig, load_interactions

    data = load_interactions(from_dict(RecConfig, {"dataset": args.dataset, "protocol": "paper"}))
    adj = bipartite_norm_adj(*interactions_to_tensors(data.train), data.num_users, data.num_items)
    enc = LightGCNEncoder(data.num_users, data.num_items, 64, layers=2)
    batches = iter(BPRSampler(data.train, args.batch_size, seed=0).epoch(0))

    def batch_nodes() -> torch.Tensor:
        users, pos, neg = next(batches)
        return torch.unique(torch.cat([users, pos + data.num_users, neg + data.num_users]))

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    times = {k: [] for k in ("step", "sort", "product_sorted", "product_unsorted")}
    x = torch.randn(adj.shape[0], 64)
    for i in range(args.steps + 2):
        nodes = batch_nodes()
        step = timed(lambda: enc.rows(adj, nodes).pow(2).sum().backward())
        cols, block = neighbourhood_block(adj, nodes)
        rows = torch.repeat_interleave(torch.arange(len(nodes)), block.crow_indices().diff())
        keys = rows * len(cols) + block.col_indices()
        sort = timed(lambda: torch.argsort(keys))
        shuffled = torch.argsort(torch.rand(len(keys)) + rows.to(torch.float32))  # any order within rows
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            unsorted = torch.sparse_csr_tensor(block.crow_indices(), block.col_indices()[shuffled],
                                               block.values()[shuffled], block.shape, check_invariants=False)
        xs = x[cols].detach().requires_grad_()
        sorted_t = timed(lambda: (block @ xs).sum().backward())
        unsorted_t = timed(lambda: (unsorted @ xs).sum().backward())
        if i >= 2:  # the first two are warm-up
            for k, v in zip(times, (step, sort, sorted_t, unsorted_t)):
                times[k].append(v)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    out = {"dataset": args.dataset, "steps": args.steps, "threads": args.threads, "batch_size": args.batch_size,
           "median_ms": med, "sort_share_of_step": med["sort"] / med["step"],
           "product_sorted_over_unsorted": med["product_sorted"] / med["product_unsorted"],
           "host": platform.node(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for k, v in med.items():
        print(f"{k:>18}: {v:8.2f} ms (median of {args.steps})")
    print(f"sort / step: {out['sort_share_of_step']:.3f}; sorted / unsorted product: "
          f"{out['product_sorted_over_unsorted']:.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"block_sort_{args.dataset}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
