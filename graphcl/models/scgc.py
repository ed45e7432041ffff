"""SCGC: simple contrastive graph clustering with all N^2 negatives (Kulatilleke et al., 2022).

``z = encoder(x, A)``; DEC head ``q = soft_assignment(z, mu)`` with target ``p`` recomputed
at every epoch start; loss

    alpha * [ -mean_i log pos_i + mean_i log neg_i ]  +  beta * KL(p || q)  +  gamma * ||x - dec(z)||^2 / (N F)

(see :mod:`graphcl.losses.pamc` for ``pos``/``neg``; gamma = ``recon_weight``, the
autoencoder reconstruction kept by the official code). The predicted cluster is argmax q.
:class:`graphcl.models.pamc.PamC` replaces the negative term by meta-node pairs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from graphcl.config import check_positive
from graphcl.errors import ConfigError
from graphcl.losses.dec import kl_clustering_loss, soft_assignment, target_distribution
from graphcl.losses.pamc import all_pairs_negative_term, positive_pairs, positive_term


@dataclass
class ContrastClusterConfig:
    """Loss weights of SCGC/PamC (per-dataset values live in experiments/configs/cluster)."""

    alpha: float = 1.0  # weight of the contrastive term
    beta: float = 1.0  # weight of KL(p || q)
    order: int = 1  # r of the r-hop positive neighbourhood A^r
    # positives weighted by A + A^2 + ... + A^r, as the official code's --influence flag (which every
    # published PamC command sets); False keeps A^r alone (the same for order 1)
    cumulative: bool = False
    tau: float = 1.0  # multiplies the cosine similarity
    v: float = 1.0  # Student-t degrees of freedom of q
    # autoencoder reconstruction (needs a decoder; 0 disables). The official SCGC code's `SCGC` model
    # keeps it; its encoder-only SCGC_TRIM and PamC (SCGC_TRIMPOSCCSP) models have none.
    recon_weight: float = 1.0

    def __post_init__(self) -> None:
        check_positive("loss.alpha", self.alpha, allow_zero=True)
        check_positive("loss.beta", self.beta, allow_zero=True)
        check_positive("loss.tau", self.tau)
        check_positive("loss.v", self.v)
        check_positive("loss.recon_weight", self.recon_weight, allow_zero=True)
        if self.order < 1:
            raise ConfigError(f"loss.order must be >= 1, got {self.order}")


class SCGC(nn.Module):
    """Contrastive clustering with all-pairs negatives on one attributed graph (full batch).

    ``x``: N x F features, ``edge_index``: 2 x E graph, ``centroids``: k x z initial cluster
    centres (k-means on the pretrained embeddings). ``decoder`` is optional.
    """

    task = "clustering"

    def __init__(self, encoder: nn.Module, centroids: torch.Tensor, x: torch.Tensor, edge_index: torch.Tensor,
                 config: ContrastClusterConfig, decoder: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.decoder = decoder if config.recon_weight > 0 else None
        self.centroids = nn.Parameter(centroids.detach().clone().float())
        self.num_clusters = int(centroids.shape[0])
        self.register_buffer("x", x, persistent=False)
        self.register_buffer("edge_index", edge_index, persistent=False)
        pairs, weights = positive_pairs(edge_index, x.shape[0], config.order, config.cumulative)
        self.register_buffer("pairs", pairs, persistent=False)
        self.register_buffer("pair_weights", weights, persistent=False)
        self.register_buffer("target", torch.empty(0), persistent=False)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(z: N x d, q: N x k)``."""
        z = self.encoder(x, edge_index)
        return z, soft_assignment(z, self.centroids, self.config.v)

    def on_epoch_start(self, epoch: int) -> None:
        """Recompute the DEC target ``p`` from the current ``q`` (held fixed for the epoch)."""
        with torch.no_grad():
            _, q = self(self.x, self.edge_index)
            self.target = target_distribution(q)

    def negative_term(self, z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """``mean_i log sum_{k != i} exp(tau s(z_i, z_k))`` over all N^2 pairs."""
        return all_pairs_negative_term(z, self.config.tau)

    def loss(self, batch: Tuple[torch.Tensor, torch.Tensor]) -> Dict[str, torch.Tensor]:
        x, edge_index = batch
        cfg = self.config
        if self.target.shape[0] != x.shape[0]:
            self.on_epoch_start(0)
        z, q = self(x, edge_index)
        kl = kl_clustering_loss(self.target, q)
        pos = positive_term(z, self.pairs, self.pair_weights, cfg.tau)
        neg = self.negative_term(z, q)
        total = cfg.alpha * (pos + neg) + cfg.beta * kl
        terms = {"pos": pos.detach(), "neg": neg.detach(), "kl": kl.detach()}
        if self.decoder is not None:
            recon = F.mse_loss(self.decoder(z), x)
            total = total + cfg.recon_weight * recon
            terms["recon"] = recon.detach()
        terms["loss"] = total
        return terms

    @torch.no_grad()
    def embed(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(z, q)`` on the stored graph, without gradients."""
        return self(self.x, self.edge_index)

    @torch.no_grad()
    def predict(self) -> torch.Tensor:
        """Cluster id of every node: ``argmax_j q_ij``."""
        return self.embed()[1].argmax(1)


class FeatureAutoEncoder(nn.Module):
    """Pretraining model: ``min ||x_B - dec(enc(x, A))_B||^2 / (|B| F)`` over node batches ``B``.

    ``loss(batch)`` takes a LongTensor of node ids; a graph encoder still runs on the whole
    graph (its output for a node depends on the neighbours) and only the batch's rows count.
    """

    task = "clustering"

    def __init__(self, encoder: nn.Module, decoder: nn.Module, x: torch.Tensor, edge_index: torch.Tensor,
                 node_wise: bool) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.node_wise = node_wise
        self.register_buffer("x", x, persistent=False)
        self.register_buffer("edge_index", edge_index, persistent=False)

    def loss(self, batch: torch.Tensor) -> Dict[str, torch.Tensor]:
        idx = batch.to(self.x.device)
        if self.node_wise:
            z = self.encoder(self.x[idx], None)
        else:
            z = self.encoder(self.x, self.edge_index)[idx]
        recon = F.mse_loss(self.decoder(z), self.x[idx])
        return {"loss": recon}


__all__ = ["ContrastClusterConfig", "SCGC", "FeatureAutoEncoder"]
