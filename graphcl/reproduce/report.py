"""Aggregate a table's runs and render ``<TABLE>.md``: published | ours mean ± std | Δ% | within tolerance.

Over the seeds of a (cell, protocol): ``mean = sum(x) / n`` and the sample standard
deviation ``std = sqrt(sum((x - mean)^2) / (n - 1))`` (undefined for n = 1, shown as
"–"). ``Δ% = 100 * (ours_mean - published) / published``; a cell is within tolerance when
``|Δ%| <= tolerance_pct`` (table ``target: match``), or meets the published value when
``Δ% >= -tolerance_pct`` (``target: meet_or_beat``). Runs stopped by the epoch limit before the table's own limit
are flagged "cut short at epoch N of M".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from graphcl.reproduce.runner import config_value, read_history, read_json, result_path, run_key, work_dir
from graphcl.reproduce.spec import CellSpec, RunSpec, TableSpec
from graphcl.reproduce.tasks import get_task


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample (n - 1) standard deviation; std is None for a single value."""
    if not values:
        raise ValueError("mean_std of no values")
    n = len(values)
    mean = sum(values) / n
    if n == 1:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def delta_pct(ours: float, published: float) -> float:
    """Relative difference of ours to the published value, in percent."""
    if published == 0:
        raise ValueError("Δ% against a published value of 0 is undefined")
    return 100.0 * (ours - published) / published


def within_tolerance(ours: float, published: float, tolerance_pct: float, target: str = "match") -> bool:
    """Whether ours reproduces (``match``) or reaches (``meet_or_beat``) the published value."""
    d = delta_pct(ours, published)
    if target == "meet_or_beat":
        return d >= -tolerance_pct - 1e-9
    return abs(d) <= tolerance_pct + 1e-9


def _best_so_far(history: List[Dict[str, Any]], metric: str) -> str:
    """", best valid METRIC v at epoch e" of an unfinished run's log (higher is better), or "" if it
    never validated on ``metric``: a long run's progress, readable before it ends."""
    scored = [(rec["valid"][metric], -int(rec["epoch"])) for rec in history
              if isinstance(rec.get("valid"), dict) and isinstance(rec["valid"].get(metric), (int, float))]
    if not scored:
        return ""
    value, neg_epoch = max(scored)  # the earliest epoch among ties, as early stopping keeps it
    return f", best valid {metric} {value:.4f} at epoch {1 - neg_epoch}"


@dataclass
class CellSummary:
    """The finished runs of one (cell, protocol) and their aggregates."""

    cell: CellSpec
    protocol: str
    records: List[Dict[str, Any]] = field(default_factory=list)
    planned: int = 0
    unfinished: List[str] = field(default_factory=list)  # "run_id (N epochs logged)" of killed runs
    not_started: int = 0
    cut_short: List[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.records)

    def values(self, metric: str) -> List[float]:
        return [r["result"]["test"][metric] for r in self.records if metric in r["result"].get("test", {})]

    def stat(self, metric: str) -> Optional[Tuple[float, Optional[float]]]:
        vals = self.values(metric)
        return mean_std(vals) if vals else None

    def mean_of(self, key: str) -> Optional[float]:
        vals = [float(r[key]) for r in self.records if r.get(key) is not None]
        return sum(vals) / len(vals) if vals else None

    def mean_run_seconds(self) -> Optional[float]:
        """Training + validation seconds per run, summed over the epoch log (so over every
        session of a resumed run); the wall time for runs without an epoch log."""
        vals = []
        for r in self.records:
            hist = r.get("history") or []
            vals.append(sum(h.get("seconds", 0.0) + h.get("eval_seconds", 0.0) for h in hist) if hist
                        else float(r.get("wall_seconds", 0.0)))
        return sum(vals) / len(vals) if vals else None


