"""GRACE (Zhu et al., 2020): two-view node contrast as a general node-level GCL baseline.

Each step draws two views (feature masking p_f1/p_f2, edge dropping p_e1/p_e2), encodes both
with a shared GCN, projects with a 2-layer MLP and minimises the symmetric GRACE InfoNCE
(all other nodes of both views are negatives). Clusters come from k-means on the encoder
output of the clean graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from graphcl.config import check_fraction, check_positive
from graphcl.losses.grace import grace_loss
from graphcl.nn.gcn import GCNEncoder
from graphcl.views.feature_mask import drop_edges, mask_features


@dataclass
class GraceConfig:
    """GRACE hyperparameters (Cora defaults of the paper)."""

    hidden: int = 256
    out_dim: int = 128
    proj_dim: int = 128
    temperature: float = 0.4
    drop_feature_1: float = 0.3
    drop_feature_2: float = 0.4
    drop_edge_1: float = 0.2
    drop_edge_2: float = 0.4

    def __post_init__(self) -> None:
        check_positive("grace.hidden", self.hidden)
        check_positive("grace.out_dim", self.out_dim)
        check_positive("grace.proj_dim", self.proj_dim)
        check_positive("grace.temperature", self.temperature)
        for name in ("drop_feature_1", "drop_feature_2", "drop_edge_1", "drop_edge_2"):
            check_fraction(f"grace.{name}", getattr(self, name))


class GRACE(nn.Module):
    """Two-view GCN contrast on one graph (full batch)."""

    task = "clustering"

    def __init__(self, x: torch.Tensor, edge_index: torch.Tensor, config: GraceConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = GCNEncoder(x.shape[1], (config.hidden,), config.out_dim, activation=nn.PReLU())
        self.projector = nn.Sequential(nn.Linear(config.out_dim, config.proj_dim), nn.ELU(),
                                       nn.Linear(config.proj_dim, config.out_dim))
        self.register_buffer("x", x, persistent=False)
        self.register_buffer("edge_index", edge_index, persistent=False)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """Node embeddings N x out_dim: the GCN (PReLU between layers) with a ReLU on its output."""
        return F.relu(self.encoder(x, edge_index))

    def loss(self, batch: Tuple[torch.Tensor, torch.Tensor]) -> Dict[str, torch.Tensor]:
        x, edge_index = batch
        cfg = self.config
        z1 = self(mask_features(x, cfg.drop_feature_1), drop_edges(edge_index, cfg.drop_edge_1))
        z2 = self(mask_features(x, cfg.drop_feature_2), drop_edges(edge_index, cfg.drop_edge_2))
        return {"loss": grace_loss(self.projector(z1), self.projector(z2), cfg.temperature)}

    @torch.no_grad()
    def embed(self) -> torch.Tensor:
        """Embeddings of the unperturbed graph."""
        return self(self.x, self.edge_index)


__all__ = ["GraceConfig", "GRACE"]
