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
  Options that follow MEOW's code (jianxiangyu/MEOW) where graphcl's defaults differ, all set by
  table 5's ``meow-official-*`` cells: ``anchors="coarse"`` (only coarse anchors against fine
  candidates), ``positives_in_denominator=False`` with ``same_cluster_weight=0`` (its weights
  ``R - #clusterings sharing i's cluster`` vanish on the anchor itself), ``cluster_every=1``,
  ``proto_temperature="density"`` (PCL's per-cluster temperatures, mean ``proto_tau``),
  ``nei_max`` (meta-path graphs pruned to the top-k PathSim neighbours, weighted by path counts:
  :mod:`graphcl.views.pathsim`), ``adj_mask``/``feat_mask`` (a second, fixed masked input per
  meta-path in the fine view, so the attention mixes ``2M`` embeddings), ``gcn_norm="matrix"``
  and ``attn_drop``.
  AdaMEOW: ``w`` is learned — ``w_ij = normalised_soft_weights(a_ij)`` with
  ``a_ij = cos(g(u_i), g(v_j))`` and ``g`` a trainable linear map; the normalisation keeps
  a mean weight of 1 per anchor so the weights cannot switch the contrast off. This is graphcl's
  own form of learned weights. AdaMEOW's code (``code_adameow``) differs: ``w_ij`` is an MLP
  (``d -> 16 -> 1``, tanh, sigmoid) of ``z_fine_i + z_coarse_j`` trained by the same loss, with
  fine-view anchors only, no normalisation and no prototype term; that form is not implemented.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from torch import nn
from torch_geometric.data import HeteroData

from graphcl.config import check_fraction, check_positive
from graphcl.data.hetero import node_features
from graphcl.errors import ConfigError
from graphcl.losses.multi_positive import cross_view_infonce, multi_positive_infonce
from graphcl.losses.prototype import cluster_concentration, prototype_loss
from graphcl.losses.weighted_negatives import cluster_negative_weights, normalised_soft_weights
from graphcl.models.heco import positive_pairs
from graphcl.nn.context_encoder import ContextFusion, LayerNormGCN
from graphcl.nn.hetero_projection import TypeProjection
from graphcl.nn.semantic_attention import SemanticAttention
from graphcl.views.metapath import metapath_adjacencies
from graphcl.views.metapath_context import metapath_contexts
from graphcl.views.pathsim import mask_feature_entries, masked_graph, meow_normalize, metapath_count_matrix, pathsim_top_k


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
    # MEOW's code where it differs from the defaults above (module docstring)
    anchors: Literal["both", "coarse"] = "both"
    positives_in_denominator: bool = True
    proto_temperature: Literal["fixed", "density"] = "fixed"
    nei_max: List[int] = field(default_factory=list)  # per meta-path; []: the full 0/1 graphs (adj_norm)
    adj_mask: List[float] = field(default_factory=list)  # per meta-path; []: no masked branch
    feat_mask: float = 0.0  # of the target features' non-zero entries, in the masked branch
    gcn_norm: Literal["row", "matrix"] = "row"
    attn_drop: float = 0.0
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
        if any(k < 1 for k in self.nei_max):
            raise ConfigError(f"model.nei_max must be positive integers, got {self.nei_max}")
        for f in self.adj_mask:
            check_fraction("model.adj_mask", f)
        check_fraction("model.feat_mask", self.feat_mask)
        if self.feat_mask and not self.adj_mask:
            raise ConfigError("model.feat_mask needs model.adj_mask: the masked features feed the masked-graph branch")
        check_fraction("model.attn_drop", self.attn_drop)


def _pattern(data: HeteroData, metapath: str) -> sp.csr_matrix:
    """0/1 pattern of a stored meta-path graph, as scipy CSR."""
    n = data[data.target].num_nodes
    row, col = data[(data.target, metapath, data.target)].edge_index.numpy()
    return sp.csr_matrix((np.ones(len(row)), (row, col)), shape=(n, n))


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
        m = len(data.metapaths)
        for key in ("nei_max", "adj_mask"):
            if getattr(config, key) and len(getattr(config, key)) != m:
                raise ConfigError(f"model.{key} needs one value per meta-path {list(data.metapaths)}, "
                                  f"got {getattr(config, key)}")
        if config.nei_max:
            graphs = [pathsim_top_k(metapath_count_matrix(data, mp), k) for mp, k in zip(data.metapaths, config.nei_max)]
            self.adjs = [meow_normalize(g).to(device) for g in graphs]
        else:
            graphs = [_pattern(data, mp) for mp in data.metapaths] if config.adj_mask else []
            self.adjs = [a.to(device) for a in metapath_adjacencies(data, norm=config.adj_norm)]
        self.coarse_adj = _MeanAdjacency(self.adjs)
        self.contexts = [[c.to(device) for c in metapath_contexts(data, mp)] for mp in data.metapaths]
        types = {self.target} | {c.node_type for chains in self.contexts for c in chains}
        self.feats: Dict[str, torch.Tensor] = {t: node_features(data, t).to(device) for t in sorted(types)}
        # MEOW's masked branch: drawn once, before training, from the model seed
        rng = np.random.default_rng(config.seed)
        self.masked_adjs = [meow_normalize(masked_graph(g, f, rng)).to(device) for g, f in zip(graphs, config.adj_mask)]
        self.masked_target: Optional[torch.Tensor] = None
        if config.adj_mask:
            gen = torch.Generator().manual_seed(config.seed)
            self.masked_target = mask_feature_entries(node_features(data, self.target), config.feat_mask, gen).to(device)
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
        self.gcn = LayerNormGCN(h, config.dropout, norm=config.gcn_norm)
        self.attention = SemanticAttention(h, attn_drop=config.attn_drop)
        self.project_out = nn.Linear(h, h)
        if self.adaptive:
            self.weigher = nn.Linear(h, h, bias=False)
        self.assignments: List[torch.Tensor] = []
        self.centroids: List[torch.Tensor] = []
        self.cluster_weights: Optional[torch.Tensor] = None
        self.proto_phis: List[torch.Tensor] = []
        self.last_loss = float("inf")
        self.to(device)

    # -- views ----------------------------------------------------------------------------
    def views(self) -> tuple:
        """``(z_coarse, z_fine)``, both ``N x hidden``."""
        h = self.project_in(self.feats)
        h_t = h[self.target]
        z_coarse = self.gcn(h_t, self.coarse_adj)
        h_masked = self.project_in({self.target: self.masked_target})[self.target] if self.masked_adjs else None
        fine = []
        for i, (fusion, chains, adj) in enumerate(zip(self.fusions, self.contexts, self.adjs)):
            ctx = [c.aggregate(h[c.node_type]) for c in chains]
            if h_masked is None:
                fine.append(F.normalize(self.gcn(fusion(h_t, ctx), adj), dim=1))
            else:  # both inputs share one dropout draw of the context term, as in MEOW's code
                shared = fusion.context(ctx)
                fine.append(F.normalize(self.gcn(F.elu(h_t + shared), adj), dim=1))
                fine.append(F.normalize(self.gcn(F.elu(h_masked + shared), self.masked_adjs[i]), dim=1))
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
        self.assignments, self.centroids, self.proto_phis = [], [], []
        for i, k in enumerate(self.config.num_clusters):
            km = KMeans(n_clusters=k, n_init=1, max_iter=50, random_state=seed + i).fit(x)
            self.assignments.append(torch.from_numpy(km.labels_.astype(np.int64)).to(v.device))
            self.centroids.append(torch.from_numpy(km.cluster_centers_).float().to(v.device))
            if self.config.proto_temperature == "density":
                self.proto_phis.append(cluster_concentration(v, self.centroids[-1], self.assignments[-1],
                                                             self.config.proto_tau))
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
        include = self.config.positives_in_denominator
        if self.config.anchors == "coarse":
            info = multi_positive_infonce(logits, self.positives, weights, include)
        else:
            l_uv, l_vu = cross_view_infonce(logits, self.positives, weights, include)
            info = (l_uv + l_vu) / 2
        terms = {"info": info.detach()}
        total = info
        if self.config.lam_proto > 0:
            phi = self.proto_phis if self.config.proto_temperature == "density" else self.config.proto_tau
            proto = prototype_loss(u, self.centroids, self.assignments, phi)
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
