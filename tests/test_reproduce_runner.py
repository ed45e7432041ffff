"""The reproduce runner: table parsing, run expansion, and resume (finished skipped, killed redone)."""
import json
import re
import shutil

import numpy as np
import pytest
import torch

from graphcl.config import from_dict
from graphcl.errors import ConfigError
from graphcl.reproduce import runner
from graphcl.reproduce.runner import (execute, read_history, result_path, run_all, run_key, run_state, work_dir,
                                      write_json_atomic)
from graphcl.reproduce.spec import TableSpec, config_key, expand_runs, load_table, seed_list
from graphcl.reproduce.tasks import expand_env


@pytest.fixture()
def tiny_inter(tmp_path):
    """40 users x 30 items, 12 random interactions each, as a RecBole .inter file."""
    rng = np.random.default_rng(0)
    lines = ["user_id:token\titem_id:token"]
    for u in range(40):
        for i in rng.choice(30, size=12, replace=False):
            lines.append(f"u{u}\ti{i}")
    path = tmp_path / "tiny.inter"
    path.write_text("\n".join(lines) + "\n")
    return path


def tiny_table(inter, **extra):
    raw = {
        "name": "tiny",
        "title": "Tiny",
        "task": "recommendation",
        "metrics": ["recall@5", "ndcg@5"],
        "seeds": [7, 8],
        "base": {"dataset": str(inter),
                 "train": {"epochs": 3, "batch_size": 64, "patience": 0, "metric": "ndcg@5", "progress": False},
                 "eval": {"ks": [5], "metrics": ["recall", "ndcg"]},
                 "params": {"dim": 8}},
        "quick": {"config": {"train": {"epochs": 1}}, "cells": ["mf"]},
        "cells": [{"id": "mf", "config": {"model": "mf"}},
                  {"id": "lightgcn", "config": {"model": "lightgcn", "params": {"layers": 1}}}],
    }
    if "cells" in extra:
        raw["quick"] = {}
    raw.update(extra)
    return from_dict(TableSpec, raw, "tiny")


def test_expand_runs_seeds_quick_only_and_overrides(tiny_inter):
    table = tiny_table(tiny_inter)
    runs, notes = expand_runs(table)
    assert notes == []
    assert [r.run_id for r in runs] == ["mf__honest__seed7", "mf__honest__seed8",
                                        "lightgcn__honest__seed7", "lightgcn__honest__seed8"]
    assert runs[0].config["train"]["seed"] == 7 and runs[0].config["protocol"] == "honest"
    assert runs[2].config["params"] == {"dim": 8, "layers": 1}
    quick, _ = expand_runs(table, quick=True)
    assert [r.run_id for r in quick] == ["mf__honest__seed7"] and quick[0].config["train"]["epochs"] == 1
    three, _ = expand_runs(table, seeds=3, only=["lightgcn"], overrides={"train": {"lr": 0.5}})
    assert [r.seed for r in three] == [7, 8, 9] and {r.cell for r in three} == {"lightgcn"}
    assert three[0].config["train"]["lr"] == 0.5
    with pytest.raises(ConfigError, match="no such cell"):
        expand_runs(table, only=["sgl"])
    assert seed_list(table, 1) == [7]


def test_cells_that_cannot_run_are_skipped_with_a_note(tiny_inter, monkeypatch):
    table = tiny_table(tiny_inter, requires=["gowalla"],
                       cells=[{"id": "x", "config": {"model": "mf"}}])
    monkeypatch.delenv("GRAPHCL_DATA", raising=False)
    runs, notes = expand_runs(table)
    assert runs == [] and notes == ["x: skipped, needs gowalla under GRAPHCL_DATA, which is not set"]
    table = tiny_table(tiny_inter, cells=[{"id": "y", "config": {"model": "no-such-model"}}])
    runs, notes = expand_runs(table)
    assert runs == [] and notes == ["y: skipped, model 'no-such-model' is not registered in this build"]


@pytest.mark.parametrize("change, message", [
    ({"cells": [{"id": "a"}, {"id": "a"}]}, "duplicate cell id 'a'"),
    ({"protocols": ["cheat"]}, "protocol 'cheat'"),
    ({"cells": [{"id": "a", "published": {"hit@5": 0.1}}]}, "published metric 'hit@5' is not in metrics"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"cells": [{"id": "a b"}]}, "cell id 'a b'"),
])
def test_bad_table_is_a_config_error(tiny_inter, change, message):
    with pytest.raises(ConfigError, match=message):
        tiny_table(tiny_inter, **change)


