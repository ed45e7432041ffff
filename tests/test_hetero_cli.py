"""``graphcl hetero``: config validation before any data is read, and an end-to-end run."""
from __future__ import annotations

import json

import pytest

from graphcl.cli import main
from graphcl.cli.hetero import HeteroRunConfig
from graphcl.config import from_dict
from graphcl.errors import ConfigError


def test_bad_parameter_is_one_line_error(capsys, tmp_path):
    code = main(["hetero", "--model", "heco", "--dataset", "acm", "--set", "params.tau=-1", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "model.tau" in err and len(err.strip().splitlines()) == 1


def test_unknown_parameter_names_the_key(capsys):
    code = main(["hetero", "--model", "meow", "--dataset", "acm", "--set", "params.temperature=0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "temperature" in err


def test_missing_data_folder(capsys, monkeypatch):
    monkeypatch.delenv("GRAPHCL_DATA", raising=False)
    code = main(["hetero", "--model", "heco", "--dataset", "acm", "--epochs", "1"])
    assert code == 2 and "GRAPHCL_DATA" in capsys.readouterr().err


@pytest.mark.parametrize("select, metric, mode", [("train_loss", "val_micro_f1", "min"), ("train_loss", "train_loss", "max"),
                                                   ("val_probe", "recall@20", "max")])
def test_metric_conflicting_with_select_is_refused(select, metric, mode):
    # select decides the early-stopping signal; a train.metric/mode that disagrees used to be overwritten silently.
    with pytest.raises(ConfigError, match="conflicts with select"):
        from_dict(HeteroRunConfig, {"select": select, "train": {"metric": metric, "mode": mode}}, "config")


def test_select_sets_the_early_stopping_signal():
    cfg = from_dict(HeteroRunConfig, {"select": "val_probe"}, "config")
    assert (cfg.train.metric, cfg.train.mode) == ("val_micro_f1", "max")
    cfg = from_dict(HeteroRunConfig, {"select": "val_probe", "train": {"metric": "val_micro_f1", "mode": "max"}}, "config")
    assert (cfg.train.metric, cfg.train.mode) == ("val_micro_f1", "max")
    assert (from_dict(HeteroRunConfig, {}, "config").train.metric) == "train_loss"


@pytest.mark.slow
@pytest.mark.data
def test_heco_acm_end_to_end(data_root, tmp_path, capsys):
    out = tmp_path / "run"
    code = main([
        "hetero", "--model", "heco", "--dataset", "acm", "--data-dir", str(data_root), "--epochs", "2",
        "--threads", "1", "--quiet", "--set", "probe.runs=2", "--set", "probe.epochs=20", "--set", "cluster_runs=1",
        "--out", str(out),
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Macro-F1" in printed and "NMI" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["classification"]) == {"20", "40", "60"}
    assert metrics["epochs_run"] == 2 and 0 <= metrics["classification"]["20"]["micro_f1"] <= 100
    assert {"nmi", "ari"} <= set(metrics["clustering"])


@pytest.mark.slow
@pytest.mark.data
def test_meow_val_probe_selection_end_to_end(data_root, tmp_path):
    out = tmp_path / "meow"
    code = main([
        "hetero", "--model", "meow", "--dataset", "acm", "--data-dir", str(data_root), "--epochs", "2",
        "--threads", "1", "--quiet", "--set", "select=val_probe", "--set", "probe.runs=2", "--set", "probe.epochs=20",
        "--set", "cluster_runs=1", "--out", str(out),
    ])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["train"]["metric"] == "val_micro_f1" and metrics["config"]["train"]["mode"] == "max"
    assert 0 <= metrics["best_epoch"] <= 1


def test_resume_without_checkpoint_is_an_error(capsys, tmp_path):
    code = main(["hetero", "--model", "heco", "--dataset", "acm", "--data-dir", str(tmp_path), "--out", str(tmp_path / "x"), "--resume"])
    assert code == 2 and "last.pt" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.data
def test_resumed_run_continues_the_epoch_log(data_root, tmp_path):
    out = tmp_path / "run"
    common = ["hetero", "--model", "heco", "--dataset", "acm", "--data-dir", str(data_root), "--threads", "1", "--quiet",
              "--set", "probe.runs=2", "--set", "probe.epochs=20", "--set", "cluster_runs=1", "--out", str(out)]
    assert main(common + ["--epochs", "1"]) == 0
    assert main(common + ["--epochs", "3", "--resume"]) == 0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [0, 1, 2]  # epoch 0 kept, not retrained
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3


def test_config_file_names_the_model_and_dataset(tmp_path, capsys):
    import argparse

    from graphcl.cli.hetero import config_from_args

    path = tmp_path / "meow.yaml"
    path.write_text("model: meow\ndataset: dblp\nparams: {tau: 0.9, num_clusters: [20, 30]}\n")
    ns = dict(model=None, dataset=None, config=path, overrides=[], epochs=None, device=None, threads=None, data_dir=None, quiet=False)
    cfg = config_from_args(argparse.Namespace(**ns))
    assert (cfg.model, cfg.dataset, cfg.model_config().tau) == ("meow", "dblp", 0.9)
    code = main(["hetero", "--config", str(path), "--model", "heco"])
    assert code == 2 and "meow/dblp" in capsys.readouterr().err


def _hetero_configs():
    from graphcl.cli.hetero import CONFIG_DIR

    return sorted(CONFIG_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", _hetero_configs(), ids=lambda p: p.stem)
def test_shipped_config_loads_and_agrees_with_table_5(path):
    """Each ``experiments/configs/hetero`` file validates, and its settings are table 5's cell's."""
    import argparse

    from graphcl.cli.hetero import config_from_args
    from graphcl.config import to_dict
    from graphcl.reproduce.spec import load_table

    model, dataset = path.stem.split("_")
    args = argparse.Namespace(config=path, model=None, dataset=None, epochs=None, device=None, threads=None,
                              data_dir=None, quiet=False, overrides=[])
    cfg = config_from_args(args)
    assert (cfg.model, cfg.dataset) == (model, dataset)
    cell = {c.id: c for c in load_table("heco").cells}[f"{model}-{dataset}"].config
    for key, value in cell.get("params", {}).items():
        assert cfg.params[key] == value, (path.name, key)
    train = to_dict(cfg.train)
    for key in ("lr", "patience", "weight_decay"):
        if key in cell.get("train", {}):
            assert train[key] == cell["train"][key], (path.name, key)
    probe = to_dict(cfg.probe)
    for key, value in cell.get("probe", {}).items():
        assert probe[key] == value, (path.name, key)
