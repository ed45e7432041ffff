"""``graphcl evaluate``: re-score a saved recommendation run."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from graphcl.tasks.recommend import evaluate_checkpoint


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="re-score a saved run's best checkpoint")
    p.add_argument("--checkpoint", type=Path, required=True, help="run folder or its best.pt")
    p.add_argument("--split", choices=["valid", "test"], default="test")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    metrics = evaluate_checkpoint(args.checkpoint, args.split)
    for k, v in metrics.items():
        print(f"{k:14s} {v:.4f}")
    print(json.dumps(metrics))
    return 0