def summarize(table: TableSpec, runs: List[RunSpec], root: Path, quick: bool = False) -> List[CellSummary]:
    """Collect the finished run JSONs of ``runs`` (same config key) per (cell, protocol)."""
    order: List[Tuple[str, str]] = []
    groups: Dict[Tuple[str, str], CellSummary] = {}
    for run in runs:
        key = (run.cell, run.protocol)
        if key not in groups:
            groups[key] = CellSummary(table.cell(run.cell), run.protocol)
            order.append(key)
        s = groups[key]
        s.planned += 1
        record = read_json(result_path(root, run))
        if record is None or record.get("status") != "finished" or record.get("key") != run_key(run):
            history = read_history(work_dir(root, run) / "log.jsonl")
            if history:
                best = _best_so_far(history, table.main_metric)
                s.unfinished.append(f"seed {run.seed} ({len(history)} epochs logged{best})")
            else:
                s.not_started += 1
            continue
        s.records.append(record)
        full = table.cell_config(s.cell, quick).get("train", {}).get("epochs")
        ran = record["result"].get("epochs_run")
        stopped = record["result"].get("stopped")
        if full and ran is not None and stopped == "max_epochs" and ran < full:
            s.cut_short.append(f"seed {record['seed']}: cut short at epoch {ran} of {full}")
        elif stopped == "time_budget":
            budget = config_value(record.get("config", {}), ("train", "max_minutes"))
            of = f" of {full}" if full else ""
            minutes = f"{float(budget):g}-minute " if budget is not None else ""
            s.cut_short.append(f"seed {record['seed']}: cut short at epoch {ran}{of} by its {minutes}time budget")
    return [groups[k] for k in order]


