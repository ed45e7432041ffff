"""MEOW (Yu et al., SDM 2023) and AdaMEOW (TKDE 2024): coarse vs fine-grained meta-path views.

* Coarse view: a GCN over the mean of the normalised meta-path adjacencies, on the target
  features — it only knows *whether* two targets are linked.
* Fine-grained view: per meta-path, the target embedding fused with its meta-path-context
  embeddings (*through which* intermediate nodes it is linked,
  :mod:`graphcl.views.metapath_context`), the same GCN over that meta-path's adjacency, and
  semantic attention across meta-paths. Its output is the learned embedding.
* Loss: with ``u = normalize(tanh(P z_coarse))``, ``v = normalize(tanh(P z_fine))`` and
  ``s_ij = u_i . v_j / tau``, a two-way InfoNCE whose negatives carry weights ``w_ij``
  (positives: the node itself, or HeCo-style meta-path positives with ``max_positives``):

      L = (L_{u->v} + L_{v->u}) / 2 + lam_proto * L_proto

  MEOW: ``w`` from k-means clusterings of ``v`` (several ``k``), recomputed every
  ``cluster_every`` epochs: negatives in the anchor's cluster get ``same_cluster_weight``
  (likely false negatives); ``L_proto`` pulls ``u`` to the centroid of its cluster
  (:func:`graphcl.losses.prototype.prototype_loss`).
  AdaMEOW: ``w`` is learned — ``w_ij = normalised_soft_weights(a_ij)`` with
  ``a_ij = cos(g(u_i), g(v_j))`` and ``g`` a trainable linear map; the normalisation keeps
  a mean weight of 1 per anchor so the weights cannot switch the contrast off.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from torch import nn
from torch_geometric.data import HeteroData

from graphcl.config import check_fraction, check_positive
from graphcl.data.hetero import node_features
from graphcl.errors import ConfigError
from graphcl.losses.multi_positive import cross_view_infonce
from graphcl.losses.prototype import prototype_loss
from graphcl.losses.weighted_negatives import cluster_negative_weights, normalised_soft_weights
from graphcl.models.heco import positive_pairs
from graphcl.nn.context_encoder import ContextFusion, LayerNormGCN
from graphcl.nn.hetero_projection import TypeProjection
from graphcl.nn.semantic_attention import SemanticAttention
from graphcl.views.metapath import metapath_adjacencies
from graphcl.views.metapath_context import metapath_contexts


@dataclass
class MEOWConfig:
    """MEOW / AdaMEOW hyperparameters (MEOW's ACM settings where they apply)."""

    hidden: int = 64
    tau: float = 0.4
    dropout: float = 0.2
    adj_norm: Literal["sym", "row"] = "sym"
    num_clusters: List[int] = field(default_factory=lambda: [100, 300])
    cluster_every: int = 5
    same_cluster_weight: float = 0.5
    lam_proto: float = 1.0
    proto_tau: float = 0.4
    weight_temperature: float = 0.5  # AdaMEOW only
    max_positives: int = -1  # -1: the node itself; 0: pos.npz; k > 0: top-k meta-path positives
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive("model.hidden", self.hidden)
        check_positive("model.tau", self.tau)
        check_fraction("model.dropout", self.dropout)
        check_positive("model.cluster_every", self.cluster_every)
        check_fraction("model.same_cluster_weight", self.same_cluster_weight, closed=True)
        check_positive("model.lam_proto", self.lam_proto, allow_zero=True)
        check_positive("model.proto_tau", self.proto_tau)
        check_positive("model.weight_temperature", self.weight_temperature)
        if not self.num_clusters or any(k < 2 for k in self.num_clusters):
            raise ConfigError(f"model.num_clusters must be integers >= 2, got {self.num_clusters}")
        if self.max_positives < -1:
            raise ConfigError(f"model.max_positives must be -1, 0 or positive, got {self.max_positives}")


class _MeanAdjacency:
    """``(1/M) sum_m A_m`` applied lazily (the operands may be factorised operators)."""

    def __init__(self, adjs) -> None:
        self.adjs = list(adjs)

    def __matmul__(self, x: torch.Tensor) -> torch.Tensor:
        return sum(a @ x for a in self.adjs) / len(self.adjs)


class MEOW(nn.Module):
    """``loss(batch)`` for the Trainer, ``embed()`` -> fine-view embeddings (``N x hidden``)."""

    task = "hetero"
    Config = MEOWConfig
    adaptive = False

    def __init__(self, data: HeteroData, config: MEOWConfig, device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.config = config
        device = torch.device(device)
        self.target = data.target
        self.adjs = [a.to(device) for a in metapath_adjacencies(data, norm=config.adj_norm)]
        self.coarse_adj = _MeanAdjacency(self.adjs)
        self.contexts = [[c.to(device) for c in metapath_contexts(data, mp)] for mp in data.metapaths]
        types = {self.target} | {c.node_type for chains in self.contexts for c in chains}
        self.feats: Dict[str, torch.Tensor] = {t: node_features(data, t).to(device) for t in sorted(types)}
        n = data[self.target].num_nodes
        if config.max_positives < 0:
            idx = torch.arange(n)
            self.positives = torch.stack([idx, idx]).to(device)
        else:
            self.positives = positive_pairs(data, config.max_positives).to(device)
        if max(config.num_clusters) >= n:
            raise ConfigError(f"model.num_clusters {config.num_clusters} must be below the {n} target nodes")

        h = config.hidden
        self.project_in = TypeProjection({t: x.shape[1] for t, x in self.feats.items()}, h, config.dropout)
        self.fusions = nn.ModuleList(ContextFusion(len(chains), h, config.dropout) for chains in self.contexts)
        self.gcn = LayerNormGCN(h, config.dropout)
        self.attention = SemanticAttention(h)
        self.project_out = nn.Linear(h, h)
        if self.adaptive:
            self.weigher = nn.Linear(h, h, bias=False)
        self.assignments: List[torch.Tensor] = []
        self.centroids: List[torch.Tensor] = []
        self.cluster_weights: Optional[torch.Tensor] = None
        self.last_loss = float("inf")
        self.to(device)

    # -- views ----------------------------------------------------------------------------
    def views(self) -> tuple:
        """``(z_coarse, z_fine)``, both ``N x hidden``."""
        h = self.project_in(self.feats)
        h_t = h[self.target]
        z_coarse = self.gcn(h_t, self.coarse_adj)
        fine = []
        for fusion, chains, adj in zip(self.fusions, self.contexts, self.adjs):
            x = fusion(h_t, [c.aggregate(h[c.node_type]) for c in chains])
            fine.append(F.normalize(self.gcn(x, adj), dim=1))
        z_fine, _ = self.attention(fine)
        return z_coarse, z_fine

    def _project(self, z: torch.Tensor) -> torch.Tensor:
        return F.normalize(torch.tanh(self.project_out(z)), dim=1)

    # -- clustering targets -----------------------------------------------------------------
    def on_epoch_start(self, epoch: int) -> None:
        if self.adaptive and self.config.lam_proto == 0:
            return
        if epoch % self.config.cluster_every == 0 or not self.assignments:
            self.recluster(seed=self.config.seed + epoch)

    @torch.no_grad()
    def recluster(self, seed: int) -> None:
        """k-means on the projected fine-view embeddings for every ``k`` in ``num_clusters``."""
        was = self.training
        self.eval()
        v = self._project(self.views()[1])
        self.train(was)
        x = v.cpu().numpy().astype(np.float64)
        self.assignments, self.centroids = [], []
        for i, k in enumerate(self.config.num_clusters):
            km = KMeans(n_clusters=k, n_init=1, max_iter=50, random_state=seed + i).fit(x)
            self.assignments.append(torch.from_numpy(km.labels_.astype(np.int64)).to(v.device))
            self.centroids.append(torch.from_numpy(km.cluster_centers_).float().to(v.device))
        if not self.adaptive:
            self.cluster_weights = cluster_negative_weights(self.assignments, self.config.same_cluster_weight)

    # -- loss -------------------------------------------------------------------------------
    def negative_weights(self, u: torch.Tensor, v: torch.Tensor) -> Optional[torch.Tensor]:
        return self.cluster_weights

    def loss(self, batch: Optional[object] = None) -> Dict[str, torch.Tensor]:
        z_coarse, z_fine = self.views()
        u, v = self._project(z_coarse), self._project(z_fine)
        logits = u @ v.t() / self.config.tau
        weights = self.negative_weights(u, v)
        l_uv, l_vu = cross_view_infonce(logits, self.positives, weights)
        info = (l_uv + l_vu) / 2
        terms = {"info": info.detach()}
        total = info
        if self.config.lam_proto > 0:
            proto = prototype_loss(u, self.centroids, self.assignments, self.config.proto_tau)
            total = total + self.config.lam_proto * proto
            terms["proto"] = proto.detach()
        self.last_loss = float(total.detach())
        terms["loss"] = total
        return terms

    @torch.no_grad()
    def embed(self) -> torch.Tensor:
        """Fine-grained-view embeddings of the target nodes (dropout off)."""
        was = self.training
        self.eval()
        z = self.views()[1]
        self.train(was)
        return z.detach()


class AdaMEOW(MEOW):
    """MEOW with learned (adaptive) negative weights instead of cluster-based ones."""

    adaptive = True

    def negative_weights(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # The weigher sees detached embeddings: it shapes the weights, the encoder the views.
        a = F.normalize(self.weigher(u.detach()), dim=1) @ F.normalize(self.weigher(v.detach()), dim=1).t()
        return normalised_soft_weights(a, self.config.weight_temperature)
