"""Graph contrastive recommendation as a composition: any view generator with any contrastive loss.

The model is LightGCN plus a contrastive term over views of the user/item embeddings:

    loss = BPR(rec) + lam * [ CL(views; batch users) + CL(views; batch items) ] + L2

* ``view`` picks how the views (and the embedding ``rec`` that the BPR loss sees) are made:

  - ``edge_dropout`` / ``node_dropout`` / ``random_walk`` (SGL): ``num_views`` augmented
    graphs redrawn at every epoch start; ``rec`` is the clean propagation.
  - ``noise`` (SimGCL): ``num_views`` noisy propagations of the clean graph; ``rec`` is clean.
  - ``cross_layer`` (XSimGCL): one noisy propagation; ``rec`` = its final embedding, the views
    are the final embedding and layers ``layer_star, layer_star + 1, ...``.
  - ``svd`` (LightGCL): the first view is the SVD-view propagation, the others are main-graph
    propagations (edge dropout ``rho`` redrawn each epoch); ``rec`` is the first main view.

* ``loss`` picks the contrastive loss: pairwise ``infonce`` / ``dcl`` (with more than two
  views, averaged over all view pairs ``a < b``, view ``a`` anchoring) or the multi-view
  ``multiview_infonce`` / ``mv_dhel`` (one term per node over all views at once).
* ``cl_normalize``: cosine similarities (default) or raw dot products (LightGCL's code);
  ``pos_clamp`` clips the positive's InfoNCE score in the numerator (LightGCL's code: 5).
* ``negatives``: ``batch`` contrasts the batch's unique users (items) with each other;
  ``all`` (pairwise losses only) uses every user (item) of the positive view.
* ``cl_nodes`` (``negatives="all"`` only): ``unique`` anchors on the batch's unique users and
  positive items; ``interactions`` on each interaction's user and both its items, duplicates
  kept (LightGCL's code), which weights anchors by how often the batch samples them and adds
  the uniformly drawn negative items.

By default the contrasted nodes are the batch's unique users and unique positive items. With in-batch
negatives the loss reads the embeddings at the batch's nodes only, so noise views compute
their gradient-free residuals on those rows and their neighbourhoods instead of every row
(``_Views.rows``; same distribution, ~2x cheaper views on Gowalla). With
``diagnostics`` the alignment and uniformity (Wang & Isola) of the first two views are
logged as ``align``/``uniform`` (no gradient, on a sample of the batch). Random views draw
from a generator seeded by (model seed, epoch), the model seed being drawn from torch's
global generator at construction, so a run is reproducible from ``train.seed`` alone.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Dict, List, Literal, Optional, Sequence, Tuple

import torch

from graphcl.config import check_choice, check_fraction, check_positive
from graphcl.data.interaction import InteractionData
from graphcl.data.sampler import BPRBatch
from graphcl.errors import ConfigError
from graphcl.losses.dcl import dcl_loss
from graphcl.losses.infonce import info_nce
from graphcl.losses.multiview import multiview_info_nce, mv_dhel
from graphcl.losses.uniformity import alignment, uniformity
from graphcl.models.lightgcn import LightGCN, LightGCNConfig
from graphcl.nn.lightgcn import combine_layers
from graphcl.utils import generator
from graphcl.views.cross_layer import CrossLayer
from graphcl.views.graph_aug import EdgeDropout, NodeDropout, RandomWalk
from graphcl.views.noise import EmbeddingNoise
from graphcl.views.svd import SVDView

ViewName = Literal["noise", "edge_dropout", "node_dropout", "random_walk", "svd", "cross_layer"]
LossName = Literal["infonce", "dcl", "multiview_infonce", "mv_dhel"]
ClNodes = Literal["unique", "interactions"]

PAIRWISE_LOSSES = {"infonce": info_nce, "dcl": dcl_loss}
MULTIVIEW_LOSSES = {"multiview_infonce": multiview_info_nce, "mv_dhel": mv_dhel}


@dataclass
class GCLConfig(LightGCNConfig):
    view: ViewName = "noise"
    loss: LossName = "infonce"
    num_views: int = 2
    lam: float = 0.1  # weight of the contrastive term
    tau: float = 0.2
    negatives: Literal["batch", "all"] = "batch"
    cl_nodes: ClNodes = "unique"  # anchors; interactions: LightGCL's code
    cl_normalize: bool = True  # cosine similarities; False = raw dot products (pairwise losses only)
    pos_clamp: Optional[float] = None  # clip the positive's score in InfoNCE's numerator (LightGCL's code: 5)
    eps: float = 0.1  # noise magnitude (noise, cross_layer)
    rho: float = 0.1  # dropout ratio (edge/node dropout, random walk; svd: main-view edge dropout)
    layer_star: int = 1  # contrasted layer (cross_layer)
    q: int = 5  # SVD rank (svd)
    reg_scope: Literal["batch", "table"] = "batch"  # L2 on the batch's ego rows, or reg*||E0||^2 on the table
    diagnostics: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("params.view", self.view, ViewName)
        check_choice("params.loss", self.loss, LossName)
        if self.num_views < 2:
            raise ConfigError(f"params.num_views must be >= 2, got {self.num_views}")
        check_positive("params.lam", self.lam, allow_zero=True)
        check_positive("params.tau", self.tau)
        check_positive("params.eps", self.eps, allow_zero=True)
        check_fraction("params.rho", self.rho)
        check_positive("params.q", self.q)
        check_choice("params.cl_nodes", self.cl_nodes, ClNodes)
        if self.cl_nodes == "interactions" and self.negatives != "all":
            raise ConfigError("params.cl_nodes=interactions needs params.negatives=all: with in-batch "
                              "negatives a repeated node would also be its own negative")
        if self.loss in MULTIVIEW_LOSSES and self.negatives == "all":
            raise ConfigError(f"params.negatives=all is only available for pairwise losses, not {self.loss!r}")
        if not self.cl_normalize and self.loss in MULTIVIEW_LOSSES:
            raise ConfigError(f"params.cl_normalize=false is only available for pairwise losses, not {self.loss!r}")
        if self.pos_clamp is not None:
            check_positive("params.pos_clamp", self.pos_clamp)
            if self.loss != "infonce":
                raise ConfigError(f"params.pos_clamp is only available for loss infonce, not {self.loss!r}")
        if self.view in ("noise", "cross_layer", "svd") and self.layers < 1:
            raise ConfigError(f"params.layers must be >= 1 for view {self.view!r}")
        if self.view == "cross_layer" and self.layer_star + self.num_views - 2 > self.layers:
            raise ConfigError(f"params.layer_star={self.layer_star} with num_views={self.num_views} needs "
                              f"layers >= {self.layer_star + self.num_views - 2}, got {self.layers}")
        if self.view == "svd" and self.num_views > 2 and self.rho == 0:
            raise ConfigError("params.view=svd with num_views > 2 needs rho > 0: the extra views are "
                              "edge-dropout propagations of the main graph")


class _Views:
    """Adapter from a view generator to the embeddings a batch's loss reads.

    :meth:`full` gives every row (needed for all-node negatives); :meth:`rows` only the rows
    of the batch's nodes, which graph views get with their last layer computed on those rows
    only and noise views with their residuals computed on those rows and their neighbourhoods.
    """

    def refresh(self, gen: torch.Generator) -> None:
        """Redraw per-epoch randomness (augmented graphs)."""

    def full(self, gen: torch.Generator) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """``(rec, views)``: the embedding BPR scores and each view, all (U+I) x d."""
        raise NotImplementedError

    def rows(self, gen: torch.Generator, nodes: torch.Tensor,
             contrast: int) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """``rec`` at the distinct ``nodes`` and each view at ``nodes[:contrast]``."""
        rec, views = self.full(gen)
        return rec[nodes], [v[nodes[:contrast]] for v in views]

    def mix(self, layers: Sequence[torch.Tensor]) -> torch.Tensor:
        enc = self.model.encoder
        return combine_layers(layers, enc.combine, enc.include_layer0)

    def mix_residual(self, residual: Sequence[torch.Tensor]) -> torch.Tensor:
        """:meth:`mix` of noise residuals ``[r_1, ..., r_K]`` (layer 0 carries no noise)."""
        return self.mix([torch.zeros_like(residual[0])] + list(residual))


class _GraphViews(_Views):
    def __init__(self, model: "GCL", sampler) -> None:
        self.model, self.sampler = model, sampler
        self.adjs: List = []

    def refresh(self, gen):
        self.adjs = [self.sampler.sample(gen) for _ in range(self.model.config.num_views)]

    def full(self, gen):
        enc = self.model.encoder
        return enc(self.model.adj), [enc(a) for a in self.adjs]

    def rows(self, gen, nodes, contrast):
        enc, picked = self.model.encoder, nodes[:contrast]
        return enc.rows(self.model.adj, nodes), [enc.rows(a, picked) for a in self.adjs]


class _NoiseViews(_Views):
    def __init__(self, model: "GCL") -> None:
        self.model, self.noise = model, EmbeddingNoise(model.config.eps)

    def full(self, gen):
        adj = self.model.adj
        clean = self.model.encoder.propagate(adj)
        noisy = self.noise.views_from_clean(adj, clean, self.model.config.num_views, gen)
        return self.mix(clean), [self.mix(layers) for layers in noisy]

    def rows(self, gen, nodes, contrast):
        # A noisy view is the clean one plus a gradient-free residual (views/noise.py), and
        # layer mixing is linear: view rows = rec rows + mixed residual rows.
        adj = self.model.adj
        clean = self.model.encoder.propagate(adj)
        rec = self.mix(clean)[nodes]
        residuals = self.noise.residual_rows(adj, clean, nodes[:contrast], self.model.config.num_views, gen)
        base = rec[:contrast]
        return rec, [base + self.mix_residual(r) for r in residuals]


class _CrossLayerViews(_Views):
    def __init__(self, model: "GCL") -> None:
        cfg = model.config
        self.model, self.noise = model, EmbeddingNoise(cfg.eps)
        self.select = CrossLayer(cfg.layer_star, cfg.combine, cfg.include_layer0)

    def full(self, gen):
        layers = self.model.encoder.propagate(self.model.adj, perturb=self.noise.perturb(gen))
        views = self.select.views(layers, self.model.config.num_views)
        return views[0], views

    def rows(self, gen, nodes, contrast):
        if len(nodes) > self.model.adj.shape[0] // 4:
            # the batch touches most of the graph (ml-100k): one in-place noisy propagation is
            # cheaper than clean layers + residual rows (measured 6.5 vs 10.7 ms on ml-100k)
            return super().rows(gen, nodes, contrast)
        # One noisy propagation = clean layers + gradient-free residuals, needed at ``nodes`` only
        # (Gowalla: 148 vs 166 ms per step's views, forward + backward).
        clean = self.model.encoder.propagate(self.model.adj)
        residual = self.noise.residual_rows(self.model.adj, clean, nodes, 1, gen)[0]
        rec = self.mix(clean)[nodes] + self.mix_residual(residual)
        picked = nodes[:contrast]
        layers = self.select.contrasted(len(clean) - 1, self.model.config.num_views)
        return rec, [rec[:contrast]] + [clean[k][picked] + residual[k - 1][:contrast] for k in layers]


class _SVDViews(_Views):
    def __init__(self, model: "GCL") -> None:
        cfg = model.config
        self.model = model
        self.svd = SVDView(model.train_users, model.train_items, model.num_users, model.num_items, q=cfg.q)
        self.dropout = EdgeDropout(model.train_users, model.train_items, model.num_users, model.num_items, cfg.rho)
        self.adjs: List[torch.Tensor] = [model.adj]

    def refresh(self, gen):
        if self.model.config.rho > 0:
            self.adjs = [self.dropout.sample(gen) for _ in range(self.model.config.num_views - 1)]

    def full(self, gen):
        enc = self.model.encoder
        mains = [enc.propagate(a) for a in self.adjs]
        first = mains[0]
        # LightGCL: SVD-view layer k propagates the main view's layer k-1.
        svd_layers = [first[0]] + [self.svd.propagate(first[k - 1]) for k in range(1, len(first))]
        main_views = [self.mix(layers) for layers in mains]
        return main_views[0], [self.mix(svd_layers)] + main_views


def build_views(model: "GCL") -> _Views:
    cfg = model.config
    edges = (model.train_users, model.train_items, model.num_users, model.num_items, cfg.rho)
    if cfg.view == "edge_dropout":
        return _GraphViews(model, EdgeDropout(*edges))
    if cfg.view == "node_dropout":
        return _GraphViews(model, NodeDropout(*edges))
    if cfg.view == "random_walk":
        return _GraphViews(model, RandomWalk(*edges, layers=cfg.layers))
    if cfg.view == "noise":
        return _NoiseViews(model)
    if cfg.view == "cross_layer":
        return _CrossLayerViews(model)
    return _SVDViews(model)


class GCL(LightGCN):
    """LightGCN + a contrastive term between views (see the module docstring)."""

    Config = GCLConfig

    def __init__(self, data: InteractionData, config: GCLConfig, device="cpu") -> None:
        super().__init__(data, config, device)
        self.views = build_views(self)
        self.seed = int(torch.randint(0, 2**62, (1,)))
        self.on_epoch_start(0)

    def on_epoch_start(self, epoch: int) -> None:
        """Seed this epoch's view randomness from (model seed, epoch) and redraw augmented graphs."""
        self.gen = generator(self.seed * 1_000_003 + epoch, self.device_)
        self.views.refresh(self.gen)

    def contrast(self, views: Optional[Sequence[torch.Tensor]], picked: Sequence[torch.Tensor], nodes: torch.Tensor,
                 block: slice) -> torch.Tensor:
        """Contrastive loss of ``nodes`` whose rows of each view are ``picked``; ``all`` negatives come from
        ``block`` of the full ``views``."""
        cfg = self.config
        if cfg.loss in MULTIVIEW_LOSSES:
            return MULTIVIEW_LOSSES[cfg.loss](picked, cfg.tau)
        fn = PAIRWISE_LOSSES[cfg.loss]
        if cfg.pos_clamp is not None:
            fn = partial(fn, pos_clamp=cfg.pos_clamp)
        pairs = [(a, b) for a in range(len(picked)) for b in range(a + 1, len(picked))]
        total = 0.0
        for a, b in pairs:
            if cfg.negatives == "all":
                total = total + fn(picked[a], picked[b], cfg.tau, candidates=views[b][block],
                                   pos_index=nodes - block.start, normalize=cfg.cl_normalize)
            else:
                total = total + fn(picked[a], picked[b], cfg.tau, normalize=cfg.cl_normalize)
        return total / len(pairs)

    def loss(self, batch: BPRBatch) -> Dict[str, torch.Tensor]:
        cfg = self.config
        u_count, n = self.num_users, self.num_users + self.num_items
        users, pos, neg = torch.unique(batch.users), torch.unique(batch.pos), torch.unique(batch.neg)
        is_pos = torch.zeros(self.num_items, dtype=torch.bool, device=pos.device)
        is_pos[pos] = True
        # distinct nodes, the contrasted ones (batch users, positive items) first
        nodes = torch.cat([users, pos + u_count, neg[~is_pos[neg]] + u_count])
        contrast = len(users) + len(pos)
        where = torch.empty(n, dtype=torch.int64, device=nodes.device)
        where[nodes] = torch.arange(len(nodes), device=nodes.device)
        index = self.triplet(batch)
        full: Optional[List[torch.Tensor]] = None
        if cfg.negatives == "all":
            rec, full = self.views.full(self.gen)
            rec_rows = rec[index]
            rows = [v[nodes[:contrast]] for v in full]
        else:
            rec_nodes, rows = self.views.rows(self.gen, nodes, contrast)
            rec_rows = rec_nodes[where[index]]
        terms = self.bpr_terms(rec_rows, index)
        if cfg.reg_scope == "table":
            terms["l2"] = cfg.reg * self.encoder.embedding.weight.pow(2).sum()
        if cfg.cl_nodes == "interactions":
            user_nodes, item_nodes = batch.users, torch.cat([batch.pos, batch.neg]) + u_count
            user_rows = [v[user_nodes] for v in full]
            item_rows = [v[item_nodes] for v in full]
        else:
            user_nodes, item_nodes = users, pos + u_count
            user_rows, item_rows = zip(*(r.split([len(users), len(pos)]) for r in rows))
        cl = (self.contrast(full, user_rows, user_nodes, slice(0, u_count))
              + self.contrast(full, item_rows, item_nodes, slice(u_count, n)))
        terms["cl"] = cl
        terms["loss"] = terms["bpr"] + cfg.lam * cl + terms["l2"]
        if cfg.diagnostics:
            terms.update(self.diagnostics(rows, where, batch))
        return terms

    @torch.no_grad()
    def diagnostics(self, rows: Sequence[torch.Tensor], where: torch.Tensor, batch: BPRBatch,
                    size: int = 256) -> Dict[str, torch.Tensor]:
        """Alignment of views 0 and 1 and uniformity of view 0 on a sample of the batch's nodes.

        ``rows`` are the views at the contrasted nodes, ``where`` maps a node to its row. The
        sample is the first ``size`` interactions of the (randomly ordered) batch, which keeps
        the pairwise distances O(size^2) on any dataset.
        """
        users = where[torch.unique(batch.users[:size])]
        items = where[torch.unique(batch.pos[:size]) + self.num_users]
        picked = torch.cat([users, items])
        out = {"align": alignment(rows[0][picked], rows[1][picked])}
        if len(users) > 1 and len(items) > 1:
            out["uniform"] = 0.5 * (uniformity(rows[0][users]) + uniformity(rows[0][items]))
        return out


def paper_config(config, **fixed) -> GCLConfig:
    """The :class:`GCLConfig` of a paper model: its own config's fields plus the ``fixed`` choices."""
    return GCLConfig(**asdict(config), **fixed)


__all__ = ["GCL", "GCLConfig", "paper_config", "build_views", "PAIRWISE_LOSSES", "MULTIVIEW_LOSSES"]
