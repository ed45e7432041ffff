"""XSimGCL (Yu et al., TKDE 2023): one noisy propagation serves BPR and a cross-layer InfoNCE.

A thin composition over :class:`graphcl.models.gcl.GCL` with the ``cross_layer`` view: the
final embedding (mean of noisy layers 1..K) feeds BPR and is contrasted with the noisy
layer ``layer_star``; InfoNCE with in-batch negatives. Evaluation uses the clean
propagation (no noise), mean of layers 1..K.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from graphcl.data.interaction import InteractionData
from graphcl.models.gcl import GCL, GCLConfig, paper_config


@dataclass
class XSimGCLConfig:
    dim: int = 64
    layers: int = 2
    reg: float = 1e-4
    init_std: Optional[float] = None  # Xavier-uniform (SELFRec)
    eps: float = 0.2
    tau: float = 0.15
    lam: float = 0.2
    layer_star: int = 1
    cl_normalize: bool = True  # cosine similarities (paper); False = raw dot products
    diagnostics: bool = True

    def __post_init__(self) -> None:
        self.gcl()  # validates every field, before any data is loaded

    def gcl(self) -> GCLConfig:
        """The generic composition this model is: these fields plus its fixed choices."""
        return paper_config(self, view="cross_layer", loss="infonce", num_views=2, combine="mean",
                            include_layer0=False, negatives="batch")


class XSimGCL(GCL):
    Config = XSimGCLConfig

    def __init__(self, data: InteractionData, config: XSimGCLConfig, device="cpu") -> None:
        super().__init__(data, config.gcl(), device)
