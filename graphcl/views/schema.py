"""Network-schema view: a fixed number of sampled neighbours per directly connected type.

For every target node and neighbour type ``t`` with sample rate ``k_t`` (HeCo): if the
node has at least ``k_t`` neighbours of type ``t`` it gets ``k_t`` distinct ones uniformly
at random, otherwise ``k_t`` draws with replacement. Sampling is vectorised over all nodes
(random keys sorted within CSR rows) and redone every epoch by the model.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
from torch_geometric.data import HeteroData

from graphcl.graph.metapath import relation_matrix


class SchemaNeighbourSampler:
    """``sample(generator) -> [(index_t [N, k_t], valid_t [N, k_t])]`` per neighbour type.

    ``index_t`` holds type-``t`` node ids; ``valid_t`` is false only for nodes that have no
    type-``t`` neighbour at all (their row of ``index_t`` is 0 and must be ignored).
    """

    def __init__(self, indptrs: Sequence[torch.Tensor], indices: Sequence[torch.Tensor], rates: Sequence[int]) -> None:
        if not (len(indptrs) == len(indices) == len(rates)):
            raise ValueError("need one CSR structure and one sample rate per neighbour type")
        self.indptrs = list(indptrs)
        self.indices = list(indices)
        self.rates = [int(r) for r in rates]

    @classmethod
    def from_data(cls, data: HeteroData, rates: Sequence[int], types: Optional[Sequence[str]] = None) -> "SchemaNeighbourSampler":
        """Neighbours of ``data.target`` through its relation with each schema type."""
        types = list(types or data.schema_types)
        if len(types) != len(rates):
            raise ValueError(f"{len(types)} schema types {types} but {len(rates)} sample rates {list(rates)}")
        indptrs, indices = [], []
        for t in types:
            rel = relation_matrix(data, data.target, t)  # coalesced: sorted by row
            row, col = rel.indices()
            indptr = torch.zeros(rel.shape[0] + 1, dtype=torch.long)
            indptr[1:] = torch.cumsum(torch.bincount(row, minlength=rel.shape[0]), 0)
            indptrs.append(indptr)
            indices.append(col)
        return cls(indptrs, indices, rates)

    def to(self, device: torch.device) -> "SchemaNeighbourSampler":
        self.indptrs = [p.to(device) for p in self.indptrs]
        self.indices = [i.to(device) for i in self.indices]
        return self

    def sample(self, generator: Optional[torch.Generator] = None) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        return [sample_neighbours(p, i, k, generator) for p, i, k in zip(self.indptrs, self.indices, self.rates)]


def sample_neighbours(
    indptr: torch.Tensor, indices: torch.Tensor, k: int, generator: Optional[torch.Generator] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sample ``k`` neighbours per CSR row (distinct when the row has ``>= k`` entries)."""
    device = indices.device
    n = indptr.numel() - 1
    deg = indptr[1:] - indptr[:-1]
    out = torch.zeros(n, k, dtype=torch.long, device=device)
    # With replacement for every row; rows with enough neighbours are overwritten below.
    u = torch.rand(n, k, generator=generator, device=device)
    pos = indptr[:-1].unsqueeze(1) + (u * deg.unsqueeze(1)).long().clamp_max((deg - 1).clamp_min(0).unsqueeze(1))
    has = deg > 0
    out[has] = indices[pos[has]]
    # Without replacement: a random key per edge, ordered within rows; keep ranks < k.
    row = torch.repeat_interleave(torch.arange(n, device=device), deg)
    keys = torch.rand(indices.numel(), generator=generator, device=device, dtype=torch.float64)
    perm = torch.argsort(row.to(keys.dtype) * 2.0 + keys)
    rank = torch.arange(indices.numel(), device=device) - indptr[row]
    take = (rank < k) & (deg[row] >= k)
    out[row[take], rank[take]] = indices[perm[take]]
    valid = has.unsqueeze(1).expand(n, k)
    return out, valid
