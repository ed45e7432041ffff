"""HeCo, MEOW and AdaMEOW on a synthetic two-type graph with planted classes."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphcl.data.hetero import assemble_hetero
from graphcl.eval.probe import ProbeConfig, linear_probe
from graphcl.models.heco import HeCo, HeCoConfig
from graphcl.models.meow import AdaMEOW, MEOW, MEOWConfig
from graphcl.train.trainer import TrainConfig, Trainer



def planted_graph(n_per_class=60, classes=3, authors_per_class=15, noise=0.1, seed=0):
    """Papers link to 3 authors and 1 subject, mostly of their own class; features are noise."""
    rng = np.random.default_rng(seed)
    n = n_per_class * classes
    y = np.repeat(np.arange(classes), n_per_class)
    n_auth = authors_per_class * classes
    rows, cols = [], []
    for k in range(3):
        own = y * authors_per_class + rng.integers(0, authors_per_class, n)
        rand = rng.integers(0, n_auth, n)
        rows.append(np.arange(n))
        cols.append(np.where(rng.random(n) < noise, rand, own))
    pa = sp.csr_matrix((np.ones(3 * n), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n_auth))
    pa.data[:] = 1
    subj = np.where(rng.random(n) < noise, rng.integers(0, 2 * classes, n), 2 * y + rng.integers(0, 2, n))
    ps = sp.csr_matrix((np.ones(n), (np.arange(n), subj)), shape=(n, 2 * classes))
    perm = rng.permutation(n)
    splits = {"train_20": perm[:30], "val_20": perm[30:90], "test_20": perm[90:]}
    feats = {"p": torch.from_numpy(rng.random((n, 16)).astype(np.float32))}
    return assemble_hetero(
        "planted", {"p": ("paper", n), "a": ("author", n_auth), "s": ("subject", 2 * classes)}, "p",
        {"pa": pa, "ps": ps}, {"pap": None, "psp": None}, ["a", "s"], y, splits, features=feats,
    )


def _train(model, epochs, lr):
    cfg = TrainConfig(epochs=epochs, lr=lr, patience=0, progress=False, seed=0)
    fit = Trainer(model, cfg, batches=lambda e: [None]).fit()
    return [h["loss"] for h in fit.history]


def _probe(model, data):
    t = data["paper"]
    return linear_probe(model.embed(), t.y, t["train_20"], t["val_20"], t["test_20"], ProbeConfig(runs=3, epochs=100, lr=0.05))


@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_heco_lam_weights_the_meta_path_view_anchors(lam):
    """HeCo's loss is lam * L_mp + (1 - lam) * L_sc: lam = 1 keeps only meta-path-view anchors."""
    torch.manual_seed(0)
    model = HeCo(planted_graph(), HeCoConfig(hidden=16, tau=0.5, feat_drop=0.0, attn_drop=0.0, lam=lam,
                                             sample_rates=[3, 1], max_positives=5))
    terms = model.loss()
    assert not torch.isclose(terms["mp"], terms["sc"])  # the two directions differ on this graph
    assert torch.isclose(terms["loss"].detach(), terms["mp"] if lam == 1.0 else terms["sc"])


def test_heco_separates_planted_classes_and_lowers_loss():
    torch.manual_seed(0)
    data = planted_graph()
    model = HeCo(data, HeCoConfig(hidden=32, tau=0.5, feat_drop=0.1, attn_drop=0.1, sample_rates=[3, 1], max_positives=5))
    losses = _train(model, 40, 5e-3)
    assert np.mean(losses[-5:]) < losses[0] - 0.1
    scores = _probe(model, data)
    assert scores["micro_f1"] > 90
    z = model.embed()
    assert z.shape == (180, 32) and torch.isfinite(z).all()


def test_heco_requires_positives_or_pos_file():
    data = planted_graph()
    with pytest.raises(Exception, match="pos.npz"):
        HeCo(data, HeCoConfig(sample_rates=[3, 1], max_positives=0))
    with pytest.raises(Exception, match="sample_rates has 1 entries"):
        HeCo(data, HeCoConfig(sample_rates=[3], max_positives=5))