def test_config_key_ignores_volatile_settings_only():
    base = {"model": "mf", "train": {"epochs": 10, "threads": 1, "lr": 0.1}}
    volatile = (("train", "epochs"), ("train", "threads"))
    assert config_key(base, volatile) == config_key({"model": "mf", "train": {"epochs": 99, "lr": 0.1}}, volatile)
    assert config_key(base, volatile) != config_key({"model": "mf", "train": {"epochs": 10, "lr": 0.2}}, volatile)


def test_expand_env(monkeypatch):
    monkeypatch.setenv("GRAPHCL_DATA", "/data")
    assert expand_env({"dataset": "${GRAPHCL_DATA}/gowalla", "n": [1, "${GRAPHCL_DATA}"]}) == \
        {"dataset": "/data/gowalla", "n": [1, "/data"]}
    monkeypatch.delenv("GRAPHCL_DATA")
    with pytest.raises(ConfigError, match="GRAPHCL_DATA is not set"):
        expand_env("${GRAPHCL_DATA}/x")


def test_finished_run_is_skipped_and_killed_run_is_redone(tiny_inter, tmp_path, monkeypatch):
    table = tiny_table(tiny_inter)
    runs, _ = expand_runs(table, seeds=1, only=["mf"])
    (run,) = runs
    root = tmp_path / "out"
    assert run_state(root, run) == "fresh"
    first = run_all(runs, root, log=lambda _: None)
    assert first[0].error is None and first[0].state == "fresh"
    record = json.loads(result_path(root, run).read_text())
    assert record["status"] == "finished" and record["seed"] == 7 and record["epochs_run"] == 3
    assert [h["epoch"] for h in record["history"]] == [0, 1, 2]
    assert set(record["result"]["test"]) == {"recall@5", "ndcg@5"}
    assert record["seconds_per_epoch"] > 0 and record["peak_rss_mb"] > 0 and "torch" in record["versions"]
    assert (work_dir(root, run) / "last.pt").is_file()
    assert (root / "work" / ".gitignore").read_text().strip().endswith("*")

    # finished: skipped without running anything
    calls = []
    monkeypatch.setattr(runner, "execute", lambda *a, **k: calls.append(a))
    again = run_all(runs, root, log=lambda _: None)
    assert calls == [] and again[0].state == "done"
    monkeypatch.undo()

    # killed after its last checkpoint but before the JSON: resumed from last.pt, JSON written
    result_path(root, run).unlink()
    assert run_state(root, run) == "resume"
    redone = execute(run, root)
    assert redone["resumed"] is True and redone["epochs_run"] == 3
    # both calls are named: the one that trained epochs 0-2 and the one that only wrote the JSON
    assert [c["epochs"] for c in redone["calls"]] == [[0, 2], []]
    assert all("torch" in c["versions"] for c in redone["calls"])
    assert result_path(root, run).is_file()

    # a torn JSON (kill during a non-atomic write elsewhere) does not count as finished
    result_path(root, run).write_text('{"status": "fini')
    assert run_state(root, run) == "resume"

    # killed before any checkpoint: the leftover folder is wiped and the run starts over
    result_path(root, run).unlink()
    (work_dir(root, run) / "last.pt").unlink()
    (work_dir(root, run) / "junk.txt").write_text("partial")
    assert run_state(root, run) == "fresh"
    fresh = execute(run, root)
    assert fresh["resumed"] is False and not (work_dir(root, run) / "junk.txt").exists()
    assert [c["epochs"] for c in fresh["calls"]] == [[0, 2]]  # a fresh start forgets the wiped folder's calls
    assert json.loads(result_path(root, run).read_text())["epochs_run"] == 3


def test_more_epochs_continue_a_finished_run_and_other_changes_restart(tiny_inter, tmp_path):
    table = tiny_table(tiny_inter)
    root = tmp_path / "out"
    (short,), _ = expand_runs(table, seeds=1, only=["mf"])
    execute(short, root)
    (threads,), _ = expand_runs(table, seeds=1, only=["mf"], overrides={"train": {"threads": 1}})
    assert run_state(root, threads) == "done"  # runtime settings do not change the result
    (longer,), _ = expand_runs(table, seeds=1, only=["mf"], overrides={"train": {"epochs": 5}})
    assert run_state(root, longer) == "resume"
    rec = execute(longer, root)
    assert rec["resumed"] is True and rec["epochs_run"] == 5
    assert [h["epoch"] for h in rec["history"]] == [0, 1, 2, 3, 4]
    assert [c["epochs"] for c in rec["calls"]] == [[0, 2], [3, 4]]
    assert len(read_history(work_dir(root, longer) / "log.jsonl")) == 5
    (other,), _ = expand_runs(table, seeds=1, only=["mf"], overrides={"train": {"lr": 0.01}})
    assert run_state(root, other) == "fresh"


