"""Deep embedded clustering (DEC, Xie et al. 2016): Student-t soft assignments and self-training target."""
from __future__ import annotations

import torch


def soft_assignment(z: torch.Tensor, centroids: torch.Tensor, v: float = 1.0) -> torch.Tensor:
    """``q_ij = (1 + ||z_i - mu_j||^2 / v)^{-(v+1)/2}``, normalised over clusters j.

    ``z``: N x d, ``centroids``: k x d -> N x k, rows sum to 1.
    """
    dist2 = torch.cdist(z, centroids).pow(2)
    q = (1.0 + dist2 / v).pow(-(v + 1.0) / 2.0)
    return q / q.sum(1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """``p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j')`` with cluster frequency ``f_j = sum_i q_ij``."""
    weight = q.pow(2) / q.sum(0, keepdim=True)
    return weight / weight.sum(1, keepdim=True)


def kl_clustering_loss(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``KL(p || q) = (1/N) sum_ij p_ij (log p_ij - log q_ij)`` (``p`` is a constant target)."""
    p = p.detach()
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum() / q.shape[0]


__all__ = ["soft_assignment", "target_distribution", "kl_clustering_loss"]
