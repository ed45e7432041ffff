"""Collect ``graphcl cluster`` metrics.json files into one mean ± std table (%).

Runs of the same (dataset, model, encoder, epochs) split over several output folders (e.g.
seeds 0-4 and 5-9 run in parallel) are pooled. Usage:
    python experiments/cluster_table.py experiments/results/cluster/pamc-*/metrics.json
Writes experiments/results/cluster/results.md and results.json next to the inputs' parent.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

PUBLISHED = {  # ACC/NMI/ARI/F1 (%) from the issue: SDCN and DCRN rows
    "acm": {"SDCN": (90.45, 68.31, 73.91, 90.42), "DCRN": (91.93, 71.56, 77.56, 91.94)},
    "dblp": {"SDCN": (68.05, 39.50, 39.15, 67.71), "DCRN": (79.66, 48.95, 53.60, 79.28)},
    "cite": {"SDCN": (65.96, 38.71, 40.17, 63.62), "DCRN": (70.86, 45.86, 47.64, 65.83)},
}


def main(paths) -> int:
    groups = defaultdict(list)
    for p in map(Path, paths):
        m = json.loads(p.read_text())
        key = (m["dataset"], m["model"], m["encoder"], m["config"]["train"]["epochs"])
        groups[key].extend(m["runs"])
    lines = ["| dataset | model | encoder | epochs | seeds | ACC | NMI | ARI | F1 | s/epoch |",
             "|---|---|---|---:|---:|---|---|---|---|---:|"]
    out = []
    for (ds, model, enc, epochs), runs in sorted(groups.items()):
        runs = sorted({r["seed"]: r for r in runs}.values(), key=lambda r: r["seed"])
        cells = []
        row = {"dataset": ds, "model": model, "encoder": enc, "epochs": epochs, "seeds": [r["seed"] for r in runs]}
        for k in ("acc", "nmi", "ari", "f1"):
            v = 100 * np.array([r[k] for r in runs])
            cells.append(f"{v.mean():.2f} ± {v.std():.2f}")
            row[k] = {"mean": float(v.mean()), "std": float(v.std())}
        spe = float(np.mean([r["seconds_per_epoch"] for r in runs]))
        row["seconds_per_epoch"] = spe
        out.append(row)
        lines.append(f"| {ds} | {model} | {enc} | {epochs} | {len(runs)} | " + " | ".join(cells) + f" | {spe:.2f} |")
        for name, vals in PUBLISHED.get(ds, {}).items():
            lines.append(f"| {ds} | {name} (published) | | | | " + " | ".join(f"{v:.2f}" for v in vals) + " | |")
    text = "\n".join(lines)
    print(text)
    folder = Path(paths[0]).resolve().parent.parent
    (folder / "results.md").write_text(text + "\n")
    (folder / "results.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
