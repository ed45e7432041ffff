"""Network-schema view encoder (HeCo): node-level then type-level attention.

For target node ``i`` and each directly connected type ``t`` with ``k_t`` sampled
neighbours ``j`` (embeddings ``h_j``):

    a_ij  = softmax_j LeakyReLU(q_t^T [h_i || h_j])       (node-level attention)
    s_i^t = ELU(sum_j a_ij h_j)
    z_i   = sum_t beta_t s_i^t,  beta = SemanticAttention(s^1..s^T)   (type level)

Neighbours come as an index matrix ``N x k_t`` (see :mod:`graphcl.views.schema`); nodes
with no neighbour of a type (``valid`` all false) get ``s_i^t = 0``.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from graphcl.nn.semantic_attention import SemanticAttention


class NodeLevelAttention(nn.Module):
    """``forward(h_target [N,d], h_nei [N,k,d], valid [N,k]) -> [N,d]`` (before the ELU)."""

    def __init__(self, dim: int, attn_drop: float = 0.0) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.empty(1, 2 * dim))
        self.attn_drop = nn.Dropout(attn_drop)
        nn.init.xavier_normal_(self.query, gain=1.414)

    def forward(self, h_target: torch.Tensor, h_nei: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        q = self.attn_drop(self.query).squeeze(0)
        dim = h_target.shape[1]
        scores = F.leaky_relu((h_target @ q[:dim]).unsqueeze(1) + h_nei @ q[dim:], 0.01)  # N x k
        scores = scores.masked_fill(~valid, float("-inf"))
        att = torch.softmax(scores, dim=1)
        att = torch.nan_to_num(att, nan=0.0)  # rows without any neighbour
        return torch.einsum("nk,nkd->nd", att, h_nei)


class NetworkSchemaEncoder(nn.Module):
    """``forward(h_target, [h_type_t], [(index_t, valid_t)]) -> (Z, beta)``."""

    def __init__(self, num_types: int, hidden: int, attn_drop: float = 0.0) -> None:
        super().__init__()
        self.node_att = nn.ModuleList(NodeLevelAttention(hidden, attn_drop) for _ in range(num_types))
        self.type_att = SemanticAttention(hidden, attn_drop)

    def forward(
        self,
        h_target: torch.Tensor,
        h_types: Sequence[torch.Tensor],
        samples: Sequence[Tuple[torch.Tensor, torch.Tensor]],
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        per_type = [
            F.elu(att(h_target, h_t[index], valid))
            for att, h_t, (index, valid) in zip(self.node_att, h_types, samples)
        ]
        return self.type_att(per_type)
