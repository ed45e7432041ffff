"""Graph augmentations of SGL (Wu et al., SIGIR 2021): edge dropout, node dropout, random walk.

Each augmentation draws a sub-graph of the training interactions and rebuilds the
symmetric-normalised bipartite adjacency ``D'^-1/2 A' D'^-1/2`` of that sub-graph, so
degrees are those of the kept edges (not the original graph's). Sampling is vectorised
(one ``randperm`` per draw, no loop over edges) and driven by an explicit
``torch.Generator`` so a view depends only on the seed it is given (SGL redraws its views
once per epoch).

* :class:`EdgeDropout` keeps exactly ``round((1 - rho) * |E|)`` interactions chosen
  uniformly without replacement.
* :class:`NodeDropout` removes ``round(rho * U)`` users and ``round(rho * I)`` items with
  all their interactions.
* :class:`RandomWalk` draws an independent edge-dropout graph for each propagation layer.
"""
from __future__ import annotations

from typing import List, Union

import torch

from graphcl.config import check_fraction
from graphcl.graph.sparse import bipartite_norm_adj

Adjacency = Union[torch.Tensor, List[torch.Tensor]]


class _Augmentation:
    """Holds the training interactions (``users[k]``, ``items[k]``) of one bipartite graph."""

    def __init__(self, users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int, rho: float) -> None:
        check_fraction("rho", rho)
        if users.shape != items.shape or users.dim() != 1:
            raise ValueError(f"users and items must be equal-length vectors, got {tuple(users.shape)} and {tuple(items.shape)}")
        self.users, self.items = users.long(), items.long()
        self.num_users, self.num_items = num_users, num_items
        self.rho = rho

    def _adjacency(self, keep: torch.Tensor) -> torch.Tensor:
        return bipartite_norm_adj(self.users[keep], self.items[keep], self.num_users, self.num_items)


class EdgeDropout(_Augmentation):
    """Drop a fraction ``rho`` of the interactions and renormalise.

    Returns a (U+I) x (U+I) CSR adjacency of the kept sub-graph.
    """

    def keep_index(self, gen: torch.Generator) -> torch.Tensor:
        """Indices (into the interaction list) of the ``round((1 - rho) * |E|)`` kept edges."""
        n = len(self.users)
        kept = int(round((1.0 - self.rho) * n))
        perm = torch.randperm(n, generator=gen, device=gen.device)
        return perm[:kept].to(self.users.device)

    def sample(self, gen: torch.Generator) -> torch.Tensor:
        return self._adjacency(self.keep_index(gen))


class NodeDropout(_Augmentation):
    """Drop a fraction ``rho`` of the users and of the items (with all their edges); renormalise."""

    def keep_mask(self, gen: torch.Generator) -> torch.Tensor:
        """Boolean mask over interactions whose user and item both survive."""
        dev = self.users.device

        def survivors(n: int) -> torch.Tensor:
            alive = torch.ones(n, dtype=torch.bool, device=dev)
            dropped = torch.randperm(n, generator=gen, device=gen.device)[: int(round(self.rho * n))]
            alive[dropped.to(dev)] = False
            return alive

        user_alive, item_alive = survivors(self.num_users), survivors(self.num_items)
        return user_alive[self.users] & item_alive[self.items]

    def sample(self, gen: torch.Generator) -> torch.Tensor:
        return self._adjacency(self.keep_mask(gen))


class RandomWalk(EdgeDropout):
    """One independent edge-dropout adjacency per propagation layer (a list of ``layers`` CSRs)."""

    def __init__(self, users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int, rho: float,
                 layers: int) -> None:
        super().__init__(users, items, num_users, num_items, rho)
        self.layers = layers

    def sample(self, gen: torch.Generator) -> List[torch.Tensor]:  # type: ignore[override]
        return [self._adjacency(self.keep_index(gen)) for _ in range(self.layers)]


__all__ = ["Adjacency", "EdgeDropout", "NodeDropout", "RandomWalk"]
