"""Time ``A @ X`` for ACM's PSP (4.3M entries) as a sparse matrix vs factorised ``H H^T``.

Usage: ``GRAPHCL_DATA=/work/shared/datasets python experiments/bench_hetero_metapath.py``.
Prints a table (ratio against the sparse baseline measured in the same run) and writes
``experiments/results/hetero/bench_metapath.json``.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch

from graphcl.data.hetero import load_heco
from graphcl.views.metapath import metapath_adjacencies


def _time(fn, repeats: int = 5) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    torch.set_num_threads(1)
    data = load_heco(Path(os.environ.get("GRAPHCL_DATA", "/work/shared/datasets")), "acm")
    (sparse,) = metapath_adjacencies(data, ["psp"], factorise=False)
    (fact,) = metapath_adjacencies(data, ["psp"], factorise=True)
    x = torch.randn(data["paper"].num_nodes, 64, requires_grad=True)

    def step(adj):
        return lambda: (adj @ x).sum().backward()

    base = _time(step(sparse))
    fast = _time(step(fact))
    rows = {"sparse (baseline)": base, "factorised": fast}
    print(f"{'ACM PSP, forward+backward, 64 columns':40s} {'seconds':>9s} {'ratio':>7s}")
    for name, sec in rows.items():
        print(f"{name:40s} {sec:9.4f} {sec / base:7.3f}")
    out = Path(__file__).resolve().parent / "results" / "hetero" / "bench_metapath.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"psp_nnz": int(sparse._nnz()), "seconds": rows, "ratio": fast / base}, indent=2))


if __name__ == "__main__":
    main()
