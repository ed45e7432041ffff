"""Sparse adjacency construction and the propagation kernel.

This module is the only place that knows how a sparse product is done. Adjacencies are
torch CSR tensors (built once; never converted per call). Propagation through a symmetric
matrix uses a custom autograd function whose backward is another product with the same
matrix (``d(AX)/dX^T g = A^T g = A g``), which avoids torch building the transposed CSR on
every backward pass; measured 2-3x faster than the generic sparse backward.
"""
from __future__ import annotations

import warnings
from typing import Optional, Tuple, Union

import numpy as np
import scipy.sparse as sp
import torch

Device = Union[str, torch.device, None]


class _SymmetricSpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.adj = adj
        return adj @ x

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return None, ctx.adj @ grad.contiguous()


def sym_spmm(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``adj @ x`` for a **symmetric** sparse ``adj`` (N x N CSR) and dense ``x`` (N x d).

    Gradients flow to ``x`` only (the adjacency is a constant of the graph).
    """
    if not x.requires_grad:
        return adj @ x
    return _SymmetricSpMM.apply(adj, x)


def _row_entries(adj: torch.Tensor, rows: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Positions in ``adj``'s ``col_indices`` of the non-zeros of ``rows`` (row by row) and their counts."""
    crow = adj.crow_indices()
    starts = crow[rows]
    counts = crow[rows + 1] - starts
    ends = torch.cumsum(counts, 0)
    # entry j of row r sits at starts[r] + (j - first output slot of r)
    shift = torch.repeat_interleave(starts - (ends - counts), counts)
    return shift + torch.arange(int(ends[-1]) if len(ends) else 0, device=adj.device), counts


def neighbourhood_block(adj: torch.Tensor, rows: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(cols, block)``: ``rows`` followed by each neighbour not among them, and ``adj[rows][:, cols]`` (CSR).

    ``rows`` must be distinct; they stay a prefix of ``cols``, so values computed on ``cols``
    can be cut back to ``rows`` by slicing. Renumbering the columns that way unsorts them within
    a row, so the block's entries are sorted once per row: a CSR tensor with sorted, distinct
    column indices per row is what torch's invariants and cuSPARSE assume. Measured on Gowalla,
    one CPU thread (experiments/bench_block_sort.py): the sort is ~2% of a 2-layer LightGCN step,
    and the sorted block's product is no slower than the unsorted one's (0.95x).
    """
    entries, counts = _row_entries(adj, rows)
    neighbours = adj.col_indices()[entries]
    where = torch.full((adj.shape[1],), -1, dtype=torch.int64, device=adj.device)
    where[neighbours] = 0
    where[rows] = -1
    new = (where == 0).nonzero().squeeze(1)
    cols = torch.cat([rows, new])
    where[cols] = torch.arange(len(cols), device=adj.device)
    local_cols = where[neighbours]
    local_rows = torch.repeat_interleave(torch.arange(len(rows), device=adj.device), counts)
    order = torch.argsort(local_rows * len(cols) + local_cols)
    crow = torch.zeros(len(rows) + 1, dtype=torch.int64, device=adj.device)
    crow[1:] = torch.cumsum(counts, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        block = torch.sparse_csr_tensor(crow, local_cols[order], adj.values()[entries][order],
                                        size=(len(rows), len(cols)), check_invariants=False)
    return cols, block


def csr_from_coo(rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """A torch CSR tensor from COO triplets (duplicates must not occur)."""
    n_rows = size[0]
    key = rows * size[1] + cols
    order = torch.argsort(key)
    rows, cols, values = rows[order], cols[order], values[order]
    crow = torch.zeros(n_rows + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n_rows), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "CSR support is in beta": noise for users
        return torch.sparse_csr_tensor(crow, cols, values, size=size, check_invariants=False)


def bipartite_norm_adj(users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int,
                       weights: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Symmetric-normalised bipartite adjacency ``D^-1/2 A D^-1/2`` as (U+I) x (U+I) CSR.

    ``A = [[0, R], [R^T, 0]]`` with ``R[u, i] = 1`` (or ``weights``) for each (user, item)
    pair; items are indexed after users. Nodes of degree 0 get a zero row. ``users`` and
    ``items`` must hold unique pairs; they may live on any device and the result lives there.
    """
    n = num_users + num_items
    users = users.long()
    items = items.long() + num_users
    rows = torch.cat([users, items])
    cols = torch.cat([items, users])
    w = torch.ones(len(users), dtype=torch.float32, device=users.device) if weights is None else weights.float()
    w = torch.cat([w, w])
    deg = torch.zeros(n, dtype=torch.float32, device=users.device).index_add_(0, rows, w)
    inv_sqrt = torch.where(deg > 0, deg.clamp_min(1e-12).pow(-0.5), torch.zeros_like(deg))
    values = inv_sqrt[rows] * w * inv_sqrt[cols]
    return csr_from_coo(rows, cols, values, (n, n))


def interactions_to_tensors(train: sp.csr_matrix, device: Device = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(users, items) int64 tensors of a CSR interaction matrix's non-zeros."""
    coo = train.tocoo()
    return (torch.from_numpy(coo.row.astype(np.int64)).to(device),
            torch.from_numpy(coo.col.astype(np.int64)).to(device))


def norm_interaction_matrix(users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int) -> torch.Tensor:
    """``D_u^-1/2 R D_i^-1/2`` (U x I, sparse COO, coalesced): the block of the normalised adjacency."""
    deg_u = torch.bincount(users, minlength=num_users).float()
    deg_i = torch.bincount(items, minlength=num_items).float()
    values = deg_u[users].clamp_min(1).pow(-0.5) * deg_i[items].clamp_min(1).pow(-0.5)
    return torch.sparse_coo_tensor(torch.stack([users, items]), values, (num_users, num_items),
                                   check_invariants=False).coalesce()
