"""Most-popular baseline: every user gets items ranked by training popularity."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from graphcl.data.interaction import InteractionData
from graphcl.models.base import Recommender


@dataclass
class PopConfig:
    pass


class MostPop(Recommender):
    Config = PopConfig
    trainable = False

    def __init__(self, data: InteractionData, config: PopConfig = PopConfig(), device="cpu") -> None:
        super().__init__(data, config, device)
        self.register_buffer("popularity", torch.from_numpy(data.item_popularity()).float().to(self.device_))

    @torch.no_grad()
    def score(self, users: torch.Tensor) -> torch.Tensor:
        return self.popularity.expand(len(users), -1)
