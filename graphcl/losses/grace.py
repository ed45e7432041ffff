"""GRACE's node-level InfoNCE with inter- and intra-view negatives (Zhu et al., 2020)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def grace_view_loss(u: torch.Tensor, v: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per-node ``-log( e^{s(u_i,v_i)/t} / (sum_k e^{s(u_i,v_k)/t} + sum_{k != i} e^{s(u_i,u_k)/t}) )``.

    ``u``, ``v``: N x d projections of the same nodes in two views -> N losses. O(N^2 d).
    """
    un, vn = F.normalize(u, dim=1), F.normalize(v, dim=1)
    between = un @ vn.T / temperature
    within = (un @ un.T / temperature).masked_fill(torch.eye(u.shape[0], dtype=torch.bool, device=u.device), float("-inf"))
    denom = torch.logsumexp(torch.cat([between, within], dim=1), dim=1)
    return denom - between.diagonal()


def grace_loss(u: torch.Tensor, v: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric GRACE objective ``mean_i (l(u_i, v_i) + l(v_i, u_i)) / 2``."""
    return 0.5 * (grace_view_loss(u, v, temperature) + grace_view_loss(v, u, temperature)).mean()


__all__ = ["grace_view_loss", "grace_loss"]
