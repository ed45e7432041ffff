"""``graphcl data list | stats NAME | download NAME``: inspect and fetch registered datasets."""
from __future__ import annotations

import argparse
import time
from typing import List, Sequence

from graphcl.data import registry


def register(sub) -> None:
    p = sub.add_parser("data", help="list, inspect and download datasets",
                       description="Registered datasets (cards in datasets/*.yaml) and user data folders.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="folder laid out like shared/datasets (searched before GRAPHCL_DATA)")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser("list", parents=[common], help="name, task, size and local status of every registered dataset")
    stats = actions.add_parser("stats", parents=[common], help="statistics computed from the files, compared with the card")
    stats.add_argument("name", help="registered name or a folder/file path")
    stats.add_argument("--format", help="format of a path dataset (default: auto-detected)")
    stats.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    dl = actions.add_parser("download", parents=[common], help="download and verify the missing files of a dataset into the cache")
    dl.add_argument("name")
    p.set_defaults(func=run)


def _table(rows: Sequence[Sequence[str]]) -> str:
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, width)).rstrip() for r in rows)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


def _list(args: argparse.Namespace) -> int:
    rows: List[Sequence[str]] = [("name", "task", "format", "size", "status")]
    for card in registry.list_cards():
        size = f"{card.size_bytes / 2**20:.1f} MiB" if card.size_bytes else "-"
        rows.append((card.name, card.task, card.format, size, registry.status(card, args.data_dir).describe()))
    print(_table(rows))
    return 0


def _stats(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    data = registry.load_dataset(args.name, data_dir=args.data_dir, format=args.format,
                                 download=not args.no_download)
    seconds = time.perf_counter() - start
    actual = registry.dataset_stats(data)
    card = registry.get_card(args.name) if registry.has_card(args.name) else None
    print(f"{args.name}: {type(data).__name__} loaded in {seconds:.2f} s")
    if card is None or not card.stats:
        flat = registry.compare_stats(actual, actual)
        print(_table([("statistic", "value")] + [(k, _fmt(v)) for k, v, _ in flat]))
        return 0
    rows = [("statistic", "computed", "card", "")]
    mismatches = 0
    for key, want, got in registry.compare_stats(card.stats, actual):
        mark = "ok" if got == want else ("not computed" if got is None else "MISMATCH")
        mismatches += mark == "MISMATCH"
        rows.append((key, _fmt(got), _fmt(want), mark))
    extra = {k: v for k, v in actual.items() if k not in card.stats and not isinstance(v, dict)}
    rows += [(k, _fmt(v), "-", "") for k, v in extra.items()]
    print(_table(rows))
    if card.stats_source:
        print(f"card statistics: {card.stats_source}")
    return 1 if mismatches else 0


def _download(args: argparse.Namespace) -> int:
    card = registry.get_card(args.name)
    folder = registry.fetch(card, args.data_dir)
    print(f"{card.name}: all required files verified in {folder}")
    return 0


def run(args: argparse.Namespace) -> int:
    return {"list": _list, "stats": _stats, "download": _download}[args.action](args)