def test_early_stopped_run_is_done_even_when_more_epochs_are_asked(tiny_inter, tmp_path):
    table = tiny_table(tiny_inter)
    root = tmp_path / "out"
    (run,), _ = expand_runs(table, seeds=1, only=["mf"])
    execute(run, root)
    rec = json.loads(result_path(root, run).read_text())
    rec["result"]["stopped"] = "early_stop"
    result_path(root, run).write_text(json.dumps(rec))
    (longer,), _ = expand_runs(table, seeds=1, only=["mf"], overrides={"train": {"epochs": 50}})
    assert run_state(root, longer) == "done"


def test_time_budget_run_stands_for_no_larger_budget_and_continues_with_more(tiny_inter, tmp_path):
    table = tiny_table(tiny_inter)
    root = tmp_path / "out"

    def with_budget(minutes):
        train = {} if minutes is None else {"train": {"max_minutes": minutes}}
        (run,), _ = expand_runs(table, seeds=1, only=["mf"], overrides=train)
        return run

    execute(with_budget(60), root)
    rec = json.loads(result_path(root, with_budget(60)).read_text())
    rec["result"]["stopped"] = "time_budget"
    result_path(root, with_budget(60)).write_text(json.dumps(rec))
    assert run_key(with_budget(60)) == run_key(with_budget(None))  # the budget is not the experiment
    assert run_state(root, with_budget(60)) == run_state(root, with_budget(30)) == "done"
    assert run_state(root, with_budget(90)) == run_state(root, with_budget(None)) == "resume"
    (work_dir(root, with_budget(None)) / "last.pt").unlink()  # a new machine: no checkpoint left
    assert run_state(root, with_budget(None)) == "fresh"


def test_a_failing_run_is_reported_and_the_others_go_on(tiny_inter, tmp_path):
    table = tiny_table(tiny_inter, cells=[{"id": "bad", "config": {"model": "mf", "params": {"dimm": 3}}},
                                          {"id": "ok", "config": {"model": "mf"}}])
    runs, _ = expand_runs(table, seeds=1)
    out = run_all(runs, tmp_path, log=lambda _: None)
    errors = {o.run.cell: o.error for o in out}
    assert "unknown key 'dimm'" in errors["bad"] and errors["ok"] is None


def test_a_run_another_process_trains_is_left_to_it_and_a_killed_holder_frees_it(tiny_inter, tmp_path):
    """Two calls sharing a run must not train it into the same folder; a kill -9 leaves no stale lock."""
    import os
    import signal
    import subprocess
    import sys

    from graphcl.reproduce.lock import RunInProgress, hold_run_lock, lock_holder
    from graphcl.reproduce.plan import plan

    table = tiny_table(tiny_inter)
    runs, _ = expand_runs(table, seeds=1)
    mf = next(r for r in runs if r.cell == "mf")
    root = tmp_path / "out"
    with hold_run_lock(root / "work", mf.run_id):
        assert lock_holder(root / "work", mf.run_id) == f"process {os.getpid()}"
        assert {r.run_id: r.state for r in plan(runs, root)}[mf.run_id] == "running"
        with pytest.raises(RunInProgress, match=f"being trained by process {os.getpid()}"):
            execute(mf, root)
        lines = []
        out = {o.run.cell: o for o in run_all(runs, root, log=lines.append)}
        assert out["mf"].state == "running" and out["mf"].error is None and out["mf"].record is None
        assert not result_path(root, mf).exists() and out["lightgcn"].record["status"] == "finished"
        assert any("being trained by process" in line for line in lines)
        assert any("1 being trained by other processes, 1 to run" in line for line in lines)
    assert lock_holder(root / "work", mf.run_id) is None
    assert run_all([mf], root, log=lambda _: None)[0].record["status"] == "finished"
    with hold_run_lock(root / "work", mf.run_id):
        assert execute(mf, root)["status"] == "finished"  # a finished run is read, not trained: no lock

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from graphcl.reproduce.lock import hold_run_lock\n"
         "with hold_run_lock(Path(sys.argv[1]), 'x'):\n print('held', flush=True); time.sleep(60)",
         str(root / "work")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert lock_holder(root / "work", "x") == f"process {holder.pid}"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_holder(root / "work", "x") is None  # the kernel dropped the dead holder's lock


