"""Clustering metrics: ACC and macro-F1 after Hungarian matching, NMI, ARI.

Cluster ids are arbitrary, so ACC and F1 first find the one-to-one map from predicted
clusters to classes that maximises the number of agreeing nodes (the assignment problem on
the C_pred x C_true contingency table, solved by :func:`scipy.optimize.linear_sum_assignment`).
Predicted clusters left unmatched (more clusters than classes) count as wrong.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score


def _as_labels(a, name: str) -> np.ndarray:
    arr = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer labels, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def match_clusters(y_true, y_pred) -> np.ndarray:
    """``y_pred`` relabelled with the class each cluster is matched to (unmatched -> -1)."""
    t, p = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    classes, t_idx = np.unique(t, return_inverse=True)
    clusters, p_idx = np.unique(p, return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (p_idx, t_idx), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = np.full(len(clusters), -1, dtype=np.int64)
    mapping[rows] = classes[cols]
    return mapping[p_idx]


def cluster_acc(y_true, y_pred) -> float:
    """Fraction of nodes whose matched cluster equals their class."""
    return float(np.mean(match_clusters(y_true, y_pred) == _as_labels(y_true, "y_true")))


def clustering_metrics(y_true, y_pred) -> Dict[str, float]:
    """``{"acc", "nmi", "ari", "f1"}`` in [0, 1] (ARI may be negative); F1 is macro over classes."""
    t = _as_labels(y_true, "y_true")
    p = _as_labels(y_pred, "y_pred")
    mapped = match_clusters(t, p)
    return {
        "acc": float(np.mean(mapped == t)),
        "nmi": float(normalized_mutual_info_score(t, p, average_method="arithmetic")),
        "ari": float(adjusted_rand_score(t, p)),
        "f1": float(f1_score(t, mapped, labels=np.unique(t), average="macro", zero_division=0)),
    }


__all__ = ["match_clusters", "cluster_acc", "clustering_metrics"]
