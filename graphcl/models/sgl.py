"""SGL (Wu et al., SIGIR 2021): LightGCN + InfoNCE between two augmented graphs.

A thin composition over :class:`graphcl.models.gcl.GCL`: views are edge dropout (``ED``,
default), node dropout (``ND``) or random walk (``RW``) redrawn at every epoch; BPR uses
the clean graph's embedding (mean of layers 0..K); InfoNCE uses all users (items) of the
second view as negatives, as in the paper's loss.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from graphcl.data.interaction import InteractionData
from graphcl.models.gcl import GCL, GCLConfig, paper_config


@dataclass
class SGLConfig:
    dim: int = 64
    layers: int = 3
    reg: float = 1e-4
    init_std: Optional[float] = None  # Xavier-uniform
    view: Literal["edge_dropout", "node_dropout", "random_walk"] = "edge_dropout"
    rho: float = 0.1
    tau: float = 0.2
    lam: float = 0.1
    negatives: Literal["batch", "all"] = "all"
    cl_normalize: bool = True  # cosine similarities (paper); False = raw dot products
    diagnostics: bool = True

    def __post_init__(self) -> None:
        self.gcl()  # validates every field, before any data is loaded

    def gcl(self) -> GCLConfig:
        """The generic composition this model is: these fields plus its fixed choices."""
        return paper_config(self, loss="infonce", num_views=2, combine="mean", include_layer0=True)


class SGL(GCL):
    Config = SGLConfig

    def __init__(self, data: InteractionData, config: SGLConfig, device="cpu") -> None:
        super().__init__(data, config.gcl(), device)
