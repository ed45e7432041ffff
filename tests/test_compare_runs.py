"""experiments/compare_runs.py: a re-run compared with the record, run JSON by run JSON."""
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "compare_runs.py"


@pytest.fixture(scope="module")
def compare_runs():
    spec = importlib.util.spec_from_file_location("compare_runs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(recall: float, best: int = 3, epochs: int = 8) -> dict:
    return {"best_epoch": best, "epochs_run": epochs,
            "result": {"test": {"recall@10": recall, "ndcg@10": 0.25}, "seconds_per_epoch": recall * 100,
                       "best_epoch": best, "epochs_run": epochs,
                       "stopped": "early_stop", "flag": True}}


def test_numeric_leaves_skip_timings_strings_and_bools(compare_runs):
    leaves = dict(compare_runs.numeric_leaves(_run(0.2)["result"]))
    assert leaves == {"test.recall@10": 0.2, "test.ndcg@10": 0.25, "best_epoch": 3, "epochs_run": 8}


def test_compare_reports_the_largest_difference_and_its_key(compare_runs):
    row = compare_runs.compare(_run(0.2), _run(0.2003, epochs=30))
    assert row["epochs_run"] == [8, 30]
    assert row["values_compared"] == 2  # epochs are their own columns, not a metric difference
    assert row["max_abs_diff"] == pytest.approx(0.0003)
    assert row["worst_key"] == "test.recall@10"
    same = compare_runs.compare(_run(0.2), _run(0.2))
    assert same["max_abs_diff"] == 0 and same["worst_key"] is None


def _write(folder: Path, runs: dict) -> None:
    (folder / "t" / "runs").mkdir(parents=True)
    for name, run in runs.items():
        (folder / "t" / "runs" / f"{name}.json").write_text(json.dumps(run))


def test_main_exits_1_when_a_run_differs_in_its_epochs(compare_runs, tmp_path, monkeypatch, capsys):
    _write(tmp_path / "record", {"a": _run(0.2), "b": _run(0.3), "c": _run(0.1)})
    _write(tmp_path / "rerun", {"a": _run(0.2), "b": _run(0.3, epochs=9)})
    out = tmp_path / "cmp.json"
    monkeypatch.setattr("sys.argv", ["compare_runs", "t", str(tmp_path / "rerun"), "--record",
                                     str(tmp_path / "record"), "--json", str(out)])
    with pytest.raises(SystemExit) as exit_:
        compare_runs.main()
    assert exit_.value.code == 1
    written = json.loads(out.read_text())
    assert written["differing"] == ["b"] and written["only_in_record"] == ["c"]
    assert "2 runs compared" in capsys.readouterr().out


def test_main_names_the_file_of_a_broken_json(compare_runs, tmp_path, monkeypatch):
    _write(tmp_path / "record", {"a": _run(0.2)})
    (tmp_path / "rerun" / "t" / "runs").mkdir(parents=True)
    (tmp_path / "rerun" / "t" / "runs" / "a.json").write_text('{"best_epoch": 3,\n oops}')
    monkeypatch.setattr("sys.argv", ["compare_runs", "t", str(tmp_path / "rerun"), "--record", str(tmp_path / "record")])
    with pytest.raises(SystemExit, match=r"a\.json: line 2: not valid JSON"):
        compare_runs.main()