def _fmt(x: Optional[float], digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _digits(x: float) -> int:
    """4 decimals for scores in [0, 1], 2 for scores printed in % (as the papers do)."""
    return 2 if abs(x) >= 2 else 4


def _num(x: float) -> str:
    return f"{x:.{_digits(x)}f}"


def _fmt_stat(stat: Optional[Tuple[float, Optional[float]]], n: Optional[int] = None) -> str:
    if stat is None:
        return "–"
    mean, std = stat
    d = _digits(mean)
    text = f"{mean:.{d}f} ± {_fmt(std, d)}"
    return text if n is None else f"{text} (n={n})"


def paired_differences(cell: CellSummary, baseline: CellSummary, metric: str) -> Tuple[List[float], float]:
    """``cell - baseline`` of ``metric`` per seed both finished, and the baseline's mean on those seeds."""
    theirs = {r["seed"]: r["result"]["test"][metric] for r in baseline.records if metric in r["result"].get("test", {})}
    pairs = [(r["result"]["test"][metric], theirs[r["seed"]]) for r in cell.records
             if metric in r["result"].get("test", {}) and r["seed"] in theirs]
    if not pairs:
        return [], float("nan")
    return [a - b for a, b in pairs], sum(b for _, b in pairs) / len(pairs)


def check_claims(table: TableSpec, summaries: List[CellSummary]) -> List[Tuple[str, str]]:
    """(claim text, verdict) for each of the table's claims."""
    by_key = {(s.cell.id, s.protocol): s for s in summaries}
    out = []
    for c in table.claims:
        s = by_key.get((c.cell, c.protocol))
        text = c.text or c.kind
        if s is None or s.n == 0:
            out.append((text, f"not checked: no finished runs of {c.cell} ({c.protocol})"))
            continue
        if c.kind in ("beats", "not_worse"):
            b = by_key.get((c.baseline, c.protocol))
            if b is None or b.n == 0:
                out.append((text, f"not checked: no finished runs of {c.baseline} ({c.protocol})"))
                continue
            ours, base = s.stat(c.metric), b.stat(c.metric)
            if ours is None or base is None:
                out.append((text, f"not checked: {c.metric} missing"))
                continue
            detail = (f"{c.cell} {c.metric} {_num(ours[0])} vs {c.baseline} {_num(base[0])} "
                      f"({delta_pct(ours[0], base[0]):+.1f}%)")
            diffs, base_mean = paired_differences(s, b, c.metric)
            if len(diffs) >= 2 and base_mean != 0:
                d_mean, d_std = mean_std(diffs)
                gap = 100 * d_mean / base_mean  # the paired estimate, free of seed-to-seed spread
                d = _digits(base_mean)
                detail += (f"; paired over {len(diffs)} shared seeds: {d_mean:+.{d}f} ± {d_std:.{d}f} "
                           f"({gap:+.1f}% of {c.baseline}'s mean on them)")
            else:
                gap = delta_pct(ours[0], base[0])
            if c.kind == "beats":
                verdict = "holds" if gap > 0 else "does not hold"
            else:
                verdict = "holds" if gap >= -c.margin_pct - 1e-9 else "does not hold"
                detail += f"; margin -{c.margin_pct:g}%"
            out.append((text, _qualified(verdict, detail, [s, b])))
        else:
            best = s.mean_of("best_epoch")
            epoch1 = None if best is None else best + 1
            verdict = "holds" if epoch1 is not None and epoch1 <= c.epochs else "does not hold"
            out.append((text, _qualified(verdict, f"mean best epoch {_fmt(epoch1, 1)} (limit {c.epochs})", [s])))
    return out


def _qualified(verdict: str, detail: str, involved: Sequence[CellSummary]) -> str:
    """``verdict: detail``, marked provisional when a run it rests on was cut short (its score may still move)."""
    cut = [f"{s.cell.id} {c}" for s in involved for c in s.cut_short]
    if not cut:
        return f"{verdict}: {detail}"
    return f"provisionally {verdict}: {detail}; rests on runs cut short ({'; '.join(cut)})"


def render_markdown(table: TableSpec, summaries: List[CellSummary], notes: List[str], quick: bool,
                    plots: Sequence[Path] = (), md_dir: Optional[Path] = None) -> str:
    """The report as markdown; ``plots`` are linked relative to ``md_dir``."""
    tol = table.tolerance_pct
    lines = [f"# {table.title}", ""]
    if quick:
        lines += ["> **Quick smoke run** (few epochs, one seed): checks that the table runs end to end; "
                  "the numbers are not a reproduction.", ""]
    if table.status == "pending":
        lines += ["> **Status: pending** — the models of this table are not in this build yet; "
                  "only the published numbers are listed.", ""]
    if table.source:
        lines.append(f"- Source: {table.source}")
    protocols = sorted({s.protocol for s in summaries}) or list(table.protocols)
    if get_task(table.task).protocol_path is None:
        meaning = "honest = no test label is used to train or to select; this task has no other protocol"
    else:
        meaning = ("honest = select on a validation split, test scored once; "
                   "paper = best epoch picked on test, as the original code does")
    lines.append(f"- Task: {table.task}; protocols: {', '.join(protocols)} ({meaning})")
    seeds = sorted({r["seed"] for s in summaries for r in s.records})
    meet = table.target == "meet_or_beat"
    band = f"at most {tol:g}% below the published value" if meet else f"±{tol:g}%"
    lines.append(f"- Seeds: {', '.join(map(str, seeds)) or 'none finished'}; tolerance {band} (relative)")
    lines.append("")
    if table.notes:
        lines += [table.notes.strip(), ""]

    question = f"meets or beats (Δ ≥ -{tol:g}%)?" if meet else f"within ±{tol:g}%?"
    has_published = any(s.cell.published for s in summaries) or any(c.published for c in table.cells)
    if has_published:
        lines += ["## Against the published numbers", "",
                  f"| cell | protocol | metric | published | ours (mean ± std) | Δ% | {question} |",
                  "|---|---|---|---:|---:|---:|:---:|"]
        within_count = total = 0
        listed = {s.cell.id for s in summaries}
        for s in summaries:
            for metric, pub in s.cell.published.items():
                stat = s.stat(metric)
                if stat is None:
                    lines.append(f"| {s.cell.label} | {s.protocol} | {metric} | {_num(pub)} | – | – | no run |")
                    continue
                d = delta_pct(stat[0], pub)
                ok = within_tolerance(stat[0], pub, tol, table.target)
                total += 1
                within_count += ok
                flag = "yes" if ok else "no"
                if s.cut_short:
                    flag += " (cut short)"
                lines.append(f"| {s.cell.label} | {s.protocol} | {metric} | {_num(pub)} | {_fmt_stat(stat, s.n)} "
                             f"| {d:+.1f} | {flag} |")
        for c in table.cells:
            if c.id not in listed:
                what = "not run" if c.run else "reference"
                for metric, pub in c.published.items():
                    lines.append(f"| {c.label} | – | {metric} | {_num(pub)} | – | – | {what} |")
        if total:
            verdict = (f"**{'Meet or beat the published value' if meet else 'Within tolerance'}: "
                       f"{within_count} of {total} compared values.**")
        elif any(s.cell.published for s in summaries) or any(c.run and c.published for c in table.cells):
            verdict = "**No finished run to compare yet.**"
        else:
            # the published rows are another protocol's numbers, shown beside ours, never scored
            verdict = "**Published values for reference only: no cell run here has a published number.**"
        lines += ["", verdict, ""]
        sources = sorted({c.source for c in table.cells if c.source and c.published})
        if sources:
            lines += ["Published numbers: " + "; ".join(sources) + ".", ""]

    claims = check_claims(table, summaries)
    if claims:
        lines += ["## Claims checked", "", "| claim | verdict |", "|---|---|"]
        lines += [f"| {t} | {v} |" for t, v in claims]
        lines.append("")

    if summaries:
        lines += ["## All metrics (test, mean ± std over seeds)", ""]
        lines.append("| cell | protocol | " + " | ".join(table.metrics) + " |")
        lines.append("|---|---|" + "---:|" * len(table.metrics))
        for s in summaries:
            cells = []
            for m in table.metrics:
                cells.append(_fmt_stat(s.stat(m)))
            lines.append(f"| {s.cell.label} | {s.protocol} | " + " | ".join(cells) + " |")
        lines += ["", "## Training", "",
                  "| cell | protocol | runs | best epoch (mean, 1-based) | epochs run | s/epoch | train+valid s/run | peak RSS MiB | status |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for s in summaries:
            best = s.mean_of("best_epoch")
            status = []
            if s.cut_short:
                status.append("; ".join(s.cut_short))
            if s.unfinished:
                status.append("running or killed: " + ", ".join(s.unfinished))
            if s.not_started:
                status.append(f"{s.not_started} not run yet")
            if not status:
                status.append("finished" if s.n else "no runs")
            epochs = sorted({r["result"].get("epochs_run") for r in s.records if r["result"].get("epochs_run") is not None})
            peak = max((r["peak_rss_mb"] for r in s.records), default=None)
            lines.append(f"| {s.cell.label} | {s.protocol} | {s.n}/{s.planned} | {_fmt(None if best is None else best + 1, 1)} "
                         f"| {', '.join(map(str, epochs)) or '–'} | {_fmt(s.mean_of('seconds_per_epoch'), 2)} "
                         f"| {_fmt(s.mean_run_seconds(), 0)} | {_fmt(peak, 0)} | {'; '.join(status)} |")
        lines.append("")
        if any(r.get("memory_scope") != "run" for s in summaries for r in s.records):
            lines += ["Peak RSS of runs made with `--jobs 1` is that of the process that ran them one after "
                      "another (an upper bound); `--jobs N` > 1 gives each run its own process and its own peak.", ""]
    if notes:
        lines += ["## Skipped here", ""] + [f"- {n}" for n in notes] + [""]
    if plots:
        lines += ["## Plots", ""]
        for p in plots:
            rel = p.relative_to(md_dir) if md_dir is not None else p
            lines.append(f"![{p.stem}]({rel.as_posix()})")
        lines.append("")
    cell_notes = [f"- **{c.label}**: {c.note.strip()}" for c in table.cells if c.note]
    if cell_notes:
        lines += ["## Cell notes", ""] + cell_notes + [""]
    return "\n".join(lines)
