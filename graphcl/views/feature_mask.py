"""GRACE views (Zhu et al., 2020): random feature-column masking and edge dropping."""
from __future__ import annotations

from typing import Optional

import torch
from torch_geometric.utils import dropout_edge


def mask_features(x: torch.Tensor, p: float, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Zero each feature column independently with probability ``p`` (same columns for all nodes)."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"feature mask probability must be in [0, 1), got {p}")
    keep = torch.rand(x.shape[1], generator=generator, device=x.device) >= p
    return x * keep.to(x.dtype)


def drop_edges(edge_index: torch.Tensor, p: float) -> torch.Tensor:
    """Remove each undirected edge with probability ``p`` (both directions together).

    Uses torch's global RNG (seeded by the caller) through PyG's ``dropout_edge``.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"edge drop probability must be in [0, 1), got {p}")
    upper = edge_index[:, edge_index[0] < edge_index[1]]
    kept, _ = dropout_edge(upper, p=p, force_undirected=False, training=True)
    return torch.cat([kept, kept.flip(0)], dim=1)


__all__ = ["mask_features", "drop_edges"]
