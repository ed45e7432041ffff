"""End to end: `graphcl train` on the bundled ml-100k, and clean errors for bad input."""
import json

import pytest

from graphcl.cli import main
from graphcl.tasks.recommend import RecConfig, run
from graphcl.config import from_dict


def test_lightgcn_beats_most_popular_on_ml100k(tmp_path):
    pop = run(from_dict(RecConfig, {"model": "pop"}))
    cfg = from_dict(RecConfig, {"model": "lightgcn", "train": {"epochs": 15, "progress": False, "lr": 5e-3}})
    res = run(cfg, out_dir=tmp_path)
    assert res["test"]["recall@20"] > 1.15 * pop["test"]["recall@20"], (res["test"], pop["test"])
    assert res["test"]["ndcg@20"] > pop["test"]["ndcg@20"]
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["best_epoch"] == res["best_epoch"] and "recall@20" in written["test"]
    # the saved run re-scores to the same test metrics
    assert main(["evaluate", "--checkpoint", str(tmp_path)]) == 0


def test_cli_train_writes_run_folder(tmp_path, capsys):
    code = main(["train", "--model", "mf", "--epochs", "2", "--quiet", "--out", str(tmp_path / "r"),
                 "--set", "eval.ks=[5]", "--set", "train.metric=recall@5"])
    assert code == 0
    out = capsys.readouterr().out
    assert "recall@5" in out and "ndcg@5" in out
    for f in ("metrics.json", "log.jsonl", "config.yaml", "best.pt", "last.pt"):
        assert (tmp_path / "r" / f).is_file()


@pytest.mark.parametrize("args, message", [
    (["--model", "nope"], "unknown model 'nope'"),
    (["--set", "params.layerz=3"], "params: unknown key 'layerz'"),
    (["--set", "train.epochs=abc"], "train.epochs: expected an integer"),
    (["--dataset", "/no/such/file.inter"], "/no/such/file.inter"),
])
def test_bad_input_is_one_clear_line(args, message, capsys, tmp_path):
    code = main(["train", "--quiet", "--out", str(tmp_path)] + args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_malformed_dataset_file_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "d"
    bad.mkdir()
    (bad / "train.txt").write_text("0 1 2\n1 2 oops\n")
    (bad / "test.txt").write_text("0 3\n")
    code = main(["train", "--quiet", "--dataset", str(bad), "--set", "data.format=lightgcn", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "train.txt, line 2: expected integer ids, found 'oops'" in err
