"""Meta-path view encoder: one GCN per meta-path, combined by semantic attention (HeCo).

For meta-path ``m`` with normalised adjacency ``A_m`` (``N x N``, sparse) and target
embeddings ``H`` (``N x d``):

    Z_m = PReLU(A_m H W_m + b_m)
    Z   = sum_m beta_m Z_m,    beta = SemanticAttention(Z_1..Z_M)
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from torch import nn

from graphcl.nn.semantic_attention import SemanticAttention


class MetaPathGCN(nn.Module):
    """One GCN layer on a precomputed adjacency: ``PReLU(A X W + b)``.

    ``A`` is a sparse tensor or any operator supporting ``A @ X`` (e.g. a factorised one).
    """

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Linear(in_dim, out_dim, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.act = nn.PReLU()
        nn.init.xavier_normal_(self.weight.weight, gain=1.414)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return self.act(adj @ self.weight(x) + self.bias)


class MetaPathEncoder(nn.Module):
    """``forward(H, [A_1..A_M]) -> (Z, beta)``; ``Z`` is ``N x hidden``, ``beta`` sums to 1."""

    def __init__(self, num_metapaths: int, hidden: int, attn_drop: float = 0.0) -> None:
        super().__init__()
        self.gcns = nn.ModuleList(MetaPathGCN(hidden, hidden) for _ in range(num_metapaths))
        self.attention = SemanticAttention(hidden, attn_drop)

    def forward(self, h: torch.Tensor, adjs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.attention([gcn(h, adj) for gcn, adj in zip(self.gcns, adjs)])
