"""Report arithmetic (mean, sample std, Δ%, tolerance) and rendering on fixed run records."""
import math

import pytest

from graphcl.reproduce.plots import bars, learning_curves
from graphcl.reproduce.report import (check_claims, delta_pct, mean_std, render_markdown, summarize,
                                      within_tolerance)
from graphcl.reproduce.runner import result_path, run_key, work_dir, write_json_atomic
from graphcl.reproduce.spec import TableSpec, expand_runs
from graphcl.config import from_dict
from graphcl.errors import ConfigError


def test_mean_and_sample_std_hand_computed():
    mean, std = mean_std([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    # sum of squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, divided by n - 1 = 3
    assert std == pytest.approx(math.sqrt(5 / 3))
    assert mean_std([0.3]) == (0.3, None)
    with pytest.raises(ValueError):
        mean_std([])


def test_delta_and_tolerance():
    assert delta_pct(0.25, 0.2) == pytest.approx(25.0)
    assert delta_pct(0.19, 0.2) == pytest.approx(-5.0)
    assert within_tolerance(0.19, 0.2, 5.0)  # exactly on the boundary counts as within
    assert not within_tolerance(0.189, 0.2, 5.0)
    assert within_tolerance(0.2, 0.2, 0.0)
    # a target to reach: anything above passes, below only within the tolerance
    assert not within_tolerance(0.25, 0.2, 5.0) and within_tolerance(0.25, 0.2, 5.0, "meet_or_beat")
    assert within_tolerance(0.19, 0.2, 5.0, "meet_or_beat")
    assert not within_tolerance(0.189, 0.2, 5.0, "meet_or_beat")
    with pytest.raises(ValueError):
        delta_pct(0.1, 0.0)


TABLE = {
    "name": "fake",
    "title": "Fake table",
    "task": "recommendation",
    "metrics": ["recall@20", "ndcg@20"],
    "seeds": [1, 2, 3],
    "protocols": ["honest"],
    "tolerance_pct": 5,
    "base": {"dataset": "ml-100k", "train": {"epochs": 100}},
    "cells": [
        {"id": "a", "label": "Model A", "config": {"model": "mf"},
         "published": {"recall@20": 0.2, "ndcg@20": 0.1}, "source": "Paper X, Table 1"},
        {"id": "b", "config": {"model": "lightgcn"}, "protocols": ["honest", "paper"]},
    ],
    "claims": [{"kind": "beats", "cell": "b", "baseline": "a", "metric": "recall@20", "text": "B beats A"},
               {"kind": "best_epoch_within", "cell": "a", "epochs": 10, "text": "A is fast"}],
}


def _write(root, run, test, best_epoch=4, epochs_run=20, stopped="early_stop", history=None):
    record = {"status": "finished", "run_id": run.run_id, "seed": run.seed, "config": run.config,
              "key": run_key(run), "result": {"test": test, "epochs_run": epochs_run, "stopped": stopped},
              "best_epoch": best_epoch, "epochs_run": epochs_run, "seconds_per_epoch": 2.0,
              "wall_seconds": 40.0, "peak_rss_mb": 300.0, "history": history or []}
    write_json_atomic(record, result_path(root, run))


def test_summary_and_markdown_on_fixed_records(tmp_path):
    table = from_dict(TableSpec, TABLE)
    runs, notes = expand_runs(table)
    assert notes == [] and len(runs) == 3 + 6
    a_runs = [r for r in runs if r.cell == "a"]
    for run, (rec, nd) in zip(a_runs, [(0.20, 0.10), (0.22, 0.11), (0.21, 0.09)]):
        _write(tmp_path, run, {"recall@20": rec, "ndcg@20": nd},
               history=[{"epoch": e, "seconds": 1.0, "eval_seconds": 0.5, "valid": {"recall@20": 0.1 + 0.01 * e}}
                        for e in range(5)])
    b_honest = [r for r in runs if r.cell == "b" and r.protocol == "honest"]
    _write(tmp_path, b_honest[0], {"recall@20": 0.30, "ndcg@20": 0.2}, best_epoch=99, epochs_run=100,
           stopped="max_epochs")
    # a record written for another config (different key) must not be counted
    stale = dict(b_honest[1].config, model="pop")
    write_json_atomic({"status": "finished", "key": "other", "config": stale, "seed": 2,
                       "result": {"test": {"recall@20": 9.9}}}, result_path(tmp_path, b_honest[1]))

    # a killed run: two epochs in its log, no JSON
    killed = work_dir(tmp_path, b_honest[2])
    killed.mkdir(parents=True)
    (killed / "log.jsonl").write_text('{"epoch": 0, "loss": 1.0, "valid": {"recall@20": 0.05}}\n'
                                      '{"epoch": 1, "loss": 0.9}\n'
                                      '{"epoch": 2, "loss": 0.8, "valid": {"recall@20": 0.05}}\n{"epo')

    summaries = summarize(table, runs, tmp_path)
    by = {(s.cell.id, s.protocol): s for s in summaries}
    a = by[("a", "honest")]
    assert a.n == 3 and a.planned == 3
    mean, std = a.stat("recall@20")
    assert mean == pytest.approx(0.21) and std == pytest.approx(0.01)
    b = by[("b", "honest")]
    assert b.n == 1 and b.not_started == 1 and b.unfinished == ["seed 3 (3 epochs logged, best valid recall@20 0.0500 at epoch 1)"]
    assert b.cut_short == []  # 100 epochs of 100: ran to the table's own limit
    assert a.mean_run_seconds() == pytest.approx(7.5)  # 5 epochs x (1 s train + 0.5 s valid)
    assert b.mean_run_seconds() == 40.0  # no epoch log: the wall time
    assert by[("b", "paper")].n == 0

    md = render_markdown(table, summaries, ["c: skipped, data missing"], quick=False)
    assert "| Model A | honest | recall@20 | 0.2000 | 0.2100 ± 0.0100 (n=3) | +5.0 | yes |" in md
    # ndcg mean 0.1, std 0.01: Δ 0.0%
    assert "| Model A | honest | ndcg@20 | 0.1000 | 0.1000 ± 0.0100 (n=3) | +0.0 | yes |" in md
    assert "Within tolerance: 2 of 2" in md
    assert "Paper X, Table 1" in md
    assert "c: skipped, data missing" in md
    assert "| b | honest | 1/3 |" in md and "running or killed: seed 3 (3 epochs logged, best valid recall@20 0.0500 at epoch 1); 1 not run yet" in md
    claims = dict(check_claims(table, summaries))
    assert claims["B beats A"].startswith("holds: b recall@20 0.3000 vs a 0.2100 (+42.9%)")
    assert claims["A is fast"].startswith("holds: mean best epoch 5.0")

    curves = learning_curves(table, summaries, tmp_path / "plots" / "curves.png")
    bar = bars(table, summaries, tmp_path / "plots" / "bars.png")
    for p in (curves, bar):
        assert p is not None and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_table_with_reference_values_only_says_so_instead_of_waiting_for_runs(tmp_path):
    cells = [{"id": "a", "config": {"model": "mf"}},
             {"id": "ref", "label": "A elsewhere", "run": False, "published": {"recall@20": 0.2}}]
    table = from_dict(TableSpec, dict(TABLE, cells=cells, claims=[]))
    runs, _ = expand_runs(table)
    md = render_markdown(table, summarize(table, runs, tmp_path), [], quick=False)
    assert "| A elsewhere | – | recall@20 | 0.2000 | – | – | reference |" in md
    assert "reference only: no cell run here has a published number" in md
    assert "No finished run to compare yet" not in md
    waiting = from_dict(TableSpec, TABLE)
    runs, _ = expand_runs(waiting)
    assert "No finished run to compare yet" in render_markdown(waiting, summarize(waiting, runs, tmp_path), [],
                                                               quick=False)


def test_meet_or_beat_table_passes_cells_above_the_published_value(tmp_path):
    table = from_dict(TableSpec, dict(TABLE, target="meet_or_beat"))
    runs, _ = expand_runs(table, only=["a"])
    for run, rec in zip(runs, [0.30, 0.32, 0.31]):  # +55% recall: far outside ±5%, but a target met
        _write(tmp_path, run, {"recall@20": rec, "ndcg@20": 0.09})  # ndcg -10%: missed
    md = render_markdown(table, summarize(table, runs, tmp_path), [], quick=False)
    assert "| Model A | honest | recall@20 | 0.2000 | 0.3100 ± 0.0100 (n=3) | +55.0 | yes |" in md
    assert "| Model A | honest | ndcg@20 | 0.1000 | 0.0900 ± 0.0000 (n=3) | -10.0 | no |" in md
    assert "meets or beats (Δ ≥ -5%)?" in md and "Meet or beat the published value: 1 of 2" in md
    assert "tolerance at most 5% below the published value" in md
    assert "paper = best epoch picked on test" in md  # a task with both protocols explains both
    one_protocol = render_markdown(from_dict(TableSpec, dict(TABLE, task="clustering")), [], [], quick=False)
    assert "honest = no test label is used to train or to select; this task has no other protocol" in one_protocol
    with pytest.raises(ConfigError, match="target"):
        from_dict(TableSpec, dict(TABLE, target="exceed"))


def test_claims_on_shared_seeds_use_paired_differences(tmp_path):
    """Same seed = same shared inputs: B - A per seed is judged, not the spread of either mean."""
    spec = dict(TABLE, claims=[
        {"kind": "not_worse", "cell": "a", "baseline": "b", "metric": "recall@20", "margin_pct": 3, "text": "A keeps B's quality"},
        {"kind": "not_worse", "cell": "a", "baseline": "b", "metric": "recall@20", "margin_pct": 2, "text": "tighter"},
        {"kind": "not_worse", "cell": "b", "baseline": "a", "metric": "recall@20", "margin_pct": 0, "text": "B keeps A's"},
        {"kind": "beats", "cell": "b", "baseline": "a", "metric": "recall@20", "text": "B beats A"}])
    table = from_dict(TableSpec, spec)
    runs, _ = expand_runs(table)
    a = [r for r in runs if r.cell == "a"]
    b = [r for r in runs if r.cell == "b" and r.protocol == "honest"]
    for ra, rb, rec, gain in zip(a, b, [0.20, 0.22, 0.21], [0.004, 0.006, 0.005]):
        _write(tmp_path, ra, {"recall@20": rec, "ndcg@20": 0.1})
        _write(tmp_path, rb, {"recall@20": rec + gain, "ndcg@20": 0.1})
    claims = dict(check_claims(table, summarize(table, runs, tmp_path)))
    # A - B per seed: -0.004, -0.006, -0.005 -> -0.005 ± 0.001, -2.3% of B's mean 0.215
    assert claims["A keeps B's quality"] == ("holds: a recall@20 0.2100 vs b 0.2150 (-2.3%); paired over 3 shared "
                                             "seeds: -0.0050 ± 0.0010 (-2.3% of b's mean on them); margin -3%")
    assert claims["tighter"].startswith("does not hold:") and claims["tighter"].endswith("margin -2%")
    assert claims["B keeps A's"].startswith("holds:")  # better is never worse
    assert claims["B beats A"] == ("holds: b recall@20 0.2150 vs a 0.2100 (+2.4%); paired over 3 shared seeds: "
                                   "+0.0050 ± 0.0010 (+2.4% of a's mean on them)")
    with pytest.raises(ConfigError, match="margin_pct"):
        from_dict(TableSpec, dict(TABLE, claims=[{"kind": "not_worse", "cell": "b", "baseline": "a",
                                                  "metric": "recall@20"}]))


def test_cut_short_runs_are_flagged(tmp_path):
    table = from_dict(TableSpec, TABLE)
    runs, _ = expand_runs(table, seeds=1, overrides={"train": {"epochs": 30}}, only=["a"])
    _write(tmp_path, runs[0], {"recall@20": 0.1, "ndcg@20": 0.05}, epochs_run=30, stopped="max_epochs")
    (s,) = summarize(table, runs, tmp_path)
    assert s.cut_short == ["seed 1: cut short at epoch 30 of 100"]
    md = render_markdown(table, [s], [], quick=False)
    assert "| -50.0 | no (cut short) |" in md
    # a run that ended on its wall-clock budget, at any epoch, is cut short too
    runs, _ = expand_runs(table, seeds=1, overrides={"train": {"max_minutes": 120}}, only=["a"])
    _write(tmp_path, runs[0], {"recall@20": 0.1, "ndcg@20": 0.05}, epochs_run=42, stopped="time_budget")
    (s,) = summarize(table, runs, tmp_path)
    assert s.cut_short == ["seed 1: cut short at epoch 42 of 100 by its 120-minute time budget"]


def test_claims_resting_on_cut_short_runs_are_provisional(tmp_path):
    """A baseline stopped by an epoch cap may still improve: "B beats A" cannot be a plain verdict."""
    table = from_dict(TableSpec, TABLE)
    runs, _ = expand_runs(table, seeds=1, only=["a", "b"])
    a_run = next(r for r in runs if r.cell == "a")
    b_run = next(r for r in runs if r.cell == "b" and r.protocol == "honest")
    _write(tmp_path, a_run, {"recall@20": 0.10, "ndcg@20": 0.05}, best_epoch=29, epochs_run=30, stopped="max_epochs")
    _write(tmp_path, b_run, {"recall@20": 0.12, "ndcg@20": 0.06}, best_epoch=3, epochs_run=14)
    claims = dict(check_claims(table, summarize(table, runs, tmp_path)))
    assert claims["B beats A"] == ("provisionally holds: b recall@20 0.1200 vs a 0.1000 (+20.0%); "
                                   "rests on runs cut short (a seed 1: cut short at epoch 30 of 100)")
    assert claims["A is fast"].startswith("provisionally does not hold: mean best epoch 30.0 (limit 10)")
    # once the baseline ran to its own stopping rule the verdict is plain again
    _write(tmp_path, a_run, {"recall@20": 0.10, "ndcg@20": 0.05}, best_epoch=29, epochs_run=40)
    claims = dict(check_claims(table, summarize(table, runs, tmp_path)))
    assert claims["B beats A"].startswith("holds: ")
