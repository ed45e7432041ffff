"""The contract every recommender follows.

A :class:`Recommender` is an ``nn.Module`` built from an :class:`InteractionData` and its
``Config``. Training calls ``loss(batch) -> dict`` (``"loss"`` is the total; other entries
such as ``bpr``/``cl``/``l2`` are logged). Evaluation calls ``score(users)``, which by
default is ``user_emb[users] @ item_emb.T`` over :meth:`embeddings`; the embeddings are
computed once per evaluation and cached until the module returns to training mode.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn

from graphcl.data.interaction import InteractionData
from graphcl.graph.sparse import bipartite_norm_adj, interactions_to_tensors


class Recommender(nn.Module):
    task = "recommendation"
    Config: type

    def __init__(self, data: InteractionData, config, device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.config = config
        self.num_users, self.num_items = data.num_users, data.num_items
        self.device_ = torch.device(device)
        self._cache: Optional[Tuple[torch.Tensor, torch.Tensor]] = None

    def train(self, mode: bool = True):  # noqa: D102 - nn.Module API
        self._cache = None
        return super().train(mode)

    def load_state_dict(self, *args, **kwargs):  # noqa: D102 - nn.Module API
        self._cache = None  # new weights: embeddings cached in eval mode are stale
        return super().load_state_dict(*args, **kwargs)

    def compute_embeddings(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """(user, item) embeddings used for ranking; override in embedding models."""
        raise NotImplementedError

    def embeddings(self) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.training or self._cache is None:
            with torch.no_grad():
                out = self.compute_embeddings()
            if self.training:
                return out
            self._cache = out
        return self._cache

    @torch.no_grad()
    def score(self, users: torch.Tensor) -> torch.Tensor:
        """(len(users), num_items) preference scores."""
        user_emb, item_emb = self.embeddings()
        return user_emb[users.to(user_emb.device)] @ item_emb.T


class GraphRecommender(Recommender):
    """A recommender that propagates over the normalised user-item graph of the training split."""

    def __init__(self, data: InteractionData, config, device: torch.device | str = "cpu") -> None:
        super().__init__(data, config, device)
        self.train_users, self.train_items = interactions_to_tensors(data.train, self.device_)
        self.adj = bipartite_norm_adj(self.train_users, self.train_items, self.num_users, self.num_items)
