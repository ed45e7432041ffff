"""Linear probe and k-means evaluation of frozen embeddings."""
from __future__ import annotations

import pytest
import torch
from sklearn.metrics import f1_score

from graphcl.errors import ConfigError
from graphcl.eval.probe import ProbeConfig, f1_scores, kmeans_scores, linear_probe



def test_f1_scores_match_sklearn():
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (50,), generator=gen)
    pred = torch.randint(0, 4, (3, 50), generator=gen)
    pred[1, :] = 2  # a run that never predicts three of the classes
    macro, micro = f1_scores(pred, y, 4)
    for r in range(3):
        assert abs(float(macro[r]) - f1_score(y, pred[r], average="macro", zero_division=0)) < 1e-6
        assert abs(float(micro[r]) - f1_score(y, pred[r], average="micro")) < 1e-6


def test_macro_f1_counts_a_class_that_only_the_predictions_hold():
    """sklearn (HeCo's evaluation) averages over the labels of y and of the predictions."""
    y, pred = torch.tensor([0, 0, 1, 1]), torch.tensor([[0, 2, 1, 1]])
    macro, _ = f1_scores(pred, y, 3)
    assert float(macro[0]) == pytest.approx((2 / 3 + 1 + 0) / 3)  # 0.556, not (2/3 + 1) / 2
    assert float(macro[0]) == pytest.approx(f1_score(y, pred[0], average="macro"))


def _blobs(n_per_class=60, dim=8, sep=4.0, seed=0):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(3, dim, generator=gen) * sep
    y = torch.arange(3).repeat_interleave(n_per_class)
    x = centres[y] + torch.randn(len(y), dim, generator=gen)
    return x, y


def test_probe_separates_blobs_and_chance_on_noise():
    x, y = _blobs()
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
    tr, va, te = perm[:30], perm[30:90], perm[90:]
    scores = linear_probe(x, y, tr, va, te, ProbeConfig(runs=4, epochs=100, lr=0.05))
    assert scores["micro_f1"] > 95 and scores["macro_f1"] > 95 and scores["auc"] > 99
    noise = torch.randn_like(x)
    chance = linear_probe(noise, y, tr, va, te, ProbeConfig(runs=4, epochs=100, lr=0.05))
    assert chance["micro_f1"] < 60 and chance["auc"] < 75


def test_probe_does_not_read_test_labels():
    x, y = _blobs(seed=3)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(2))
    tr, va, te = perm[:30], perm[30:90], perm[90:]
    cfg = ProbeConfig(runs=3, epochs=50, lr=0.05)
    a = linear_probe(x, y, tr, va, te, cfg)
    y2 = y.clone()
    y2[te] = (y2[te] + 1) % 3  # corrupt only the test labels
    b = linear_probe(x, y2, tr, va, te, cfg)
    # The same models are selected, so predictions that matched the true labels now miss.
    assert a["micro_f1"] > 95 and b["micro_f1"] < 5


def test_kmeans_scores_on_blobs():
    x, y = _blobs(sep=6.0)
    s = kmeans_scores(x, y, runs=3)
    assert s["nmi"] > 90 and s["ari"] > 90


def test_auto_preprocessing_is_chosen_on_validation_only():
    # ACM-like embeddings: the class signal is a tiny spread on a large common component, which
    # a short raw probe underfits; standardising recovers it, and validation must see that.
    x, y = _blobs(seed=5)
    x = 50.0 + 1e-3 * x
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(4))
    tr, va, te = perm[:30], perm[30:90], perm[90:]
    base = dict(runs=3, epochs=60, lr=0.05)
    raw = linear_probe(x, y, tr, va, te, ProbeConfig(standardize=False, **base))
    std = linear_probe(x, y, tr, va, te, ProbeConfig(standardize=True, **base))
    auto = linear_probe(x, y, tr, va, te, ProbeConfig(standardize="auto", **base))
    assert std["val_micro_f1"] > raw["val_micro_f1"] + 20
    assert auto == std and auto["standardized"] == 1.0
    y2 = y.clone()
    y2[te] = (y2[te] + 1) % 3  # test labels cannot move the choice
    assert linear_probe(x, y2, tr, va, te, ProbeConfig(standardize="auto", **base))["standardized"] == 1.0
    with pytest.raises(ConfigError, match="standardize"):
        ProbeConfig(standardize="yes")
