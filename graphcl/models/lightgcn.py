"""LightGCN (He et al., SIGIR 2020) and BPR-MF (LightGCN with zero layers).

Loss: ``BPR(e_u, e_i+, e_i-) + reg * 0.5 * (|e_u^0|^2 + |e_i+^0|^2 + |e_i-^0|^2) / B`` with
final embeddings ``e`` (mean of layers 0..K) and ego embeddings ``e^0``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Literal, Optional

import torch

from graphcl.config import check_positive
from graphcl.data.interaction import InteractionData
from graphcl.data.sampler import BPRBatch
from graphcl.losses.bpr import bpr_loss, l2_penalty
from graphcl.models.base import GraphRecommender
from graphcl.nn.lightgcn import LightGCNEncoder


@dataclass
class LightGCNConfig:
    dim: int = 64
    layers: int = 2
    reg: float = 1e-4
    combine: Literal["mean", "sum"] = "mean"
    include_layer0: bool = True
    init_std: Optional[float] = 0.1

    def __post_init__(self) -> None:
        check_positive("params.dim", self.dim)
        check_positive("params.layers", self.layers, allow_zero=True)
        check_positive("params.reg", self.reg, allow_zero=True)


class LightGCN(GraphRecommender):
    Config = LightGCNConfig

    def __init__(self, data: InteractionData, config: LightGCNConfig, device="cpu") -> None:
        super().__init__(data, config, device)
        self.encoder = LightGCNEncoder(data.num_users, data.num_items, config.dim, config.layers,
                                       config.combine, config.include_layer0, config.init_std).to(self.device_)

    def compute_embeddings(self):
        return self.encoder.split(self.encoder(self.adj))

    def triplet(self, batch: BPRBatch) -> torch.Tensor:
        """Node ids of the batch's users, positive items and negative items, concatenated (3B)."""
        return torch.cat([batch.users, batch.pos + self.num_users, batch.neg + self.num_users])

    def bpr_terms(self, rows: torch.Tensor, index: torch.Tensor) -> Dict[str, torch.Tensor]:
        """BPR on the final embeddings ``rows`` of the nodes ``index = triplet(batch)`` (3B x d) and L2
        on their ego embeddings. One gather per table: each gather's backward writes a full (U+I) x d
        gradient."""
        users, pos, neg = rows.chunk(3)
        ego = self.encoder.embedding.weight[index].chunk(3)
        return {"bpr": bpr_loss(users, pos, neg), "l2": self.config.reg * l2_penalty(*ego)}

    def loss(self, batch: BPRBatch) -> Dict[str, torch.Tensor]:
        index = self.triplet(batch)
        nodes, where = torch.unique(index, return_inverse=True)
        terms = self.bpr_terms(self.encoder.rows(self.adj, nodes)[where], index)
        terms["loss"] = terms["bpr"] + terms["l2"]
        return terms


@dataclass
class BPRMFConfig(LightGCNConfig):
    layers: int = 0


class BPRMF(LightGCN):
    """Matrix factorisation with BPR: LightGCN with ``layers=0``."""

    Config = BPRMFConfig
