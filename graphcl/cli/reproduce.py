"""``graphcl reproduce``: run a paper table over seeds, resumably, and report against the paper."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from graphcl.config import parse_overrides
from graphcl.errors import ConfigError
from graphcl.reproduce.plan import format_plan, plan
from graphcl.reproduce.plots import bars, learning_curves
from graphcl.reproduce.report import render_markdown, summarize
from graphcl.reproduce.runner import run_all
from graphcl.reproduce.spec import TableSpec, expand_runs, list_tables, load_table, tables_dir


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce a paper table (multi-seed, resumable) and report vs the paper",
                       description="Run every cell of a table in experiments/tables/ over seeds, skipping finished "
                                   "runs, then write OUT/TABLE.md (published | ours mean ± std | Δ% | within "
                                   "tolerance) and PNG plots under OUT/TABLE/plots/.")
    p.add_argument("table", nargs="?", help="table name (see --list) or path to a table YAML")
    p.add_argument("--list", action="store_true", help="list the tables and exit")
    p.add_argument("--seeds", type=int, help="number of seeds (default: the table's list)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: the table's quick settings (few epochs), one seed; results go to TABLE-quick")
    p.add_argument("--jobs", type=int, default=1, help="parallel worker processes (one run per process); default 1")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: experiments/results/reproduce in a checkout, else results)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key in every cell, e.g. --set train.threads=1 --set train.epochs=100")
    p.add_argument("--only", action="append", default=[], metavar="CELL[/PROTOCOL]",
                   help="run only these cells (repeatable), e.g. --only layers3/paper")
    p.add_argument("--report-only", action="store_true", help="render the report from finished runs; run nothing")
    p.add_argument("--plan", action="store_true",
                   help="print each run's state (done, twin, resume, restart, fresh, running), epochs done and "
                        "hours left (from measured s/epoch); run nothing")
    p.add_argument("--tables", type=Path, default=None, help=f"table folder (default: {tables_dir()})")
    p.set_defaults(func=main)


def default_out() -> Path:
    """``experiments/results/reproduce`` inside a graphcl checkout, else ``results``."""
    here = Path("experiments") / "results"
    return here / "reproduce" if here.is_dir() else Path("results")


def print_list(tables_folder) -> None:
    tables = list_tables(tables_folder)
    width = max(len(t.name) for t in tables) if tables else 0
    for t in tables:
        status = "" if t.status == "ready" else f" [{t.status}]"
        print(f"{t.name.ljust(width)}  {t.title} ({len(t.cells)} cells, {len(t.seeds)} seeds){status}")


def reload_for_report(table: TableSpec, args: argparse.Namespace) -> TableSpec:
    """The table as its YAML reads now, so that the report a run writes when it ends is the one
    ``--report-only`` would write: runs last hours, and the YAML (notes, published numbers) may be
    edited meanwhile. Falls back to the table the runs started with if the YAML no longer loads."""
    try:
        return load_table(args.table, args.tables)
    except ConfigError as err:
        print(f"note: the report uses the table as the runs started; its YAML no longer loads: {err}")
        return table


def main(args: argparse.Namespace) -> int:
    if args.list:
        print_list(args.tables)
        return 0
    if not args.table:
        raise ConfigError("name a table (see `graphcl reproduce --list`)")
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {args.jobs}")
    table = load_table(args.table, args.tables)
    out = args.out or default_out()
    name = table.name + ("-quick" if args.quick else "")
    root = out / name
    overrides = parse_overrides(args.overrides)
    failed = 0
    if table.status == "pending":
        runs, notes = [], [f"table status is pending: {table.notes.strip().splitlines()[0] if table.notes else 'models not in this build'}"]
    else:
        runs, notes = expand_runs(table, args.seeds, args.quick, overrides, args.only)
    for n in notes:
        print(f"note: {n}")
    if args.plan:
        print(format_plan(plan(runs, root)))
        return 0
    if runs and not args.report_only:
        outcomes = run_all(runs, root, jobs=args.jobs, log=lambda line: print(line, flush=True))
        failed = sum(o.error is not None for o in outcomes)
        table = reload_for_report(table, args)
    # The report covers the whole table (every cell, at least the table's seeds), not only the
    # runs of this call: `--only X --seeds 3` must not drop the other cells' rows or seeds.
    report_runs = runs
    if table.status != "pending":
        seeds = args.seeds if args.seeds is None or args.quick else max(args.seeds, len(table.seeds))
        report_runs, _ = expand_runs(table, seeds, args.quick, overrides)
    summaries = summarize(table, report_runs, root, quick=args.quick)
    plots: List[Path] = []
    for draw, fname in ((learning_curves, "curves.png"), (bars, "bars.png")):
        made = draw(table, summaries, root / "plots" / fname)
        if made is not None:
            plots.append(made)
    md = out / f"{name}.md"
    out.mkdir(parents=True, exist_ok=True)
    md.write_text(render_markdown(table, summaries, notes, args.quick, plots, md_dir=out), encoding="utf-8")
    print(f"wrote {md}" + (f" and {len(plots)} plots under {root / 'plots'}" if plots else ""))
    if failed:
        print(f"{failed} run(s) failed; see the messages above")
        return 1
    return 0
