"""Parameter-free meta-nodes: one summed embedding per (hard) cluster.

PamC approximates the N^2 negative pairs of node-level contrast by the k^2 pairs of
meta-nodes ``m_c = sum_{i: a_i = c} z_i`` where ``a_i = argmax_j q_ij`` is the hard cluster
assignment. Forming them costs O(N d); gradients flow to every member's ``z_i``.
"""
from __future__ import annotations

from typing import Tuple

import torch


def meta_nodes(z: torch.Tensor, assignment: torch.Tensor, num_clusters: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sum ``z`` (N x d) per cluster of ``assignment`` (N, int in [0, k)).

    Returns ``(m, counts)``: ``m`` is k x d with ``m[c] = sum_{i: assignment_i = c} z_i``
    (zero for empty clusters) and ``counts`` (k,) the cluster sizes.
    """
    if assignment.dim() != 1 or assignment.shape[0] != z.shape[0]:
        raise ValueError(f"assignment must be a vector of {z.shape[0]} cluster ids, got shape {tuple(assignment.shape)}")
    assignment = assignment.to(device=z.device, dtype=torch.long)
    m = z.new_zeros(num_clusters, z.shape[1]).index_add(0, assignment, z)
    counts = torch.bincount(assignment, minlength=num_clusters)
    return m, counts


__all__ = ["meta_nodes"]