def test_a_run_whose_twin_another_table_is_training_is_left_to_it(tiny_inter, tmp_path):
    """The lock is per table folder; a twin being trained in another table's folder is seen too."""
    import os

    from graphcl.reproduce.lock import RunInProgress, hold_run_lock
    from graphcl.reproduce.plan import plan

    out = tmp_path / "out"
    (first,), _ = expand_runs(tiny_table(tiny_inter), seeds=1, only=["mf"])
    wd = work_dir(out / "tiny", first)  # table "tiny" is training it: key written, two epochs logged
    wd.mkdir(parents=True)
    (wd / "key").write_text(run_key(first) + "\n")
    (wd / "log.jsonl").write_text("".join(json.dumps({"epoch": e, "seconds": 30.0}) + "\n" for e in range(2)))
    second = tiny_table(tiny_inter, name="other",
                        cells=[{"id": "mf-again", "config": {"model": "mf"}},
                               {"id": "mf-lr", "config": {"model": "mf", "train": {"lr": 0.5}}}])
    runs, _ = expand_runs(second, seeds=1)
    again = next(r for r in runs if r.cell == "mf-again")
    other = out / "other"
    with hold_run_lock(out / "tiny" / "work", first.run_id):
        rows = {r.run_id: r for r in plan(runs, other)}
        assert rows[again.run_id].state == "running" and rows[again.run_id].epochs_done == 2
        assert rows[again.run_id].measured_on == "tiny/mf__honest__seed7"
        assert rows[again.run_id].seconds_per_epoch == 30.0
        assert rows["mf-lr__honest__seed7"].state == "fresh"  # another config: not the same experiment
        with pytest.raises(RunInProgress, match=f"same experiment as tiny/mf__honest__seed7, which is being "
                                                f"trained by process {os.getpid()}"):
            execute(again, other)
        lines = []
        outcomes = {o.run.cell: o for o in run_all(runs, other, log=lines.append)}
        assert outcomes["mf-again"].state == "running" and outcomes["mf-again"].record is None
        assert not result_path(other, again).exists()
        assert outcomes["mf-lr"].record["status"] == "finished"
        assert any("same experiment as tiny/mf__honest__seed7 is being trained by process" in line for line in lines)
    # once the holder is gone (killed: no record), the run is this table's to train
    assert run_all([again], other, log=lambda _: None)[0].record["status"] == "finished"


def test_shipped_tables_parse(monkeypatch):
    from graphcl.reproduce.spec import list_tables

    tables = {t.name: t for t in list_tables()}
    assert {"ml100k", "lightgcn-gowalla"} <= set(tables)
    mf = tables["ml100k"].cell("bpr-mf")
    assert mf.published["recall@10"] == 0.2368 and mf.config["model"] == "mf"
    assert load_table("ml100k").name == "ml100k"
    with pytest.raises(ConfigError, match="unknown table 'nope'"):
        load_table("nope")


