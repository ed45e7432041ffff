"""Sparse meta-path adjacencies over the target nodes of a heterogeneous graph.

A meta-path ``t0 t1 ... tL`` (e.g. paper-author-paper) links two target nodes once per
path instance. With binary relation matrices ``R_{ab}`` (``|a| x |b|``), the instance
counts are the sparse product ``C = R_{t0 t1} R_{t1 t2} ... R_{t(L-1) tL}``. Encoders use a
normalised ``C``: row-normalised ``D^{-1} C`` (mean over meta-path neighbours) or
symmetric ``D^{-1/2} C D^{-1/2}`` (HeCo's GCN), with ``D = diag(C 1)``.

All matrices are ``torch.sparse_coo`` tensors; nothing dense of size ``N x N`` is built.
"""
from __future__ import annotations

import warnings
from typing import Literal, Optional, Sequence

import torch
from torch_geometric.data import HeteroData

from graphcl.errors import DataError

Norm = Literal["row", "sym", "none"]


def sparse_matrix(edge_index: torch.Tensor, shape: Sequence[int], weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Coalesced sparse ``shape`` matrix with ones (or ``weight``) at ``edge_index``."""
    values = torch.ones(edge_index.shape[1], device=edge_index.device) if weight is None else weight.float()
    return torch.sparse_coo_tensor(edge_index, values, tuple(shape), check_invariants=False).coalesce()


def relation_matrix(data: HeteroData, src: str, dst: str) -> torch.Tensor:
    """Binary ``|src| x |dst|`` matrix of the (unique) relation stored from ``src`` to ``dst``."""
    keys = [k for k in data.edge_types if k[0] == src and k[2] == dst and not k[1].startswith(("nei_", "pos"))]
    if src == dst:
        keys = [k for k in keys if len(k[1]) == 2]
    if len(keys) != 1:
        raise DataError(None, f"expected one relation {src}->{dst}, found {[k[1] for k in keys]}")
    ei = data[keys[0]].edge_index
    mat = sparse_matrix(ei, (data[src].num_nodes, data[dst].num_nodes))
    return torch.sparse_coo_tensor(mat.indices(), torch.ones_like(mat.values()), mat.shape, check_invariants=False).coalesce()


def metapath_adjacency(data: HeteroData, node_types: Sequence[str]) -> torch.Tensor:
    """Instance counts ``C = R_{t0 t1} ... R_{t(L-1) tL}`` for the meta-path ``node_types``."""
    if len(node_types) < 2:
        raise DataError(None, f"a meta-path needs at least two node types, got {list(node_types)}")
    out = relation_matrix(data, node_types[0], node_types[1])
    with warnings.catch_warnings():
        # torch warns that its internal CSR path is "beta" on every sparse x sparse product.
        warnings.simplefilter("ignore", UserWarning)
        for a, b in zip(node_types[1:-1], node_types[2:]):
            out = torch.sparse.mm(out, relation_matrix(data, a, b)).coalesce()
    return out


def normalize(adj: torch.Tensor, mode: Norm = "row") -> torch.Tensor:
    """``D^{-1} A`` (``"row"``), ``D^{-1/2} A D^{-1/2}`` (``"sym"``) or ``A`` (``"none"``).

    Rows with zero degree stay zero. ``adj`` is a sparse COO ``n x m`` matrix (``"sym"``
    requires ``n == m``).
    """
    adj = adj.coalesce()
    if mode == "none":
        return adj
    row, col = adj.indices()
    val = adj.values()
    deg = torch.zeros(adj.shape[0], device=val.device, dtype=val.dtype).index_add_(0, row, val)
    if mode == "row":
        inv = torch.where(deg > 0, 1.0 / deg, torch.zeros_like(deg))
        new = val * inv[row]
    elif mode == "sym":
        if adj.shape[0] != adj.shape[1]:
            raise ValueError("symmetric normalisation needs a square matrix")
        inv = torch.where(deg > 0, deg.rsqrt(), torch.zeros_like(deg))
        new = val * inv[row] * inv[col]
    else:
        raise ValueError(f"unknown normalisation {mode!r}")
    return torch.sparse_coo_tensor(adj.indices(), new, adj.shape, check_invariants=False).coalesce()


def top_positives(adjs: Sequence[torch.Tensor], max_positives: int) -> torch.Tensor:
    """HeCo-style positives: per node, the ``max_positives`` nodes most connected by meta-paths.

    The score of ``(i, j)`` is ``sum_m C_m[i, j] / max_j' C_m[i, j']`` (each meta-path's
    counts scaled to ``[0, 1]`` per row so that dense meta-paths do not dominate); nodes
    with score 0 are never positives and ``i`` itself always is. Returns the positive pairs
    as a ``2 x P`` edge index sorted by row. Vectorised: one global sort by (row, -score).
    """
    n = adjs[0].shape[0]
    total = None
    for adj in adjs:
        adj = adj.coalesce()
        row = adj.indices()[0]
        val = adj.values().float()
        rmax = torch.zeros(n, device=val.device).scatter_reduce_(0, row, val, "amax", include_self=False)
        scaled = torch.sparse_coo_tensor(adj.indices(), val / rmax[row].clamp_min(1e-12), adj.shape, check_invariants=False)
        total = scaled if total is None else total + scaled
    eye = torch.arange(n, device=total.device)
    # The anchor itself always ranks first: add more than any achievable score.
    self_bonus = torch.sparse_coo_tensor(torch.stack([eye, eye]), torch.full((n,), float(len(adjs) + 1), device=total.device), (n, n), check_invariants=False)
    total = (total + self_bonus).coalesce()
    row, col = total.indices()
    score = total.values()
    keep = score > 0
    row, col, score = row[keep], col[keep], score[keep]
    order = torch.argsort(score, descending=True, stable=True)
    order = order[torch.argsort(row[order], stable=True)]
    row, col = row[order], col[order]
    starts = torch.zeros(n + 1, dtype=torch.long, device=row.device)
    starts[1:] = torch.cumsum(torch.bincount(row, minlength=n), 0)
    rank = torch.arange(len(row), device=row.device) - starts[row]
    sel = rank < max_positives
    return torch.stack([row[sel], col[sel]])