@pytest.mark.parametrize("cls", [MEOW, AdaMEOW])
def test_meow_variants_train_and_separate_planted_classes(cls):
    torch.manual_seed(0)
    data = planted_graph()
    cfg = MEOWConfig(hidden=32, tau=0.5, dropout=0.1, num_clusters=[6, 12], cluster_every=5, lam_proto=0.5)
    model = cls(data, cfg)
    losses = _train(model, 30, 5e-3)
    assert np.mean(losses[-5:]) < losses[0]
    assert _probe(model, data)["micro_f1"] > 90
    if cls is MEOW:
        w = model.cluster_weights
        same = model.assignments[0][:, None] == model.assignments[0][None, :]
        assert torch.all(w[same & (model.assignments[1][:, None] == model.assignments[1][None, :])] == cfg.same_cluster_weight)


OFFICIAL = dict(anchors="coarse", positives_in_denominator=False, same_cluster_weight=0.0, cluster_every=1,
                proto_temperature="density", nei_max=[8, 40], adj_mask=[0.3, 0.2], feat_mask=0.3, gcn_norm="matrix",
                attn_drop=0.2)


def test_meow_with_the_official_codes_options_trains_and_separates_planted_classes():
    torch.manual_seed(0)
    data = planted_graph()
    cfg = MEOWConfig(hidden=32, tau=0.5, dropout=0.1, num_clusters=[6, 12], lam_proto=0.5, proto_tau=0.5, **OFFICIAL)
    model = MEOW(data, cfg)
    # pruned graphs: at most nei_max entries per row; the masked branch doubles the attention's inputs
    for adj, k in zip(model.adjs, cfg.nei_max):
        assert torch.bincount(adj.coalesce().indices()[1]).max() <= k  # MEOW's normalisation transposes
    assert len(model.masked_adjs) == 2 and model.masked_target is not None
    losses = _train(model, 30, 5e-3)
    assert np.mean(losses[-5:]) < losses[0]
    assert _probe(model, data)["micro_f1"] > 90
    phis = model.proto_phis
    assert len(phis) == 2 and all(torch.isclose(p.mean(), torch.tensor(0.5)) for p in phis)


def test_meow_coarse_anchor_loss_is_the_official_formula():
    """anchors=coarse, positives out of the denominator, weights R - #shared clusters: MEOW's InfoNce up to log R."""
    torch.manual_seed(0)
    data = planted_graph()
    cfg = MEOWConfig(hidden=16, tau=0.5, dropout=0.0, num_clusters=[6, 12], lam_proto=0.0, **{
        k: v for k, v in OFFICIAL.items() if k not in ("adj_mask", "feat_mask", "nei_max", "attn_drop")})
    model = MEOW(data, cfg)
    model.recluster(seed=0)
    model.eval()
    z_coarse, z_fine = model.views()
    u, v = model._project(z_coarse), model._project(z_fine)
    e = torch.exp(u @ v.t() / cfg.tau)
    a, b = model.assignments
    w = 2 - (a[:, None] == a[None, :]).float() - (b[:, None] == b[None, :]).float()
    expected = -torch.log(e.diag() / (w * e).sum(1)).mean() - np.log(2)  # graphcl averages the R weights
    assert torch.isclose(model.loss()["loss"], expected, atol=1e-5)


@pytest.mark.parametrize("key, value, message", [("nei_max", [5], "one value per meta-path"),
                                                  ("adj_mask", [0.1, 0.2, 0.3], "one value per meta-path")])
def test_meow_per_metapath_options_need_one_value_each(key, value, message):
    with pytest.raises(Exception, match=message):
        MEOW(planted_graph(), MEOWConfig(num_clusters=[6, 12], **{key: value}))


def test_meow_feature_mask_needs_the_masked_graphs():
    with pytest.raises(Exception, match="feat_mask needs model.adj_mask"):
        MEOWConfig(feat_mask=0.2)