def test_clustering_and_hetero_adapters_map_results(monkeypatch, tmp_path):
    """The adapters turn each task's own result into ``test`` metrics (in %, as the papers print)."""
    import graphcl.cli.hetero as hetero
    import graphcl.tasks.cluster as cluster
    from graphcl.reproduce.tasks import get_task

    clustering = get_task("clustering")
    cfg = clustering.prepare({"dataset": "acm", "model": "pamc"}, "honest", 3)
    assert cfg == {"dataset": "acm", "model": "pamc", "seed": 3}
    with pytest.raises(ConfigError, match="only the honest protocol"):
        clustering.prepare({}, "paper", 3)
    seen = {}

    def fake_cluster_once(data, c, seed, device="cpu", out_dir=None):
        seen.update(data=data, seed=seed, epochs=c.train.epochs, out_dir=out_dir)
        return {"acc": 0.9, "nmi": 0.7, "ari": 0.75, "f1": 0.5, "epochs": 4, "stopped": "time_budget",
                "seconds_per_epoch": 0.1, "pretrain_seconds": 2.0, "pred": np.zeros(3)}

    monkeypatch.setattr(cluster, "cluster_once", fake_cluster_once)
    monkeypatch.setattr(cluster, "load_node_dataset", lambda name: f"data:{name}")
    res = clustering.run(merge_train(cfg, epochs=4), tmp_path, resume=False)
    assert seen == {"data": "data:acm", "seed": 3, "epochs": 4, "out_dir": tmp_path}
    assert res["test"] == pytest.approx({"acc": 90.0, "nmi": 70.0, "ari": 75.0, "f1": 50.0})
    assert res["epochs_run"] == 4 and res["best_epoch"] == 3 and res["extra"]["pretrain_seconds"] == 2.0
    assert res["stopped"] == "time_budget"
    # the clustering loop's own TrainConfig keeps the cell's time budget
    budgeted = from_dict(cluster.ClusterConfig, {"train": {"max_minutes": 5}})
    assert cluster._train_config(budgeted, 3, torch.device("cpu")).max_minutes == 5

    scores = {"macro_f1": 88.0, "micro_f1": 87.0, "auc": 96.0, "macro_f1_std": 1.0, "micro_f1_std": 0.5,
              "auc_std": 0.2, "val_micro_f1": 86.0, "standardized": 1.0}
    resumed = []
    monkeypatch.setattr(hetero, "run", lambda c, out_dir, resume: resumed.append(resume) or {
        "classification": {"20": scores, "40": scores, "60": scores}, "clustering": {"nmi": 60.0, "ari": 55.0},
        "best_epoch": 9, "epochs_run": 15, "stopped": "early_stop", "seconds_per_epoch": 0.3})
    het = get_task("hetero")
    res = het.run(het.prepare({"model": "heco", "dataset": "acm"}, "honest", 1), tmp_path, resume=True)
    assert res["test"]["micro_f1@40"] == 87.0 and res["test"]["auc@60"] == 96.0 and res["test"]["nmi"] == 60.0
    assert len(res["test"]) == 11 and res["probe_std"]["micro_f1@20"] == 0.5 and res["best_epoch"] == 9
    assert resumed == [True] and res["extra"] == {f"{m}@{k}": v for k in ("20", "40", "60")
                                                  for m, v in (("val_micro_f1", 86.0), ("standardized", 1.0))}


def merge_train(cfg, **train):
    return dict(cfg, train=dict(cfg.get("train", {}), **train))


PLAN_TABLE = {"name": "plan", "title": "Plan", "task": "recommendation", "metrics": ["recall@20"],
              "seeds": [1, 2, 3], "base": {"dataset": "ml-100k", "train": {"epochs": 100}},
              "cells": [{"id": "a", "config": {"model": "mf"}}, {"id": "b", "config": {"model": "lightgcn"}}]}


def test_plan_measures_speed_and_borrows_it_within_a_cell(tmp_path):
    """--plan: epochs done and hours left from the run's own log, else from another run of its cell."""
    from graphcl.reproduce.plan import format_plan, plan

    table = from_dict(TableSpec, PLAN_TABLE)
    root = tmp_path / "out" / "plan"  # a table's folder in a results folder, as the CLI lays it out
    runs, _ = expand_runs(table)
    by = {r.run_id: r for r in runs}
    killed, sibling, done = by["a__honest__seed1"], by["a__honest__seed2"], by["a__honest__seed3"]
    wd = work_dir(root, killed)
    wd.mkdir(parents=True)
    (wd / "key").write_text(run_key(killed) + "\n")
    (wd / "last.pt").write_bytes(b"")
    # 4 epochs of 10 s, validation (6 s) every other epoch: 13 s per epoch on average
    (wd / "log.jsonl").write_text("".join(
        json.dumps({"epoch": e, "seconds": 10.0, **({"eval_seconds": 6.0} if e % 2 else {})}) + "\n"
        for e in range(4)))
    write_json_atomic({"status": "finished", "key": run_key(done), "config": done.config, "epochs_run": 40,
                       "result": {"stopped": "early_stop", "epochs_run": 40},
                       "history": [{"epoch": e, "seconds": 5.0} for e in range(40)]}, result_path(root, done))
    # A finished run is its record: a leftover log in its work folder (a later smoke run) must not count.
    work_dir(root, done).mkdir(parents=True)
    (work_dir(root, done) / "log.jsonl").write_text(json.dumps({"epoch": 0, "seconds": 99.0}) + "\n")
    rows = {r.run_id: r for r in plan(runs, root)}
    k = rows[killed.run_id]
    assert (k.state, k.epochs_done, k.epoch_cap, k.measured_on) == ("resume", 4, 100, "this run")
    assert k.seconds_per_epoch == pytest.approx(13.0)
    assert k.remaining_hours == pytest.approx(96 * 13.0 / 3600)
    assert k.expected_hours == pytest.approx(36 * 13.0 / 3600)  # the cell's finished run ran 40 epochs
    t = rows[sibling.run_id]
    assert (t.state, t.epochs_done, t.measured_on) == ("fresh", 0, killed.run_id)
    assert t.remaining_hours == pytest.approx(100 * 13.0 / 3600)
    assert k.minutes_trained == pytest.approx(52 / 60) and t.minutes_trained == 0.0
    d = rows[done.run_id]
    assert (d.state, d.epochs_done, d.remaining_hours) == ("done", 40, 0.0)
    assert d.seconds_per_epoch == pytest.approx(5.0) and d.minutes_trained == pytest.approx(200 / 60)
    b = rows["b__honest__seed1"]
    assert b.seconds_per_epoch is None and b.remaining_hours is None
    text = format_plan(list(rows.values()))
    assert "3 run(s) without a measured speed" in text and "a__honest__seed1" in text
    assert re.split(r"\s{2,}", text.splitlines()[0])[:4] == ["run", "state", "epochs", "trained (min)"]
    # the minutes trained are rounded down, so that a budget of that many ends the run without an epoch
    assert [line.split()[3] for line in text.splitlines()[1:4]] == ["0", "–", "3"]


