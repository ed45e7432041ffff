"""SimGCL (Yu et al., SIGIR 2022): LightGCN + InfoNCE between two noise-perturbed propagations.

A thin composition over :class:`graphcl.models.gcl.GCL` with the ``noise`` view: BPR uses
the clean propagation, the two views add sign-aligned uniform noise of norm ``eps`` after
every layer; final embeddings are the mean of layers 1..K (layer 0 excluded); InfoNCE with
in-batch negatives over the batch's unique users and items. The noisy views reuse the clean
layers and only add gradient-free residual products (see :mod:`graphcl.views.noise`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from graphcl.data.interaction import InteractionData
from graphcl.models.gcl import GCL, GCLConfig, paper_config


@dataclass
class SimGCLConfig:
    dim: int = 64
    layers: int = 2
    reg: float = 1e-4
    init_std: Optional[float] = None  # Xavier-uniform (SELFRec)
    eps: float = 0.1
    tau: float = 0.2
    lam: float = 0.5
    cl_normalize: bool = True  # cosine similarities (paper); False = raw dot products
    diagnostics: bool = True

    def __post_init__(self) -> None:
        self.gcl()  # validates every field, before any data is loaded

    def gcl(self) -> GCLConfig:
        """The generic composition this model is: these fields plus its fixed choices."""
        return paper_config(self, view="noise", loss="infonce", num_views=2, combine="mean",
                            include_layer0=False, negatives="batch")


class SimGCL(GCL):
    Config = SimGCLConfig

    def __init__(self, data: InteractionData, config: SimGCLConfig, device="cpu") -> None:
        super().__init__(data, config.gcl(), device)
