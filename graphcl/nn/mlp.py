"""Fully connected encoders: the SDCN autoencoder (d-500-500-2000-z and its mirror)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn


def mlp(dims: Sequence[int], final_activation: bool = False) -> nn.Sequential:
    """``Linear(d0, d1) -> ReLU -> ... -> Linear(d_{L-1}, d_L)`` (ReLU after the last if asked)."""
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2 or final_activation:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """Node-wise encoder ``z = MLP(x)``: ``in_dim -> hidden... -> z_dim`` (linear output).

    ``forward(x, edge_index)`` takes (and ignores) the graph so that it is interchangeable
    with :class:`graphcl.nn.gcn.GCNEncoder`.
    """

    def __init__(self, in_dim: int, hidden: Sequence[int] = (500, 500, 2000), z_dim: int = 10) -> None:
        super().__init__()
        self.net = mlp([in_dim, *hidden, z_dim])

    def forward(self, x: torch.Tensor, edge_index: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``x``: N x in_dim -> N x z_dim."""
        return self.net(x)


class MLPDecoder(nn.Module):
    """Mirror of the encoder: ``z_dim -> reversed(hidden)... -> out_dim`` (linear output)."""

    def __init__(self, out_dim: int, hidden: Sequence[int] = (500, 500, 2000), z_dim: int = 10) -> None:
        super().__init__()
        self.net = mlp([z_dim, *reversed(list(hidden)), out_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``z``: N x z_dim -> reconstruction N x out_dim."""
        return self.net(z)


__all__ = ["mlp", "MLPEncoder", "MLPDecoder"]
