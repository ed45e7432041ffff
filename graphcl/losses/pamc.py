"""Contrastive clustering terms of SCGC and PamC (Kulatilleke et al., 2022).

For embeddings ``z`` (N x d), cosine ``s(a, b) = a.b / (|a||b|)`` and temperature-like
scale ``tau`` (it multiplies the cosine):

* positive mass of node i over its r-hop neighbourhood,
  ``pos_i = sum_{j != i} W_ij exp(tau s(z_i, z_j))`` with ``W = Â^r`` and ``Â = D^-1 (A + I)``,
  or the "influence" form ``W = Â + Â^2 + ... + Â^r`` (``cumulative``; what the official SCGC and
  PamC code computes under its ``--influence`` flag); computed over the nonzeros of ``W`` only:
  O(nnz(W) d).
* SCGC all-pairs negatives: ``neg_i = sum_{k != i} exp(tau s(z_i, z_k))``: O(N^2 d) time and
  O(N^2) memory.
* PamC meta-node negatives: with meta-nodes ``m_c = sum_{i in c} z_i`` (hard clusters),
  ``neg_c = sum_{c' != c} exp(tau s(m_c, m_c'))``: O(N d + k^2 d).

The contrastive loss is ``-mean_i log pos_i + mean_i log neg_i`` (SCGC) or
``-mean_i log pos_i + mean_c log neg_c`` (PamC).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from graphcl.views.meta_node import meta_nodes


def positive_pairs(edge_index: torch.Tensor, num_nodes: int, order: int = 1,
                   cumulative: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Nonzeros of ``W = Â^order`` (or ``Â + ... + Â^order`` if ``cumulative``) off the diagonal,
    as ``(pairs 2 x P, weights P)``, with ``Â = D^-1 (A + I)``.

    ``A`` is the binary symmetric adjacency of ``edge_index`` (duplicates collapse) and ``D``
    the row sums of ``A + I`` (the SDCN row-normalised adjacency). Self-pairs are dropped
    because ``s(z_i, z_i) = 1`` carries no signal. Pairs are sorted by row.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    ei = edge_index.detach().cpu().numpy()
    adj = sp.coo_matrix((np.ones(ei.shape[1], dtype=np.float64), (ei[0], ei[1])), shape=(num_nodes, num_nodes)).tocsr()
    adj.data[:] = 1.0
    adj = ((adj + adj.T) > 0).astype(np.float64) + sp.eye(num_nodes, format="csr")
    adj = sp.diags(1.0 / np.asarray(adj.sum(1)).ravel()) @ adj
    power = total = adj
    for _ in range(order - 1):
        power = power @ adj
        total = total + power if cumulative else power
    w = sp.coo_matrix(total)
    keep = w.row != w.col
    rows, cols, vals = w.row[keep], w.col[keep], w.data[keep]
    order_idx = np.lexsort((cols, rows))
    pairs = torch.from_numpy(np.stack([rows[order_idx], cols[order_idx]]).astype(np.int64))
    return pairs.to(edge_index.device), torch.from_numpy(vals[order_idx].astype(np.float32)).to(edge_index.device)


def positive_log_mass(z: torch.Tensor, pairs: torch.Tensor, weights: torch.Tensor, tau: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(log pos_i, has_pos_i)`` for every node, computed over ``pairs`` only.

    ``pos_i = sum_{(i, j) in pairs} w_ij exp(tau s(z_i, z_j))``; nodes without any pair get
    ``has_pos = False`` and ``log pos = 0``.
    """
    zn = F.normalize(z, dim=1)
    src, dst = pairs
    sim = (zn[src] * zn[dst]).sum(1)
    mass = z.new_zeros(z.shape[0]).index_add(0, src, weights * torch.exp(tau * sim))
    has_pos = torch.zeros(z.shape[0], dtype=torch.bool, device=z.device)
    has_pos[src] = True
    return torch.where(has_pos, torch.log(torch.where(has_pos, mass, torch.ones_like(mass))), torch.zeros_like(mass)), has_pos


def positive_term(z: torch.Tensor, pairs: torch.Tensor, weights: torch.Tensor, tau: float) -> torch.Tensor:
    """``-mean_i log pos_i`` over the nodes that have at least one positive pair."""
    log_pos, has_pos = positive_log_mass(z, pairs, weights, tau)
    return -log_pos[has_pos].mean()


def all_pairs_negative_term(z: torch.Tensor, tau: float) -> torch.Tensor:
    """SCGC: ``mean_i log sum_{k != i} exp(tau s(z_i, z_k))`` from the dense N x N cosine matrix."""
    zn = F.normalize(z, dim=1)
    sim = tau * (zn @ zn.T)
    sim = sim.masked_fill(torch.eye(z.shape[0], dtype=torch.bool, device=z.device), float("-inf"))
    return torch.logsumexp(sim, dim=1).mean()


def meta_node_negative_term(z: torch.Tensor, assignment: torch.Tensor, num_clusters: int, tau: float) -> torch.Tensor:
    """PamC: ``mean_c log sum_{c' != c} exp(tau s(m_c, m_c'))`` over non-empty clusters.

    Empty clusters have no meta-node and take no part. With fewer than two non-empty
    clusters there is no negative pair and the term is 0.
    """
    m, counts = meta_nodes(z, assignment, num_clusters)
    m = m[counts > 0]
    if m.shape[0] < 2:
        return z.new_zeros(())
    mn = F.normalize(m, dim=1)
    sim = tau * (mn @ mn.T)
    sim = sim.masked_fill(torch.eye(m.shape[0], dtype=torch.bool, device=z.device), float("-inf"))
    return torch.logsumexp(sim, dim=1).mean()


__all__ = [
    "positive_pairs",
    "positive_log_mass",
    "positive_term",
    "all_pairs_negative_term",
    "meta_node_negative_term",
]
