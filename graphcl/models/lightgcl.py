"""LightGCL (Cai et al., ICLR 2023): InfoNCE between a LightGCN view and a rank-q SVD view.

A thin composition over :class:`graphcl.models.gcl.GCL` with the ``svd`` view: the main
view is LightGCN propagation (optionally on an edge-dropout graph, ``rho``) summed over
layers 0..K and also feeds BPR; the SVD view's layer k is ``U_q S_q V_q^T`` applied to the
main view's layer k-1, summed over layers 0..K; InfoNCE anchors on the SVD view with every
user (item) of the main view as negatives (``negatives="batch"``: the batch's unique users (items),
6x less CPU per epoch on Gowalla); as in the official code the similarities are raw dot products
(no L2 normalisation), so the contrastive gradient scales with the embeddings instead of
overwhelming BPR at initialisation. The official code also clips the positive's score
``a.p / tau`` to [-5, 5] in the numerator (``pos_clamp: 5``; off by default: on ml-100k it
stalls training below the most-popular baseline, see experiments/tables/ml100k.yaml). The code's
anchors are each interaction's user and both its items, duplicates kept (``cl_nodes:
interactions``); graphcl's default anchors on the batch's unique users and positive items.
L2 is ``reg * ||E^0||^2`` over the whole embedding table (``lambda2`` in the paper).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from graphcl.data.interaction import InteractionData
from graphcl.models.gcl import GCL, ClNodes, GCLConfig, paper_config


@dataclass
class LightGCLConfig:
    dim: int = 64
    layers: int = 2
    reg: float = 1e-7
    init_std: Optional[float] = None  # Xavier-uniform (official code)
    q: int = 5
    rho: float = 0.0  # edge dropout of the main view
    tau: float = 0.2
    lam: float = 0.2
    negatives: Literal["batch", "all"] = "all"
    pos_clamp: Optional[float] = None  # the official code clips the positive's score to [-5, 5]
    cl_nodes: ClNodes = "unique"  # interactions: the official code's anchors
    diagnostics: bool = True

    def __post_init__(self) -> None:
        self.gcl()  # validates every field, before any data is loaded

    def gcl(self) -> GCLConfig:
        """The generic composition this model is: these fields plus its fixed choices."""
        return paper_config(self, view="svd", loss="infonce", num_views=2, combine="sum",
                            include_layer0=True, reg_scope="table", cl_normalize=False)


class LightGCL(GCL):
    Config = LightGCLConfig

    def __init__(self, data: InteractionData, config: LightGCLConfig, device="cpu") -> None:
        super().__init__(data, config.gcl(), device)