def test_plan_stops_hours_left_at_the_unspent_budget(tmp_path):
    """A run's ``train.max_minutes`` covers all its sessions: the plan subtracts what its log spent."""
    from graphcl.reproduce.plan import plan

    table = from_dict(TableSpec, PLAN_TABLE)
    root = tmp_path / "out" / "plan"
    runs, _ = expand_runs(table, overrides={"train": {"max_minutes": 2}}, only=["a"])
    killed = runs[0]
    wd = work_dir(root, killed)
    wd.mkdir(parents=True)
    (wd / "key").write_text(run_key(killed) + "\n")
    (wd / "last.pt").write_bytes(b"")
    (wd / "log.jsonl").write_text("".join(json.dumps({"epoch": e, "seconds": 13.0}) + "\n" for e in range(4)))
    rows = {r.run_id: r for r in plan(runs, root)}
    assert rows[killed.run_id].remaining_hours == pytest.approx((120 - 52) / 3600)  # not 96 epochs' worth
    assert rows[runs[1].run_id].remaining_hours == pytest.approx(120 / 3600)  # fresh: the whole budget


def test_a_run_finished_in_another_table_is_copied_not_retrained(tiny_inter, tmp_path, monkeypatch):
    """Table 2's LightGCN cells are table 1's honest cells: one training serves both tables."""
    from graphcl.reproduce.plan import plan

    first = tiny_table(tiny_inter)
    (done,), _ = expand_runs(first, seeds=1, only=["mf"])
    out = tmp_path / "out"
    execute(done, out / "tiny")
    second = tiny_table(tiny_inter, name="other",
                        cells=[{"id": "mf-again", "config": {"model": "mf"}},
                               {"id": "mf-lr", "config": {"model": "mf", "train": {"lr": 0.5}}}])
    runs, _ = expand_runs(second, seeds=1)
    rows = {r.run_id: r for r in plan(runs, out / "other")}
    assert (rows["mf-again__honest__seed7"].state, rows["mf-again__honest__seed7"].remaining_hours) == ("twin", 0.0)
    assert rows["mf-again__honest__seed7"].measured_on == "tiny/mf__honest__seed7"
    assert rows["mf-lr__honest__seed7"].state == "fresh"  # another config: not the same experiment

    calls = []
    monkeypatch.setattr(runner, "execute", lambda run, *a, **k: calls.append(run.cell) or {})
    logged = []
    outcomes = {o.run.cell: o for o in run_all(runs, out / "other", log=logged.append)}
    assert calls == ["mf-lr"] and outcomes["mf-again"].state == "done"
    copied = json.loads((out / "other" / "runs" / "mf-again__honest__seed7.json").read_text())
    original = json.loads(result_path(out / "tiny", done).read_text())
    assert copied["same_run_as"] == "tiny/mf__honest__seed7" and copied["cell"] == "mf-again"
    assert copied["result"] == original["result"] and copied["table"] == "other"
    assert any("same experiment as tiny/mf__honest__seed7" in line for line in logged)


