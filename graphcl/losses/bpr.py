"""Bayesian personalised ranking and the LightGCN-style L2 term."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def bpr_loss(user: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """``mean(-log sigmoid(<u, i+> - <u, i->))`` over the batch; inputs (B, d)."""
    diff = (user * pos).sum(-1) - (user * neg).sum(-1)
    return F.softplus(-diff).mean()


def l2_penalty(*embeddings: torch.Tensor) -> torch.Tensor:
    """``0.5 * sum ||e||^2 / B`` over the given (B, d) ego embeddings (LightGCN's reg_loss)."""
    batch = embeddings[0].shape[0]
    return 0.5 * sum(e.pow(2).sum() for e in embeddings) / batch
