"""Per-node-type input projection for heterogeneous graphs.

Every node type ``t`` has its own input dimension; ``h_t = ELU(dropout(X_t W_t + b_t))``
maps all of them to a shared hidden size (HeCo, MEOW). ``X_t`` may be a sparse COO tensor
(bag-of-words or one-hot ids), which is multiplied sparsely.
"""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn


def sparse_linear(x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
    """``layer(x)`` that also accepts a sparse ``x``."""
    if x.is_sparse:
        out = torch.sparse.mm(x, layer.weight.t())
        return out if layer.bias is None else out + layer.bias
    return layer(x)


class TypeProjection(nn.Module):
    """``forward({type: X_t}) -> {type: h_t}`` with ``h_t`` of shape ``N_t x hidden``."""

    def __init__(self, in_dims: Dict[str, int], hidden: int, feat_drop: float = 0.0) -> None:
        super().__init__()
        self.fcs = nn.ModuleDict({t: nn.Linear(d, hidden) for t, d in in_dims.items()})
        for fc in self.fcs.values():
            nn.init.xavier_normal_(fc.weight, gain=1.414)
            nn.init.zeros_(fc.bias)
        self.drop = nn.Dropout(feat_drop)

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        return {t: F.elu(self.drop(sparse_linear(x, self.fcs[t]))) for t, x in feats.items() if t in self.fcs}
