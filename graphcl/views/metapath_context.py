"""Meta-path context view (MEOW): which intermediate nodes connect targets along a meta-path.

The coarse view of a meta-path only says *whether* two targets are linked. The fine-grained
view also encodes *through which* nodes: for meta-path ``t0 t1 ... tL`` (``t0 = tL`` =
target) and every intermediate position ``p = 1..L-1`` the context embedding of target
``i`` is the walk-weighted mean of the type-``t_p`` embeddings reachable from ``i``:

    c_p = P_{t0 t1} P_{t1 t2} ... P_{t(p-1) tp} H_{tp},   P_ab = row-normalised relation a->b

evaluated right to left so that no ``N x |t_p|`` product matrix is ever formed (MEOW
stores the binarised products ``nei_apc``... instead; a walk-weighted mean carries the same
nodes with path-count weights and stays cheap for long meta-paths such as APTPA).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import torch
from torch_geometric.data import HeteroData

from graphcl.graph.metapath import normalize, relation_matrix


@dataclass
class ContextChain:
    """Row-normalised relation matrices from the target to the node type at one position."""

    node_type: str
    steps: List[torch.Tensor]

    def aggregate(self, h: torch.Tensor) -> torch.Tensor:
        """``P_1 P_2 ... P_p h`` (``N_target x d``) for ``h`` the ``N_{t_p} x d`` embeddings."""
        out = h
        for step in reversed(self.steps):
            out = torch.sparse.mm(step, out)
        return out

    def to(self, device: torch.device) -> "ContextChain":
        return ContextChain(self.node_type, [s.to(device) for s in self.steps])


def metapath_contexts(data: HeteroData, metapath: str) -> List[ContextChain]:
    """Context chains of every intermediate position of ``metapath`` (letter string)."""
    types = [data.letters[c] for c in metapath]
    cache: Dict[tuple, torch.Tensor] = {}
    chains = []
    for p in range(1, len(types) - 1):
        steps = []
        for a, b in zip(types[:p], types[1 : p + 1]):
            if (a, b) not in cache:
                cache[(a, b)] = normalize(relation_matrix(data, a, b), "row")
            steps.append(cache[(a, b)])
        chains.append(ContextChain(types[p], steps))
    return chains