def test_a_fresh_run_continues_its_twins_checkpoint_in_the_twins_folder(tiny_inter, tmp_path, monkeypatch):
    """Asked for more than another table's copy ran, a run continues that copy's checkpoint instead of
    training the experiment again from epoch 0 (table 1's honest LightGCN cells are table 2's runs)."""
    from graphcl.reproduce.plan import plan

    out = tmp_path / "out"
    (first,), _ = expand_runs(tiny_table(tiny_inter), seeds=1, only=["mf"], overrides={"train": {"epochs": 2}})
    execute(first, out / "tiny")
    second = tiny_table(tiny_inter, name="other", cells=[{"id": "mf-again", "config": {"model": "mf"}}])
    (again,), _ = expand_runs(second, seeds=1)  # 3 epochs: the twin's 2-epoch record does not cover it
    assert run_state(out / "other", again) == "fresh"
    (row,) = plan([again], out / "other")
    assert (row.state, row.epochs_done, row.measured_on) == ("resume", 2, "tiny/mf__honest__seed7")

    lines = []
    (outcome,) = run_all([again], out / "other", log=lines.append)
    rec = outcome.record
    assert rec["trained_in"] == "tiny/mf__honest__seed7" and rec["resumed"] and rec["epochs_run"] == 3
    assert [h["epoch"] for h in rec["history"]] == [0, 1, 2]  # the twin's two epochs, then one more
    assert not work_dir(out / "other", again).exists()
    assert any("continues the checkpoint of the same experiment in tiny/mf__honest__seed7" in x for x in lines)
    (longer,), _ = expand_runs(tiny_table(tiny_inter), seeds=1, only=["mf"])
    assert run_state(out / "tiny", longer) == "resume"  # its own record is the 2-epoch one...
    calls = []
    monkeypatch.setattr(runner, "execute", lambda run, *a, **k: calls.append(run.cell) or {})
    (back,) = run_all([longer], out / "tiny", log=lambda _: None)
    assert calls == [] and back.record["result"] == rec["result"]  # ...and the 3-epoch one is copied back
    monkeypatch.undo()

    # the twin's folder lost its checkpoint between the plan and the lock: train in the run's own folder
    twin_wd = work_dir(out / "tiny", first)
    monkeypatch.setattr(runner, "training_folder", lambda root, run, state: (twin_wd, "resume"))
    (twin_wd / "last.pt").unlink()
    (third,), _ = expand_runs(second, seeds=1, overrides={"train": {"epochs": 4}})
    rec = execute(third, out / "other")
    assert "trained_in" not in rec and not rec["resumed"] and rec["epochs_run"] == 4


def test_a_run_whose_checkpoint_is_gone_restarts_and_says_how_far_its_record_got(tiny_inter, tmp_path):
    """A new machine: the records of budget-cut runs are committed, their checkpoints are not. Asked
    for a larger budget, such a run trains again from epoch 0; the plan and the runner say so, with the
    record's speed and epochs, and the record stays until a run of it trains further."""
    from graphcl.reproduce.plan import format_plan, plan

    out = tmp_path / "out"
    table = tiny_table(tiny_inter)

    def with_budget(minutes):
        (run,), _ = expand_runs(table, seeds=1, only=["mf"], overrides={"train": {"max_minutes": minutes}})
        return run

    execute(with_budget(0.5), out / "tiny")
    path = result_path(out / "tiny", with_budget(0.5))
    rec = json.loads(path.read_text())
    rec["result"]["stopped"] = "time_budget"
    rec["history"] = [dict(h, seconds=30.0, eval_seconds=6.0) for h in rec["history"]]
    path.write_text(json.dumps(rec))
    shutil.rmtree(out / "tiny" / "work")  # the checkpoint stayed on the machine that wrote it

    (row,) = plan([with_budget(1)], out / "tiny")
    assert (row.state, row.epochs_done, row.measured_on) == ("restart", 0, "tiny/mf__honest__seed7")
    assert row.seconds_per_epoch == pytest.approx(36.0)
    assert row.remaining_hours == pytest.approx(60 / 3600)  # the whole minute: it counts from zero again
    assert "ran it to epoch 3, cut by its 0.5-minute budget" in format_plan([row])
    assert plan([with_budget(0.5)], out / "tiny")[0].state == "done"

    # another table's copy of the experiment: the twin's record is the one named
    other = tiny_table(tiny_inter, name="other", cells=[{"id": "mf-again", "config": {"model": "mf"}}])
    (again,), _ = expand_runs(other, seeds=1, overrides={"train": {"max_minutes": 1}})
    (row,) = plan([again], out / "other")
    assert (row.state, row.measured_on) == ("restart", "tiny/mf__honest__seed7")

    lines = []
    (outcome,) = run_all([with_budget(1)], out / "tiny", log=lines.append)
    assert any("restarts from epoch 0: tiny/mf__honest__seed7 ran it to epoch 3, cut by its 0.5-minute budget" in x
               for x in lines)
    new = outcome.record
    assert not new["resumed"] and [h["epoch"] for h in new["history"]] == [0, 1, 2]
    assert new["result"]["stopped"] != "time_budget" and json.loads(path.read_text()) == new


