"""Weights for the negatives of a contrastive loss (MEOW / AdaMEOW).

Negatives that fall in the anchor's cluster are likely *false* negatives (same class), so
MEOW down-weights them. With ``R`` clusterings ``c^r`` (k-means with different ``k``):

    w_ij = (1/R) sum_r ( 1 if c^r_i != c^r_j else same_cluster_weight )

AdaMEOW instead learns the weights; :func:`normalised_soft_weights` turns any pairwise
affinity ``a_ij`` into weights ``w_ij = v_ij / mean_j v_ij`` with
``v_ij = sigmoid(-a_ij / temperature)`` — similar pairs get small weights, every row keeps
mean 1, and the ratio of two weights is bounded, so learning them cannot silence all
negatives.
"""
from __future__ import annotations

from typing import Sequence

import torch


def cluster_negative_weights(assignments: Sequence[torch.Tensor], same_cluster_weight: float) -> torch.Tensor:
    """``N x N`` weights from cluster assignments (each a length-``N`` long tensor)."""
    if not assignments:
        raise ValueError("need at least one clustering")
    w = None
    for a in assignments:
        same = (a.unsqueeze(0) == a.unsqueeze(1)).float()
        term = 1.0 - (1.0 - same_cluster_weight) * same
        w = term if w is None else w + term
    return w / len(assignments)


def normalised_soft_weights(affinity: torch.Tensor, temperature: float) -> torch.Tensor:
    """Row-mean-1 weights ``sigmoid(-a/t) / mean_j sigmoid(-a_ij/t)`` from an ``N x M`` affinity."""
    v = torch.sigmoid(-affinity / temperature)
    return v / v.mean(dim=1, keepdim=True)
