"""Compare one table's run JSONs in two results folders: is a re-run the same as the record?

Usage:
    graphcl reproduce ml100k --set train.threads=1 --out /tmp/rerun
    python experiments/compare_runs.py ml100k /tmp/rerun [--record experiments/results/reproduce] [--json OUT]

For every run present in both folders it prints the best epoch and epochs run of each and the
largest absolute difference over the numeric results (test metrics, and valid metrics where a
run stores them); timings (keys naming seconds) are skipped, as they measure the machine, not
the method. Runs are seeded and deterministic on one machine; this shows whether they are across
machines too. Exits with status 1 if any run differs in its epochs or by more than ``--tol``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Iterator, Tuple


def numeric_leaves(obj: object, prefix: str = "") -> Iterator[Tuple[str, float]]:
    """``(dotted.key, value)`` for every int/float under ``obj``, skipping timing keys."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if "seconds" not in str(key):
                yield from numeric_leaves(value, f"{prefix}{key}.")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix.rstrip("."), float(obj)


COUNTS = ("best_epoch", "epochs_run")


def load_runs(folder: Path, table: str) -> Dict[str, dict]:
    runs = {}
    for path in sorted((folder / table / "runs").glob("*.json")):
        try:
            runs[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise SystemExit(f"{path}: line {err.lineno}: not valid JSON ({err.msg})")
    return runs


def compare(record: dict, rerun: dict) -> dict:
    # epoch counts get their own columns: as a "difference" they would hide the metrics'
    a, b = ({k: v for k, v in numeric_leaves(run.get("result", {})) if k not in COUNTS} for run in (record, rerun))
    shared = sorted(set(a) & set(b))
    diffs = {k: abs(a[k] - b[k]) for k in shared}
    worst = max(diffs, key=diffs.get) if diffs else None
    largest = diffs[worst] if worst is not None else None
    return {**{counted: [record.get(counted), rerun.get(counted)] for counted in COUNTS},
            "values_compared": len(shared), "max_abs_diff": largest,
            "worst_key": worst if largest else None}  # nothing differs: no key to name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table")
    parser.add_argument("rerun", type=Path, help="the --out folder of the re-run")
    parser.add_argument("--record", type=Path, default=Path(__file__).parent / "results" / "reproduce")
    parser.add_argument("--tol", type=float, default=1e-6, help="largest absolute difference counted as equal")
    parser.add_argument("--json", type=Path, help="also write the comparison here")
    args = parser.parse_args()

    record, rerun = load_runs(args.record, args.table), load_runs(args.rerun, args.table)
    common = sorted(set(record) & set(rerun))
    if not common:
        raise SystemExit(f"no run of {args.table} in both {args.record} and {args.rerun}")
    rows = {run: compare(record[run], rerun[run]) for run in common}
    print(f"{'run':44} {'best epoch':>12} {'epochs run':>12} {'values':>6} {'max |diff|':>11}  worst")
    differing = []
    for run, row in rows.items():
        same_epochs = row["best_epoch"][0] == row["best_epoch"][1] and row["epochs_run"][0] == row["epochs_run"][1]
        diff = row["max_abs_diff"]
        if not same_epochs or (diff is not None and diff > args.tol):
            differing.append(run)
        print(f"{run:44} {'%s / %s' % tuple(row['best_epoch']):>12} {'%s / %s' % tuple(row['epochs_run']):>12} "
              f"{row['values_compared']:>6} {'-' if diff is None else f'{diff:.2e}':>11}  {row['worst_key'] or ''}")
    only_record = sorted(set(record) - set(rerun))
    print(f"\n{len(common)} runs compared (record / re-run), {len(differing)} differ beyond {args.tol:g}"
          + (f"; {len(only_record)} only in the record" if only_record else ""))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"table": args.table, "record": str(args.record), "rerun": str(args.rerun),
                                         "tol": args.tol, "runs": rows,
                                         "differing": differing, "only_in_record": only_record}, indent=1) + "\n")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
