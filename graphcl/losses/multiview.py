"""Multi-view contrastive losses with one term per anchor (Koromilas et al., 2025).

Given V >= 2 views of the same B nodes, ``z[v, i]`` (L2-normalised), similarity
``s(x, y) = x.y / tau``:

* **MV-InfoNCE** contrasts every view of node i at once:

      L_i = -log [ sum_{v != w} exp s(z_vi, z_wi) ] + log [ sum_v sum_{(w, j) != (v, i)} exp s(z_vi, z_wj) ]

  The numerator sums over ordered pairs of distinct views of node i; the denominator sums,
  over every view of node i, all other embeddings of the batch (all views, all nodes).

* **MV-DHEL** decouples alignment from uniformity: the numerator is the same alignment
  term (over unordered view pairs) while uniformity only compares embeddings within a view:

      L_i = -log [ sum_{v < w} exp s(z_vi, z_wi) ] + sum_v log [ sum_{j != i} exp s(z_vi, z_vj) ]

Both return ``mean_i L_i``. With V = 2, MV-DHEL is the symmetric decoupled hyperspherical
energy loss.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
import torch.nn.functional as F

Views = Union[torch.Tensor, Sequence[torch.Tensor]]


def _stack(views: Views) -> torch.Tensor:
    z = views if isinstance(views, torch.Tensor) else torch.stack(list(views), 0)
    if z.dim() != 3 or z.shape[0] < 2:
        raise ValueError(f"expected V >= 2 views of shape (B, d), got a tensor of shape {tuple(z.shape)}")
    if z.shape[1] < 2:
        raise ValueError("multi-view losses need at least two nodes (negatives come from the batch)")
    return F.normalize(z, dim=-1)


def _alignment_logits(z: torch.Tensor, tau: float) -> torch.Tensor:
    """(V, V, B) same-node similarities ``s(z_vi, z_wi)``."""
    return torch.einsum("vbd,wbd->vwb", z, z) / tau


def multiview_info_nce(views: Views, tau: float) -> torch.Tensor:
    """MV-InfoNCE over ``views`` ((V, B, d) tensor or V tensors of (B, d))."""
    z = _stack(views)
    v, b, d = z.shape
    off_diag = ~torch.eye(v, dtype=torch.bool, device=z.device)
    pos = _alignment_logits(z, tau)[off_diag].logsumexp(0)  # (B,)
    flat = z.reshape(v * b, d)
    logits = (flat / tau) @ flat.T
    logits = logits.masked_fill(torch.eye(v * b, dtype=torch.bool, device=z.device), float("-inf"))
    # Row (v, i) holds s(z_vi, .); summing every view of node i pools V rows per node.
    neg = logits.reshape(v, b, v * b).permute(1, 0, 2).reshape(b, -1).logsumexp(1)
    return (neg - pos).mean()


def mv_dhel(views: Views, tau: float) -> torch.Tensor:
    """MV-DHEL over ``views`` ((V, B, d) tensor or V tensors of (B, d))."""
    z = _stack(views)
    v, b, _ = z.shape
    upper = torch.triu(torch.ones(v, v, dtype=torch.bool, device=z.device), diagonal=1)
    pos = _alignment_logits(z, tau)[upper].logsumexp(0)  # (B,)
    within = torch.einsum("vid,vjd->vij", z / tau, z)
    within = within.masked_fill(torch.eye(b, dtype=torch.bool, device=z.device), float("-inf"))
    uniformity = within.logsumexp(2).sum(0)  # (B,)
    return (uniformity - pos).mean()


__all__ = ["multiview_info_nce", "mv_dhel"]
