"""`graphcl reproduce` end to end: --list, errors, a quick table, parallel jobs, pending tables."""
import json

import numpy as np
import pytest
import yaml

import graphcl.cli.reproduce as cli_reproduce
from graphcl.cli import main


def write_tiny_inter(tmp_path, seed: int, items: int, per_user: int):
    """A RecBole .inter file: 30 users, each with ``per_user`` distinct random items."""
    rng = np.random.default_rng(seed)
    inter = tmp_path / "tiny.inter"
    inter.write_text("user_id:token\titem_id:token\n" + "".join(
        f"u{u}\ti{i}\n" for u in range(30) for i in rng.choice(items, size=per_user, replace=False)))
    return inter


def test_list_names_the_tables(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "ml100k" in out and "lightgcn-gowalla" in out


@pytest.mark.parametrize("args, message", [
    (["nope"], "unknown table 'nope'"),
    ([], "name a table"),
    (["ml100k", "--jobs", "0"], "--jobs must be >= 1"),
    (["ml100k", "--only", "sgl-typo"], "--only 'sgl-typo'"),
])
def test_bad_input_is_one_clear_line(args, message, capsys, tmp_path):
    assert main(["reproduce", "--out", str(tmp_path)] + args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.slow
def test_quick_ml100k_runs_and_reports(tmp_path, capsys):
    code = main(["reproduce", "ml100k", "--quick", "--out", str(tmp_path), "--set", "train.threads=1"])
    assert code == 0
    md = (tmp_path / "ml100k-quick.md").read_text()
    assert "Quick smoke run" in md and "| BPR-MF (LightGCN, 0 layers) | honest | recall@10 | 0.2368 |" in md
    runs = sorted(p.name for p in (tmp_path / "ml100k-quick" / "runs").glob("*.json"))
    cells = ["bpr-mf", "lightgcl", "lightgcl-anchors", "lightgcl-clip", "lightgcn", "pop", "sgl", "simgcl", "xsimgcl"]
    assert runs == sorted(f"{c}__honest__seed2020.json" for c in cells)
    rec = json.loads((tmp_path / "ml100k-quick" / "runs" / "bpr-mf__honest__seed2020.json").read_text())
    assert rec["epochs_run"] == 2 and len(rec["history"]) == 2
    assert (tmp_path / "ml100k-quick" / "plots" / "bars.png").is_file()
    # a second call finds everything finished
    capsys.readouterr()
    assert main(["reproduce", "ml100k", "--quick", "--out", str(tmp_path)]) == 0
    assert f"{len(cells)} runs: {len(cells)} finished already, 0 to run" in capsys.readouterr().out
    # --plan reads the same state and runs nothing
    assert main(["reproduce", "ml100k", "--quick", "--out", str(tmp_path), "--plan"]) == 0
    plan_lines = capsys.readouterr().out.splitlines()
    assert sum(" done " in line and line.startswith(tuple(cells)) for line in plan_lines) == len(cells)
    assert plan_lines[-1].startswith(f"total (one process per run): 0.0 hours to the caps or budgets over {len(cells)} runs")


@pytest.mark.slow
def test_parallel_jobs_run_each_run_in_its_own_process(tmp_path):
    inter = write_tiny_inter(tmp_path, seed=1, items=25, per_user=10)
    table = {"name": "tiny", "title": "Tiny", "task": "recommendation", "metrics": ["recall@5"],
             "seeds": [1, 2],
             "base": {"dataset": str(inter), "model": "mf",
                      "train": {"epochs": 2, "batch_size": 64, "metric": "recall@5", "progress": False},
                      "eval": {"ks": [5], "metrics": ["recall"]}, "params": {"dim": 4}},
             "cells": [{"id": "mf", "published": {"recall@5": 0.3}}]}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(table))
    assert main(["reproduce", str(path), "--jobs", "2", "--out", str(tmp_path / "res")]) == 0
    recs = [json.loads(p.read_text()) for p in sorted((tmp_path / "res" / "tiny" / "runs").glob("*.json"))]
    assert [r["seed"] for r in recs] == [1, 2]
    assert all(r["memory_scope"] == "run" for r in recs)
    assert "| mf | honest | recall@5 | 0.3000 |" in (tmp_path / "res" / "tiny.md").read_text()


def test_pending_table_lists_published_numbers_without_running(tmp_path):
    table = {"name": "later", "title": "Later", "task": "recommendation", "status": "pending",
             "metrics": ["acc"], "notes": "needs the clustering models",
             "cells": [{"id": "sdcn", "published": {"acc": 0.9}, "source": "SDCN paper, Table 3"}]}
    path = tmp_path / "later.yaml"
    path.write_text(yaml.safe_dump(table))
    assert main(["reproduce", str(path), "--out", str(tmp_path)]) == 0
    md = (tmp_path / "later.md").read_text()
    assert "Status: pending" in md and "| sdcn | – | acc | 0.9000 | – | – | not run |" in md


@pytest.mark.slow
@pytest.mark.parametrize("table", ["lightgcn-gowalla", "gcl-gowalla", "sdcn-clustering", "heco"])
def test_quick_smoke_of_every_data_table(table, tmp_path, capsys):
    """Every shipped table runs with --quick; without GRAPHCL_DATA its cells are skipped with a note."""
    assert main(["reproduce", table, "--quick", "--out", str(tmp_path), "--set", "train.threads=1"]) == 0
    md = (tmp_path / f"{table}-quick.md").read_text()
    out = capsys.readouterr().out
    assert "Quick smoke run" in md
    if "skipped, needs" in out:
        assert "## Skipped here" in md
    else:
        assert list((tmp_path / f"{table}-quick" / "runs").glob("*.json"))


def test_report_of_a_partial_call_keeps_the_whole_table(tmp_path, capsys):
    """`--only B --seeds 1` runs B's first seed; the report still lists A's finished runs and B's other seed."""
    inter = write_tiny_inter(tmp_path, seed=0, items=20, per_user=8)
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "tiny.yaml").write_text(yaml.safe_dump({
        "name": "tiny", "title": "Tiny", "task": "recommendation", "metrics": ["recall@5"], "seeds": [1, 2],
        "base": {"dataset": str(inter), "train": {"epochs": 1, "batch_size": 64, "progress": False, "metric": "recall@5"},
                 "eval": {"ks": [5], "metrics": ["recall"]}, "params": {"dim": 8}},
        "cells": [{"id": "a", "label": "A", "config": {"model": "mf"}},
                  {"id": "b", "label": "B", "config": {"model": "mf", "params": {"dim": 4}}}]}))
    out = tmp_path / "out"
    common = ["--tables", str(tables), "--out", str(out), "--set", "train.threads=1"]
    assert main(["reproduce", "tiny", "--only", "a"] + common) == 0
    assert main(["reproduce", "tiny", "--only", "b", "--seeds", "1"] + common) == 0
    md = (out / "tiny.md").read_text()
    assert "| A | honest | 2/2 |" in md  # not run by the last call, still reported
    assert "| B | honest | 1/2 |" in md and "1 not run yet" in md


