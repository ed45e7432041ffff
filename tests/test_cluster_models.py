"""PamC / SCGC / GRACE end to end on planted-partition graphs, and the ``graphcl cluster`` CLI."""
import json

import numpy as np
import pytest
import torch

from graphcl.cli import main
from graphcl.config import from_dict
from graphcl.data.sbm import planted_partition
from graphcl.eval.clustering import clustering_metrics
from graphcl.tasks.cluster import ClusterConfig, build_contrast_model, cluster_once

SMALL = {
    "hidden": [64, 64],
    "z_dim": 8,
    "kmeans_n_init": 5,
    "loss": {"alpha": 3.0, "beta": 1.0, "order": 1, "tau": 1.0},
    "pretrain": {"epochs": 15, "batch_size": 64},
    "train": {"epochs": 60, "lr": 1e-2, "progress": False, "patience": 0},
}


@pytest.fixture(autouse=True)
def _cache_and_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_CACHE", str(tmp_path / "cache"))
    # These models are tiny: one thread is faster than two and does not stall when the
    # cores are shared (OpenMP spin-waits badly under oversubscription).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def sbm():
    # Features alone separate the blocks only partly (k-means on the pretrained z: NMI ~0.7);
    # the graph (8 neighbours inside the block, 1 outside) carries the rest.
    return planted_partition(300, 3, degree_in=8, degree_out=1, num_features=16,
                             feature_signal=0.8, feature_noise=1.0, seed=3)


def test_pamc_recovers_planted_partition(sbm):
    cfg = from_dict(ClusterConfig, {**SMALL, "model": "pamc"})
    net, _ = build_contrast_model(sbm, cfg, seed=0, device=torch.device("cpu"))
    before = clustering_metrics(sbm.y.numpy(), net.predict().numpy())["nmi"]
    res = cluster_once(sbm, cfg, seed=0)
    assert res["nmi"] > 0.9, res
    assert res["nmi"] > before + 0.1  # the contrastive graph term, not k-means on features, does it
    assert res["pred"].shape == (300,)


@pytest.mark.parametrize("model", ["pamc", "scgc"])
def test_training_lowers_loss_and_gradients_reach_everything(sbm, model):
    cfg = from_dict(ClusterConfig, {**SMALL, "model": model})
    net, info = build_contrast_model(sbm, cfg, seed=1, device=torch.device("cpu"))
    assert info["pretrain_cached"] == 0.0
    net.on_epoch_start(0)
    terms = net.loss((net.x, net.edge_index))
    terms["loss"].backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert set(terms) == {"loss", "pos", "neg", "kl", "recon"}
    res = cluster_once(sbm, cfg, seed=1)
    assert res["final_loss"] < float(terms["loss"].detach())


def test_pretrained_autoencoder_is_cached(sbm):
    cfg = from_dict(ClusterConfig, {**SMALL, "model": "pamc"})
    _, first = build_contrast_model(sbm, cfg, seed=2, device=torch.device("cpu"))
    net_a, again = build_contrast_model(sbm, cfg, seed=2, device=torch.device("cpu"))
    net_b, _ = build_contrast_model(sbm, cfg, seed=2, device=torch.device("cpu"))
    assert first["pretrain_cached"] == 0.0 and again["pretrain_cached"] == 1.0
    for pa, pb in zip(net_a.encoder.parameters(), net_b.encoder.parameters()):
        torch.testing.assert_close(pa, pb)


def test_gcn_encoder_is_a_drop_in(sbm):
    cfg = from_dict(ClusterConfig, {**SMALL, "model": "pamc", "encoder": "gcn",
                                    "pretrain": {"epochs": 30}, "train": {**SMALL["train"], "epochs": 20}})
    res = cluster_once(sbm, cfg, seed=0)
    assert res["nmi"] > 0.9, res


def test_grace_baseline_clusters_sbm(sbm):
    cfg = from_dict(ClusterConfig, {"model": "grace", "kmeans_n_init": 5,
                                    "grace": {"hidden": 32, "out_dim": 16, "proj_dim": 16},
                                    "train": {"epochs": 30, "lr": 5e-3, "progress": False, "patience": 0}})
    res = cluster_once(sbm, cfg, seed=0)
    assert res["nmi"] > 0.8, res


def _write_user_graph(tmp_path, data):
    np.save(tmp_path / "x.npy", data.x.numpy())
    ei = data.edge_index.numpy()
    (tmp_path / "edges.txt").write_text("\n".join(f"{u} {v}" for u, v in ei.T if u < v) + "\n")
    (tmp_path / "labels.txt").write_text("\n".join(map(str, data.y.tolist())) + "\n")


def test_cli_on_user_graph_writes_metrics(tmp_path, sbm, capsys):
    _write_user_graph(tmp_path, sbm)
    out = tmp_path / "out"
    code = main(["cluster", "--edges", str(tmp_path / "edges.txt"), "--features", str(tmp_path / "x.npy"),
                 "--labels", str(tmp_path / "labels.txt"), "--runs", "2", "--epochs", "60", "--out", str(out),
                 "--set", "hidden=[64,64]", "--set", "z_dim=8", "--set", "pretrain.epochs=15",
                 "--set", "pretrain.batch_size=64", "--set", "kmeans_n_init=5",
                 "--set", "loss.alpha=3", "--set", "train.lr=0.01"])
    assert code == 0
    text = capsys.readouterr().out
    assert "ACC" in text and "NMI" in text and "s/epoch" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seeds"] == [0, 1] and len(metrics["runs"]) == 2
    assert metrics["summary"]["nmi"]["mean"] > 0.85
    assert metrics["config"]["train"]["epochs"] == 60


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    (tmp_path / "edges.txt").write_text("0 1\n1 5\n")
    code = main(["cluster", "--edges", str(tmp_path / "edges.txt"), "--features", str(tmp_path / "x.npy"),
                 "--num-clusters", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: ") and "edges.txt, line 2: node id 5 outside [0, 3)" in err
    assert len(err.splitlines()) == 1
    assert main(["cluster", "--dataset", "nope"]) == 2
    assert "unknown clustering dataset 'nope'" in capsys.readouterr().err
    assert main(["cluster", "--dataset", "acm", "--set", "loss.tau=-1"]) == 2
    assert "loss.tau must be > 0" in capsys.readouterr().err
