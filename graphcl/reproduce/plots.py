"""PNG plots of a table's runs (matplotlib, Agg backend): learning curves and bars with error bars."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from graphcl.reproduce.report import CellSummary  # noqa: E402
from graphcl.reproduce.spec import TableSpec  # noqa: E402


def _curve(history: List[dict], metric: str) -> Dict[int, float]:
    """Epoch (1-based) -> value of ``metric`` on the selection split, or of the training
    loss when ``metric`` is ``"loss"``."""
    if metric == "loss":
        return {int(h["epoch"]) + 1: float(h["loss"]) for h in history if "loss" in h}
    return {int(h["epoch"]) + 1: float(h["valid"][metric]) for h in history
            if isinstance(h.get("valid"), dict) and metric in h["valid"]}


def learning_curves(table: TableSpec, summaries: List[CellSummary], path: Path) -> Optional[Path]:
    """One panel per cell: selection-split ``main_metric`` per epoch, one line per seed and protocol.

    Under the honest protocol the curve is the validation split; under the paper protocol it
    is the test split (that is what the original code selected on). Tasks that select on
    no labelled split (clustering, heterogeneous) show the training loss instead.
    """
    metric = table.main_metric
    if not any(_curve(r.get("history", []), metric) for s in summaries for r in s.records):
        metric = "loss"
    with_curves = [s for s in summaries if any(_curve(r.get("history", []), metric) for r in s.records)]
    if not with_curves:
        return None
    cells = list(dict.fromkeys(s.cell.id for s in with_curves))
    cols = min(4, len(cells))
    rows = math.ceil(len(cells) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    colors = {"honest": "tab:blue", "paper": "tab:orange"}
    for ax, cell_id in zip(axes.flat, cells):
        label = None
        for s in with_curves:
            if s.cell.id != cell_id:
                continue
            label = s.cell.label
            for i, r in enumerate(s.records):
                c = _curve(r.get("history", []), metric)
                if c:
                    ax.plot(list(c), list(c.values()), color=colors.get(s.protocol, "gray"), lw=1, alpha=0.8,
                            label=(f"{s.protocol} ({'valid' if s.protocol == 'honest' else 'test'})"
                                   if metric != "loss" else "train loss") if i == 0 else None)
        ax.set_title(label or cell_id, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(cells):]:
        ax.axis("off")
    fig.suptitle(textwrap.fill(f"{table.title}: learning curves", 50 * cols), fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def bars(table: TableSpec, summaries: List[CellSummary], path: Path) -> Optional[Path]:
    """Per metric: ours (mean, error bar = std over seeds) beside the published value."""
    done = [s for s in summaries if s.n]
    if not done:
        return None
    published_metrics = [m for m in table.metrics if any(m in s.cell.published for s in done)]
    metrics = published_metrics or [table.main_metric]
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(4.0, 0.7 * len(done) + 2) * cols, 3.2 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        x = list(range(len(done)))
        means, errs, pubs = [], [], []
        for s in done:
            stat = s.stat(metric)
            means.append(stat[0] if stat else float("nan"))
            errs.append((stat[1] or 0.0) if stat else 0.0)
            pubs.append(s.cell.published.get(metric, float("nan")))
        w = 0.4 if published_metrics else 0.6
        ax.bar([i - (w / 2 if published_metrics else 0) for i in x], means, w, yerr=errs, capsize=3,
               label="ours (mean ± std)", color="tab:blue")
        if published_metrics:
            ax.bar([i + w / 2 for i in x], pubs, w, label="published", color="lightgray", edgecolor="black", hatch="//")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{s.cell.label}\n{s.protocol}" for s in done], fontsize=7, rotation=30, ha="right")
        ax.set_title(metric, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.suptitle(textwrap.fill(f"{table.title}: test metrics", 60 * cols), fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
