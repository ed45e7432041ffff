"""Cold (verify + parse + write cache) vs cached load time of every registered dataset.

Usage: GRAPHCL_DATA=/path/to/shared/datasets python experiments/bench_data_load.py [--repeats 3]

Each dataset is loaded once into an empty parsed cache (cold) and then ``--repeats`` times
from the cache (the median is reported). Imports are warmed up first so neither column pays
for importing torch_geometric or scipy.io. Datasets with missing files are listed with what
is missing. Prints a table and writes experiments/results/data/load_times.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "data" / "load_times.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if not os.environ.get("GRAPHCL_DATA"):
        raise SystemExit("set GRAPHCL_DATA to a folder laid out like shared/datasets")

    import scipy.io  # noqa: F401  (warm imports used by the loaders)
    import torch_geometric.data  # noqa: F401

    from graphcl.data import registry

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["GRAPHCL_CACHE"] = cache
        for card in registry.list_cards():
            st = registry.status(card)
            row = {"name": card.name, "task": card.task, "format": card.format, "status": st.describe()}
            if st.present:
                try:
                    start = time.perf_counter()
                    registry.load_dataset(card.name, download=False)
                    row["cold_s"] = time.perf_counter() - start
                    times = []
                    for _ in range(args.repeats):
                        start = time.perf_counter()
                        data = registry.load_dataset(card.name, download=False)
                        times.append(time.perf_counter() - start)
                    row["cached_s"] = statistics.median(times)
                    row["speedup"] = row["cold_s"] / row["cached_s"]
                    row["stats"] = registry.dataset_stats(data)
                    row["cache_bytes"] = sum(p.stat().st_size for p in (Path(cache) / "parsed").glob(f"{card.name}-*"))
                except Exception as exc:  # report and continue: the table should cover every card
                    row["status"] = f"error: {exc}"
            rows.append(row)

    header = ("dataset", "format", "cold s", "cached s", "cold/cached", "cache MiB", "status")
    table = [header]
    for r in rows:
        if "cold_s" in r:
            table.append((r["name"], r["format"], f"{r['cold_s']:.3f}", f"{r['cached_s']:.3f}", f"{r['speedup']:.0f}x",
                          f"{r['cache_bytes'] / 2**20:.1f}", r["status"]))
        else:
            table.append((r["name"], r["format"], "-", "-", "-", "-", r["status"]))
    width = [max(len(t[i]) for t in table) for i in range(len(header))]
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, width)).rstrip())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.platform(), "threads": 1, "repeats": args.repeats,
                                    "rows": rows}, indent=1, default=str))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
