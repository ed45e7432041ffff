"""Semantic-level attention: combine per-meta-path (or per-type) embeddings of the same nodes.

For ``M`` embeddings ``Z_m`` (``N x d``) of the same ``N`` nodes (HAN, HeCo):

    w_m    = q^T mean_i tanh(W z_{m,i} + b)       (one score per meta-path)
    beta   = softmax(w)                             (sums to 1 over the M meta-paths)
    Z      = sum_m beta_m Z_m

``q`` is dropped out with ``attn_drop`` in training (HeCo's regularisation).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from torch import nn


class SemanticAttention(nn.Module):
    """``forward(embeddings) -> (Z, beta)`` with ``embeddings`` a list of ``N x d`` tensors."""

    def __init__(self, dim: int, attn_drop: float = 0.0) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.query = nn.Parameter(torch.empty(1, dim))
        self.attn_drop = nn.Dropout(attn_drop)
        nn.init.xavier_normal_(self.fc.weight, gain=1.414)
        nn.init.zeros_(self.fc.bias)
        nn.init.xavier_normal_(self.query, gain=1.414)

    def forward(self, embeddings: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        stacked = torch.stack(list(embeddings))  # M x N x d
        summary = torch.tanh(self.fc(stacked)).mean(dim=1)  # M x d
        scores = summary @ self.attn_drop(self.query).squeeze(0)  # M
        beta = torch.softmax(scores, dim=0)
        return torch.einsum("m,mnd->nd", beta, stacked), beta
