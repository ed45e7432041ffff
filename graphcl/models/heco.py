"""HeCo (Wang et al., KDD 2021): co-contrastive learning across two views of a heterogeneous graph.

* Network-schema view: each target node attends over a few sampled direct neighbours of
  every type (:class:`~graphcl.nn.schema_encoder.NetworkSchemaEncoder`), resampled each epoch.
* Meta-path view: a GCN per meta-path adjacency plus semantic attention
  (:class:`~graphcl.nn.metapath_encoder.MetaPathEncoder`).
* Both are mapped by a shared projection ``g`` (Linear-ELU-Linear) and contrasted with
  multi-positive InfoNCE, positives = nodes strongly linked by meta-paths:

      s_ij = cos(g(z^sc_i), g(z^mp_j)) / tau
      L    = lam * L_mp + (1 - lam) * L_sc

  where ``L_mp`` takes meta-path-view anchors (rows of ``s^T``) and ``L_sc`` schema-view anchors
  (rows of ``s``), as HeCo's equation and code weight them. The meta-path view's ``z^mp`` is the learned embedding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional

import torch
from torch import nn
from torch_geometric.data import HeteroData

from graphcl.config import check_fraction, check_positive
from graphcl.data.hetero import node_features
from graphcl.errors import ConfigError
from graphcl.graph.metapath import metapath_adjacency, top_positives
from graphcl.losses.multi_positive import cosine_logits, cross_view_infonce
from graphcl.nn.hetero_projection import TypeProjection
from graphcl.nn.metapath_encoder import MetaPathEncoder
from graphcl.nn.schema_encoder import NetworkSchemaEncoder
from graphcl.utils import generator
from graphcl.views.metapath import metapath_adjacencies
from graphcl.views.schema import SchemaNeighbourSampler


@dataclass
class HeCoConfig:
    """HeCo hyperparameters (paper defaults for ACM)."""

    hidden: int = 64
    tau: float = 0.8
    feat_drop: float = 0.3
    attn_drop: float = 0.5
    lam: float = 0.5
    sample_rates: List[int] = field(default_factory=lambda: [7, 1])
    adj_norm: Literal["sym", "row"] = "sym"
    # False: weight meta-path edges by instance counts. That lets long symmetric meta-paths be
    # applied in factorised form (DBLP's APCPA/APTPA: 12M entries vs 0.1M in the factors).
    binary_adjacency: bool = True
    max_positives: int = 0  # 0: use the dataset's pos.npz; k > 0: top-k by meta-path counts
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive("model.hidden", self.hidden)
        check_positive("model.tau", self.tau)
        check_fraction("model.feat_drop", self.feat_drop)
        check_fraction("model.attn_drop", self.attn_drop)
        check_fraction("model.lam", self.lam, closed=True)
        check_positive("model.max_positives", self.max_positives, allow_zero=True)
        if not self.sample_rates or any(r <= 0 for r in self.sample_rates):
            raise ConfigError(f"model.sample_rates must be positive integers, got {self.sample_rates}")


def positive_pairs(data: HeteroData, max_positives: int) -> torch.Tensor:
    """``2 x P`` positive pairs: ``pos.npz`` when ``max_positives == 0``, else computed."""
    target = data.target
    if max_positives == 0:
        key = (target, "pos", target)
        if key not in data.edge_types:
            raise ConfigError("the dataset has no pos.npz: set model.max_positives > 0 to compute positives")
        return data[key].edge_index
    counts = [metapath_adjacency(data, [data.letters[c] for c in mp]) for mp in data.metapaths]
    return top_positives(counts, max_positives)


class HeCo(nn.Module):
    """``loss(batch)`` for the :class:`~graphcl.train.Trainer`; ``embed()`` gives ``N x hidden``."""

    task = "hetero"
    Config = HeCoConfig

    def __init__(self, data: HeteroData, config: HeCoConfig, device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.config = config
        device = torch.device(device)
        self.target = data.target
        self.schema_types = list(data.schema_types)
        if len(config.sample_rates) != len(self.schema_types):
            raise ConfigError(
                f"model.sample_rates has {len(config.sample_rates)} entries but {data.dataset} has "
                f"{len(self.schema_types)} schema types {self.schema_types}"
            )
        types = [self.target] + self.schema_types
        self.feats: Dict[str, torch.Tensor] = {t: node_features(data, t).to(device) for t in types}
        self.adjs = [a.to(device) for a in metapath_adjacencies(data, norm=config.adj_norm, binary=config.binary_adjacency)]
        self.sampler = SchemaNeighbourSampler.from_data(data, config.sample_rates).to(device)
        self.positives = positive_pairs(data, config.max_positives).to(device)
        self.gen = generator(config.seed, device)

        self.project_in = TypeProjection({t: x.shape[1] for t, x in self.feats.items()}, config.hidden, config.feat_drop)
        self.mp_encoder = MetaPathEncoder(len(self.adjs), config.hidden, config.attn_drop)
        self.sc_encoder = NetworkSchemaEncoder(len(self.schema_types), config.hidden, config.attn_drop)
        self.project_out = nn.Sequential(nn.Linear(config.hidden, config.hidden), nn.ELU(), nn.Linear(config.hidden, config.hidden))
        for layer in self.project_out:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_normal_(layer.weight, gain=1.414)
        self.samples = self.sampler.sample(self.gen)
        self.last_loss = float("inf")
        self.to(device)

    def on_epoch_start(self, epoch: int) -> None:
        self.samples = self.sampler.sample(self.gen)

    def views(self) -> tuple:
        """``(z_mp, z_sc)``, both ``N x hidden``."""
        h = self.project_in(self.feats)
        z_mp, _ = self.mp_encoder(h[self.target], self.adjs)
        z_sc, _ = self.sc_encoder(h[self.target], [h[t] for t in self.schema_types], self.samples)
        return z_mp, z_sc

    def loss(self, batch: Optional[object] = None) -> Dict[str, torch.Tensor]:
        z_mp, z_sc = self.views()
        logits = cosine_logits(self.project_out(z_sc), self.project_out(z_mp), self.config.tau)
        l_sc, l_mp = cross_view_infonce(logits, self.positives)
        # HeCo's weighting: lam on the meta-path-view anchors, 1 - lam on the schema-view ones
        total = self.config.lam * l_mp + (1.0 - self.config.lam) * l_sc
        self.last_loss = float(total.detach())
        return {"loss": total, "sc": l_sc.detach(), "mp": l_mp.detach()}

    @torch.no_grad()
    def embed(self) -> torch.Tensor:
        """Meta-path-view embeddings of the target nodes (dropout off)."""
        was = self.training
        self.eval()
        h = self.project_in({self.target: self.feats[self.target]})
        z, _ = self.mp_encoder(h[self.target], self.adjs)
        self.train(was)
        return z.detach()
