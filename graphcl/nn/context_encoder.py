"""Encoders of MEOW's two views over the target nodes of a heterogeneous graph.

* :class:`ContextFusion` builds the fine-grained input of one meta-path: the target's own
  embedding plus a learned map of each meta-path-context embedding (see
  :mod:`graphcl.views.metapath_context`):

      h^m_i = ELU(h_i + sum_p dropout(W_{m,p} c_{m,p,i}))

* :class:`LayerNormGCN` is the two-layer GCN shared by the coarse and the fine view:

      Z = LayerNorm(A dropout(PReLU(A dropout(X W_1)) W_2))

  with ``A`` a normalised adjacency (sparse tensor or any ``A @ X`` operator) and a
  parameter-free layer norm per row or (``norm="matrix"``, MEOW's code) over the whole matrix.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn


class ContextFusion(nn.Module):
    """``forward(h_target [N,d], contexts [P x (N,d)]) -> [N,d]`` for one meta-path."""

    def __init__(self, num_contexts: int, dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.maps = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(num_contexts))
        self.drop = nn.Dropout(dropout)
        for m in self.maps:
            nn.init.xavier_normal_(m.weight, gain=1.414)

    def context(self, contexts: Sequence[torch.Tensor], start: Union[torch.Tensor, float] = 0) -> torch.Tensor:
        """``start + sum_p dropout(W_{m,p} c_{m,p})``, added left to right: one dropout draw that
        several target inputs can share (``start=0``)."""
        return sum((self.drop(fc(c)) for fc, c in zip(self.maps, contexts)), start)

    def forward(self, h_target: torch.Tensor, contexts: Sequence[torch.Tensor]) -> torch.Tensor:
        # h + a + b in this order, as before `context` existed: graphcl's MEOW stays bit-identical
        return F.elu(self.context(contexts, h_target))


class LayerNormGCN(nn.Module):
    """``forward(X [N,d], A) -> Z [N,d]``: two propagation steps and a row layer norm."""

    def __init__(self, dim: int, dropout: float = 0.0, norm: str = "row") -> None:
        super().__init__()
        if norm not in ("row", "matrix"):
            raise ValueError(f"layer norm must be 'row' or 'matrix', got {norm!r}")
        self.norm = norm
        self.w1 = nn.Linear(dim, dim, bias=False)
        self.w2 = nn.Linear(dim, dim, bias=False)
        self.act = nn.PReLU()
        self.drop = nn.Dropout(dropout)
        nn.init.xavier_normal_(self.w1.weight, gain=1.414)
        nn.init.xavier_normal_(self.w2.weight, gain=1.414)

    def forward(self, x: torch.Tensor, adj) -> torch.Tensor:
        h = self.act(adj @ self.drop(self.w1(x)))
        z = adj @ self.drop(self.w2(h))
        return F.layer_norm(z, tuple(z.shape) if self.norm == "matrix" else (z.shape[1],))