def stop_after(monkeypatch, epochs):
    """Make every run's time budget run out once it has trained ``epochs`` epochs (a machine's speed)."""
    from graphcl.train.trainer import Trainer

    monkeypatch.setattr(Trainer, "_out_of_time",
                        lambda self, before, this_call, this_epochs, done_before: this_epochs + done_before >= epochs)


def test_of_two_budget_cut_runs_the_one_that_trained_further_stands(tiny_inter, tmp_path, monkeypatch):
    """Budgets are minutes, and minutes buy different numbers of epochs on different machines: a run
    restarted on a new machine replaces its record only once it has trained further, and a run that
    got past its record can be ended with a spent budget; another table's copy follows it."""
    from graphcl.reproduce.plan import plan

    out = tmp_path / "out"
    table = tiny_table(tiny_inter, base={**tiny_table(tiny_inter).base, "train": {
        "epochs": 8, "batch_size": 64, "patience": 0, "metric": "ndcg@5", "progress": False}})
    other = tiny_table(tiny_inter, name="other", base=table.base,
                       cells=[{"id": "mf-again", "config": {"model": "mf"}}])

    def with_budget(minutes, in_table=table):
        (run,), _ = expand_runs(in_table, seeds=1, only=() if in_table is other else ["mf"],
                                overrides={"train": {"max_minutes": minutes}})
        return run

    path = result_path(out / "tiny", with_budget(10))
    stop_after(monkeypatch, 4)
    first = execute(with_budget(10), out / "tiny")
    assert (first["epochs_run"], first["result"]["stopped"]) == (4, "time_budget")
    (twin,) = [o.record for o in run_all([with_budget(10, other)], out / "other", log=lambda _: None)]
    assert twin["same_run_as"] == "tiny/mf__honest__seed7"
    shutil.rmtree(out / "tiny" / "work")  # a new machine, slower: 20 minutes give it 2 epochs
    stop_after(monkeypatch, 2)
    lines = []
    kept = execute(with_budget(20), out / "tiny", log=lines.append)
    assert kept == first == json.loads(path.read_text())  # the shorter restart does not replace the record
    assert any("kept its record (epoch 4, cut by its 10-minute budget); this call's run ended at epoch 2" in x
               for x in lines)
    assert run_state(out / "tiny", with_budget(5)) == "done"  # the checkpoint's 2 epochs are behind the record
    assert run_state(out / "tiny", with_budget(20)) == "resume"

    stop_after(monkeypatch, 6)  # continued, it passes the record; the session ends before the record is written
    execute(with_budget(20), out / "tiny")
    path.write_text(json.dumps(first))
    assert run_state(out / "tiny", with_budget(5)) == "resume"  # its record covers 5 minutes, its checkpoint is further
    (row,) = plan([with_budget(5)], out / "tiny")
    assert (row.state, row.epochs_done) == ("resume", 6)
    monkeypatch.undo()  # the trainer's own budget check from here on
    spent = row.minutes_trained  # a budget it has spent: no more epochs, test scored, record written
    ended = execute(with_budget(spent), out / "tiny")
    assert (ended["epochs_run"], ended["resumed"], ended["result"]["stopped"]) == (6, True, "time_budget")
    assert [h["epoch"] for h in ended["history"]] == list(range(6))
    assert json.loads(path.read_text()) == ended and run_state(out / "tiny", with_budget(spent)) == "done"

    # the other table's copy is the 4-epoch record; its own record covers the call, the twin trained further
    assert run_state(out / "other", with_budget(spent, other)) == "done"
    (row,) = plan([with_budget(spent, other)], out / "other")
    assert (row.state, row.epochs_done) == ("twin", 6)
    lines = []
    (outcome,) = run_all([with_budget(spent, other)], out / "other", log=lines.append)
    assert outcome.record["result"] == ended["result"] and outcome.record["epochs_run"] == 6
    assert any("trained further than this table's record; its record is copied" in x for x in lines)
