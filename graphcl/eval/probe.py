"""Frozen-embedding evaluation: a logistic-regression linear probe and k-means clustering.

Linear probe (HeCo's protocol): for each of ``runs`` independent restarts, a logistic
regression ``softmax(E W + b)`` is trained with Adam on the labelled training nodes for
``epochs`` full-batch steps. After every step the validation split is scored; the test
score reported for a run is the one at the step with the best *validation* score of the
same metric (Macro-F1 selected on validation Macro-F1, Micro-F1 and the one-vs-rest AUC on
validation Micro-F1). Test labels never influence any choice. Results are mean and std over
runs, in percent. All runs train together as one batched model (``R x d x C`` weights).

Preprocessing (``standardize``): ``True`` centres every embedding dimension and scales it to
unit variance over all nodes (no labels involved); ``False`` feeds the raw embeddings, as
HeCo's own evaluation does; ``"auto"`` (default) runs both and keeps, per label split, the
one with the higher mean *validation* Micro-F1. Neither fits every encoder: HeCo on ACM emits
embeddings with a tiny spread around a large common component (per-dimension std 0.007), and
the fixed-budget Adam probe underfits the raw ones (test Micro-F1@20 85.8 raw vs 89.1
standardised); HeCo on AMiner and MEOW (whose per-meta-path outputs are L2-normalised) lose
by standardising (AMiner 76.6 raw vs 70.2). On HeCo's ACM, DBLP and AMiner embeddings the input
with the better validation score also scored better on test; the choice is made on validation,
never on test labels. ``"auto"`` doubles the probe's cost.

Clustering: k-means with as many clusters as classes on the embeddings, NMI and ARI (from
:mod:`graphcl.eval.clustering`) averaged over several k-means seeds.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Literal, Union

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.metrics import roc_auc_score

from graphcl.config import check_positive
from graphcl.errors import ConfigError
from graphcl.eval.clustering import clustering_metrics
from graphcl.utils import generator


@dataclass
class ProbeConfig:
    """Linear-probe settings (HeCo: 50 runs of 200 Adam steps, lr 0.01-0.05, no decay)."""

    runs: int = 50
    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 0.0
    seed: int = 0
    standardize: Union[bool, Literal["auto"]] = "auto"

    def __post_init__(self) -> None:
        check_positive("probe.runs", self.runs)
        check_positive("probe.epochs", self.epochs)
        check_positive("probe.lr", self.lr)
        check_positive("probe.weight_decay", self.weight_decay, allow_zero=True)
        if self.standardize not in (True, False, "auto"):
            raise ConfigError(f"probe.standardize must be true, false or auto, got {self.standardize!r}")


def f1_scores(pred: torch.Tensor, y: torch.Tensor, num_classes: int) -> tuple:
    """``(macro_f1, micro_f1)`` per leading index of ``pred`` (``R x n`` predictions)."""
    p = F.one_hot(pred, num_classes).float()  # R x n x C
    t = F.one_hot(y, num_classes).float()  # n x C
    tp = (p * t).sum(dim=1)
    denom = p.sum(dim=1) + t.sum(dim=0)
    present = denom > 0  # sklearn's macro average: over the labels in y or in the run's predictions
    f1 = torch.where(present, 2 * tp / denom.clamp_min(1), torch.zeros_like(tp))
    macro = f1.sum(dim=1) / present.sum(dim=1).clamp_min(1)
    micro = (pred == y).float().mean(dim=1)
    return macro, micro


def linear_probe(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    train_idx: torch.Tensor,
    val_idx: torch.Tensor,
    test_idx: torch.Tensor,
    config: ProbeConfig,
) -> Dict[str, float]:
    """Macro-F1, Micro-F1 and AUC (one-vs-rest, macro) on ``test_idx``: mean and std in %.

    Also returns the mean best validation Micro-/Macro-F1 (``val_micro_f1``, ``val_macro_f1``)
    and whether the embeddings were standardised (``standardized``: 1.0 or 0.0).
    """
    if config.standardize == "auto":
        scored = [linear_probe(embeddings, labels, train_idx, val_idx, test_idx, replace(config, standardize=flag)) for flag in (False, True)]
        # Ties keep the raw embeddings (HeCo's protocol).
        return max(scored, key=lambda r: (r["val_micro_f1"], -r["standardized"]))
    emb = embeddings.detach().float()
    if config.standardize:
        emb = (emb - emb.mean(0)) / emb.std(0).clamp_min(1e-12)
    device = emb.device
    labels = labels.to(device)
    num_classes = int(labels.max()) + 1
    runs, dim = config.runs, emb.shape[1]
    gen = generator(config.seed, device)
    bound = (6.0 / (dim + num_classes)) ** 0.5  # xavier-uniform, as HeCo's LogReg
    weight = ((torch.rand(runs, dim, num_classes, generator=gen, device=device) * 2 - 1) * bound).requires_grad_()
    bias = torch.zeros(runs, 1, num_classes, device=device, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=config.lr, weight_decay=config.weight_decay)
    x_tr, x_va, x_te = emb[train_idx], emb[val_idx], emb[test_idx]
    y_tr, y_va, y_te = labels[train_idx], labels[val_idx], labels[test_idx]

    best_val = {"macro": torch.full((runs,), -1.0, device=device), "micro": torch.full((runs,), -1.0, device=device)}
    test_at = {"macro": torch.zeros(runs, device=device), "micro": torch.zeros(runs, device=device)}
    best_proba = torch.zeros(runs, len(test_idx), num_classes, device=device)
    for _ in range(config.epochs):
        with torch.enable_grad():  # the probe trains even when called under no_grad (validation)
            logits = torch.einsum("nd,rdc->rnc", x_tr, weight) + bias
            loss = F.cross_entropy(logits.reshape(-1, num_classes), y_tr.repeat(runs), reduction="mean") * runs
            opt.zero_grad(set_to_none=True)
            loss.backward()
        opt.step()
        with torch.no_grad():
            val_logits = torch.einsum("nd,rdc->rnc", x_va, weight) + bias
            test_logits = torch.einsum("nd,rdc->rnc", x_te, weight) + bias
            v_macro, v_micro = f1_scores(val_logits.argmax(-1), y_va, num_classes)
            t_macro, t_micro = f1_scores(test_logits.argmax(-1), y_te, num_classes)
            for name, v, t in (("macro", v_macro, t_macro), ("micro", v_micro, t_micro)):
                better = v > best_val[name]
                best_val[name] = torch.where(better, v, best_val[name])
                test_at[name] = torch.where(better, t, test_at[name])
                if name == "micro":
                    best_proba = torch.where(better[:, None, None], torch.softmax(test_logits, -1), best_proba)
    y_np = y_te.cpu().numpy()
    aucs = np.array([roc_auc_score(y_np, p, multi_class="ovr") if num_classes > 2 else roc_auc_score(y_np, p[:, 1]) for p in best_proba.cpu().numpy()])
    macro = test_at["macro"].cpu().numpy()
    micro = test_at["micro"].cpu().numpy()
    return {
        "val_macro_f1": float(100 * best_val["macro"].mean()),
        "val_micro_f1": float(100 * best_val["micro"].mean()),
        "standardized": float(bool(config.standardize)),
        "macro_f1": float(100 * macro.mean()),
        "macro_f1_std": float(100 * macro.std()),
        "micro_f1": float(100 * micro.mean()),
        "micro_f1_std": float(100 * micro.std()),
        "auc": float(100 * aucs.mean()),
        "auc_std": float(100 * aucs.std()),
    }


def kmeans_scores(embeddings: torch.Tensor, labels: torch.Tensor, runs: int = 10, seed: int = 0) -> Dict[str, float]:
    """k-means (k = number of classes) NMI and ARI in %, mean and std over ``runs`` seeds."""
    x = embeddings.detach().float().cpu().numpy()
    y = labels.detach().cpu().numpy()
    k = int(y.max()) + 1
    scores = []
    for r in range(runs):
        pred = KMeans(n_clusters=k, n_init=1, random_state=seed + r).fit_predict(x)
        m = clustering_metrics(y, pred)
        scores.append((m["nmi"], m["ari"]))
    arr = 100 * np.asarray(scores)
    return {"nmi": float(arr[:, 0].mean()), "nmi_std": float(arr[:, 0].std()), "ari": float(arr[:, 1].mean()), "ari_std": float(arr[:, 1].std())}
