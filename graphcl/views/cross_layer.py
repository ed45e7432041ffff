"""Cross-layer views of XSimGCL (Yu et al., TKDE 2023).

One noisy propagation gives layers ``[e_0, n_1, ..., n_K]``. The first view is the final
embedding ``mean(n_1..n_K)`` (layer 0 excluded, the same embedding the recommendation loss
uses) and the second is the intermediate layer ``n_{l*}`` (default ``l* = 1``). Asking for
more views appends the following layers ``n_{l*+1}, ...``.
"""
from __future__ import annotations

from typing import List, Literal, Sequence

import torch

from graphcl.errors import ConfigError
from graphcl.nn.lightgcn import combine_layers


class CrossLayer:
    """Selects the contrasted views from one propagation's layer list."""

    def __init__(self, layer_star: int = 1, combine: Literal["mean", "sum"] = "mean",
                 include_layer0: bool = False) -> None:
        if layer_star < 1:
            raise ConfigError(f"layer_star must be >= 1 (a propagated layer), got {layer_star}")
        self.layer_star, self.combine, self.include_layer0 = layer_star, combine, include_layer0

    def final(self, layers: Sequence[torch.Tensor]) -> torch.Tensor:
        """Mean (or sum) of layers 1..K (0..K with ``include_layer0``)."""
        return combine_layers(layers, self.combine, self.include_layer0)

    def contrasted(self, num_layers: int, num_views: int = 2) -> range:
        """Indices ``l*, l*+1, ...`` of the layers that join the final embedding as views."""
        last = self.layer_star + num_views - 2
        if last > num_layers:
            raise ConfigError(f"cross-layer views need layers >= {last} for layer_star={self.layer_star} and "
                              f"num_views={num_views}, the encoder has {num_layers}")
        return range(self.layer_star, last + 1)

    def views(self, layers: Sequence[torch.Tensor], num_views: int = 2) -> List[torch.Tensor]:
        """``[final, n_{l*}, n_{l*+1}, ...]`` (``num_views`` entries), each N x d."""
        return [self.final(layers)] + [layers[k] for k in self.contrasted(len(layers) - 1, num_views)]


__all__ = ["CrossLayer"]
