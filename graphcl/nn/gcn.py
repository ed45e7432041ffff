"""Graph convolutional encoder (Kipf & Welling) built from PyG's ``GCNConv``."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch_geometric.nn import GCNConv


class GCNEncoder(nn.Module):
    """``z = GCN_L(... ReLU(GCN_1(x, A)) ...)`` with ``GCN(h) = D^-1/2 (A+I) D^-1/2 h W``.

    Layer sizes ``in_dim -> hidden... -> z_dim``; ReLU between layers, linear output. A
    drop-in replacement for :class:`graphcl.nn.mlp.MLPEncoder` (same ``forward(x,
    edge_index)``). ``cached=True`` reuses the normalised adjacency, which is only valid
    when the graph never changes (not with edge-dropping views).
    """

    def __init__(self, in_dim: int, hidden: Sequence[int] = (500, 500, 2000), z_dim: int = 10,
                 cached: bool = False, activation: nn.Module | None = None) -> None:
        super().__init__()
        dims = [in_dim, *hidden, z_dim]
        self.convs = nn.ModuleList(GCNConv(a, b, cached=cached) for a, b in zip(dims[:-1], dims[1:]))
        self.activation = activation if activation is not None else nn.ReLU()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """``x``: N x in_dim, ``edge_index``: 2 x E (both directions) -> N x z_dim."""
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = self.activation(x)
        return x


__all__ = ["GCNEncoder"]