def test_report_after_a_run_reads_the_yaml_as_it_is_now(tmp_path, monkeypatch, capsys):
    """Notes edited while a run trains reach the report it writes; a YAML broken meanwhile falls back."""
    inter = write_tiny_inter(tmp_path, seed=2, items=20, per_user=8)
    table = {"name": "tiny", "title": "Tiny", "task": "recommendation", "metrics": ["recall@5"], "seeds": [1],
             "notes": "written before the run",
             "base": {"dataset": str(inter), "model": "mf",
                      "train": {"epochs": 1, "batch_size": 64, "progress": False, "metric": "recall@5"},
                      "eval": {"ks": [5], "metrics": ["recall"]}, "params": {"dim": 4}},
             "cells": [{"id": "mf"}]}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(table))
    run_all = cli_reproduce.run_all
    edits = iter([yaml.safe_dump({**table, "notes": "edited during the run"}), "cells: [unclosed\n"])

    def run_then_edit(*args, **kwargs):
        outcomes = run_all(*args, **kwargs)
        path.write_text(next(edits))
        return outcomes

    monkeypatch.setattr(cli_reproduce, "run_all", run_then_edit)
    out = tmp_path / "out"
    common = ["reproduce", str(path), "--out", str(out), "--set", "train.threads=1"]
    assert main(common) == 0
    md = (out / "tiny.md").read_text()
    assert "edited during the run" in md and "written before the run" not in md
    assert main(common) == 0  # the run is done: skipped, then the YAML breaks
    md = (out / "tiny.md").read_text()
    assert "edited during the run" in md
    assert "its YAML no longer loads" in capsys.readouterr().out
