"""MEOW's meta-path graphs: PathSim top-k pruning and the fixed masked copies.

MEOW's code (jianxiangyu/MEOW, ``module/preprocess.py``) does not use a meta-path's full
adjacency. It keeps, in every row ``i`` of the instance counts ``C``, the ``k`` columns with the
largest PathSim

    s_ij = 2 C_ij / (C_ii + C_jj)

(``nei_max`` per meta-path), with their counts as weights. Its normalisation
:func:`meow_normalize` is ``D^{-1/2} P^T D^{-1/2}`` with ``D`` the row sums of the pruned ``P``:
the transpose means node ``i`` aggregates from the nodes that kept ``i`` among their top ``k``.

For the masked branch of its fine-grained view it draws, once before training, a copy of every
pruned graph without self-loops with a fraction of its edges removed, then binarised, with
self-loops added and normalised the same way (:func:`masked_graph`), and a copy of the target
features with a fraction of their non-zero entries set to 0 (:func:`mask_feature_entries`).
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import HeteroData

from graphcl.data.hetero import metapath_counts
from graphcl.graph.metapath import relation_matrix


def metapath_count_matrix(data: HeteroData, metapath: str) -> sp.csr_matrix:
    """Instance counts of ``metapath`` (letters, e.g. ``"apcpa"``) from the relation edges.

    Computed from the relations rather than read from ``data[(t, mp, t)]``, whose weights are
    0/1 where the dataset's file stores a boolean pattern (HeCo's ``pap.npz``).
    """
    relations: Dict[str, sp.csr_matrix] = {}
    for a, b in zip(metapath[:-1], metapath[1:]):
        for x, y in ((a, b), (b, a)):
            if x + y not in relations:
                rel = relation_matrix(data, data.letters[x], data.letters[y])
                idx = rel.indices().numpy()
                relations[x + y] = sp.csr_matrix((np.ones(idx.shape[1]), (idx[0], idx[1])), shape=tuple(rel.shape))
    return metapath_counts(relations, metapath)


def pathsim_top_k(counts: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest-PathSim entries of every row of ``counts`` (ties: lower column), with their counts."""
    if k < 1:
        raise ValueError(f"top-k needs k >= 1, got {k}")
    coo = sp.coo_matrix(counts)
    diag = np.asarray(sp.csr_matrix(counts).diagonal(), dtype=np.float64)
    denom = diag[coo.row] + diag[coo.col]
    sim = np.divide(2.0 * coo.data, denom, out=np.zeros_like(coo.data, dtype=np.float64), where=denom > 0)
    order = np.lexsort((coo.col, -sim, coo.row))  # by row, then PathSim descending, then column
    rows = coo.row[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = order[np.arange(len(order)) - starts < k]
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape)


def meow_normalize(adj: sp.spmatrix) -> torch.Tensor:
    """``D^{-1/2} A^T D^{-1/2}`` with ``D`` the row sums of ``A``, as a sparse COO tensor (MEOW's ``normalize_adj``)."""
    coo = sp.coo_matrix(adj)
    deg = np.asarray(coo.sum(axis=1)).ravel()
    inv = np.divide(1.0, np.sqrt(deg), out=np.zeros_like(deg, dtype=np.float64), where=deg > 0)
    vals = coo.data * inv[coo.row] * inv[coo.col]
    idx = torch.from_numpy(np.stack([coo.col, coo.row]).astype(np.int64))
    return torch.sparse_coo_tensor(idx, torch.from_numpy(vals.astype(np.float32)), coo.shape[::-1], check_invariants=False).coalesce()


def masked_graph(adj: sp.spmatrix, fraction: float, rng: np.random.Generator) -> sp.csr_matrix:
    """``adj`` without self-loops, ``int(fraction * edges)`` random edges removed, binarised, plus self-loops."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"edge mask fraction must be in [0, 1), got {fraction}")
    coo = sp.coo_matrix(adj)
    off = coo.row != coo.col
    row, col = coo.row[off], coo.col[off]
    kept = rng.permutation(len(row))[int(fraction * len(row)):]
    n = adj.shape[0]
    out = sp.csr_matrix((np.ones(len(kept)), (row[kept], col[kept])), shape=adj.shape)
    return (out + sp.identity(n, format="csr")).tocsr()


def mask_feature_entries(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """``x`` with ``int(fraction * nnz)`` of its non-zero entries (chosen at random) set to 0."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"feature mask fraction must be in [0, 1), got {fraction}")
    if x.is_sparse:
        x = x.coalesce()
        vals = x.values().clone()
        drop = torch.randperm(len(vals), generator=generator)[: int(fraction * len(vals))]
        vals[drop] = 0
        return torch.sparse_coo_tensor(x.indices(), vals, x.shape, check_invariants=False).coalesce()
    flat = x.clone().reshape(-1)
    nz = flat.nonzero().squeeze(1)
    flat[nz[torch.randperm(len(nz), generator=generator)[: int(fraction * len(nz))]]] = 0
    return flat.reshape(x.shape)


__all__ = ["metapath_count_matrix", "pathsim_top_k", "meow_normalize", "masked_graph", "mask_feature_entries"]
