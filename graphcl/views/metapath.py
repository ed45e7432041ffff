"""Meta-path view: one normalised adjacency over the target nodes per meta-path.

Each meta-path ``m`` stored by :mod:`graphcl.data.hetero` as edge type ``(target, m,
target)`` becomes ``normalize(C_m)`` (see :func:`graphcl.graph.metapath.normalize`), with
``C_m`` the instance counts or, with ``binary=True``, their 0/1 pattern (HeCo's files are
boolean).

A symmetric meta-path ``t0 .. tk .. t0`` has counts ``C = H H^T`` with ``H`` the product of
relations over its first half. When that factorisation is exact for the requested weights
(always for counts; for the 0/1 pattern when every count is 1, e.g. ACM's PSP, where each
paper has one subject) and ``H`` has fewer entries than ``C``, the adjacency is kept as a
:class:`FactorisedAdjacency` and applied as ``d ⊙ H (H^T (d' ⊙ X))``: ACM's PSP has 4.3M
entries but ``H`` only 4K.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Union

import torch
from torch_geometric.data import HeteroData

from graphcl.errors import DataError
from graphcl.graph.metapath import Norm, metapath_adjacency, normalize, sparse_matrix


@dataclass
class FactorisedAdjacency:
    """``diag(left) H H^T diag(right)`` as an operator: ``adj @ x`` for dense ``x``."""

    h: torch.Tensor  # N x K sparse
    h_t: torch.Tensor  # K x N sparse
    left: torch.Tensor  # N
    right: torch.Tensor  # N

    @property
    def shape(self):
        return (self.h.shape[0], self.h.shape[0])

    def __matmul__(self, x: torch.Tensor) -> torch.Tensor:
        inner = torch.sparse.mm(self.h_t, self.right.unsqueeze(1) * x)
        return self.left.unsqueeze(1) * torch.sparse.mm(self.h, inner)

    def to(self, device) -> "FactorisedAdjacency":
        return FactorisedAdjacency(self.h.to(device), self.h_t.to(device), self.left.to(device), self.right.to(device))

    def to_dense(self) -> torch.Tensor:
        return self @ torch.eye(self.shape[0], device=self.left.device)


Adjacency = Union[torch.Tensor, FactorisedAdjacency]


def metapath_adjacencies(
    data: HeteroData, metapaths: Sequence[str] = (), norm: Norm = "sym", binary: bool = True, factorise: bool = True
) -> List[Adjacency]:
    """Normalised ``N x N`` adjacency of every meta-path (default: ``data.metapaths``)."""
    target = data.target
    n = data[target].num_nodes
    out: List[Adjacency] = []
    for mp in metapaths or data.metapaths:
        key = (target, mp, target)
        if key not in data.edge_types:
            raise DataError(None, f"meta-path {mp!r} is not in the graph (have {list(data.metapaths)})")
        store = data[key]
        fact = _factorised(data, mp, store.edge_index.shape[1], norm, binary) if factorise else None
        if fact is not None:
            out.append(fact)
            continue
        weight = None if binary else store.get("edge_weight")
        out.append(normalize(sparse_matrix(store.edge_index, (n, n), weight), norm))
    return out


def _factorised(data: HeteroData, mp: str, nnz: int, norm: Norm, binary: bool):
    steps = len(mp) - 1
    if mp != mp[::-1] or steps % 2 or norm == "none":
        return None
    h = metapath_adjacency(data, [data.letters[c] for c in mp[: steps // 2 + 1]])
    if h._nnz() >= nnz:
        return None  # the factors would cost more than the matrix
    col_deg = torch.zeros(h.shape[1]).index_add_(0, h.indices()[1], h.values())
    if binary and float((col_deg**2).sum()) != float(nnz):
        return None  # some pair has several path instances: H H^T is not the 0/1 pattern
    deg = torch.sparse.mm(h, col_deg.unsqueeze(1)).squeeze(1)  # C 1 = H (H^T 1)
    if norm == "row":
        left = torch.where(deg > 0, 1.0 / deg, torch.zeros_like(deg))
        right = torch.ones_like(deg)
    else:
        left = torch.where(deg > 0, deg.rsqrt(), torch.zeros_like(deg))
        right = left
    return FactorisedAdjacency(h, h.t().coalesce(), left, right)


def mean_adjacency(adjs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``(1/M) sum_m A_m`` of sparse adjacencies: MEOW's coarse view (only *whether* linked)."""
    total = adjs[0]
    for adj in adjs[1:]:
        total = total + adj
    total = total.coalesce()
    return torch.sparse_coo_tensor(total.indices(), total.values() / len(adjs), total.shape, check_invariants=False).coalesce()
