"""Alignment and uniformity of embeddings on the unit sphere (Wang & Isola, ICML 2020).

For L2-normalised positive pairs ``(x_i, y_i)`` and a set of embeddings ``x``:

    alignment(x, y)  = mean_i ||x_i - y_i||_2^alpha              (lower = closer positives)
    uniformity(x)    = log mean_{i < j} exp(-t ||x_i - x_j||_2^2)  (lower = more uniform)

Recommenders log them as diagnostics (computed without gradient).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def alignment(x: torch.Tensor, y: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    """Mean ``||x_i - y_i||^alpha`` of the normalised (B, d) rows."""
    return (F.normalize(x, dim=-1) - F.normalize(y, dim=-1)).norm(dim=-1).pow(alpha).mean()


def uniformity(x: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """``log mean_{i<j} exp(-t ||x_i - x_j||^2)`` over the normalised (B, d) rows (B >= 2)."""
    if x.shape[0] < 2:
        raise ValueError("uniformity needs at least two embeddings")
    sq = torch.pdist(F.normalize(x, dim=-1), p=2).pow(2)
    return torch.logsumexp(-t * sq, 0) - math.log(sq.numel())


__all__ = ["alignment", "uniformity"]
