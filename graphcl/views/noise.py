"""Embedding-noise views of SimGCL (Yu et al., SIGIR 2022).

After every propagation layer ``k`` the view adds

    delta_k = eps * sign(h_k) * u / ||u||_2,   u ~ U(0, 1)^d  (one draw per row),

so the noise has L2 norm exactly ``eps`` per row (``sign(0) = 0`` zeroes coordinates of
exactly-zero entries) and lies in the orthant of ``h_k``: each non-zero coordinate keeps its
sign. ``eps = 0`` gives the clean encoder exactly.

Because ``delta_k`` is piecewise constant in the embeddings (``d sign / dx = 0``), a noisy
layer splits into the clean layer plus a residual that carries no gradient:

    n_k = A n_{k-1} + delta_k = c_k + r_k,   c_k = A^k e_0,   r_k = A r_{k-1} + delta_k,  r_0 = 0.

:meth:`EmbeddingNoise.views_from_clean` uses this: given the clean layers (which the
recommendation loss needs anyway) each extra view costs one gradient-free product per layer
from layer 2 on (``r_1 = delta_1``) and nothing in the backward pass, with gradients equal
to those of propagating each noisy view separately.
"""
from __future__ import annotations

from typing import Callable, List, Sequence

import torch

from graphcl.config import check_positive
from graphcl.graph.sparse import sym_spmm


class EmbeddingNoise:
    """Uniform, sign-aligned noise of L2 norm ``eps`` added after each propagation layer."""

    def __init__(self, eps: float) -> None:
        check_positive("eps", eps, allow_zero=True)
        self.eps = eps

    def delta(self, h: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """``eps * sign(h) * normalize(u)`` for ``u ~ U(0,1)`` shaped like ``h`` (N x d); no gradient."""
        u = torch.rand(h.shape, generator=gen, device=gen.device, dtype=h.dtype).to(h.device)
        # in place: no extra N x d temporaries per layer and view
        scale = self.eps / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return u.mul_(scale).mul_(torch.sign(h.detach()))

    def perturb(self, gen: torch.Generator) -> Callable[[torch.Tensor, int], torch.Tensor]:
        """A ``perturb(h, layer) -> h + delta`` callback for ``LightGCNEncoder.propagate``."""
        return lambda h, layer: h + self.delta(h, gen)

    def views_from_clean(self, adj: torch.Tensor, clean: Sequence[torch.Tensor], num_views: int,
                         gen: torch.Generator) -> List[List[torch.Tensor]]:
        """``num_views`` noisy propagations, each as its layer list ``[e_0, n_1, ..., n_K]``.

        ``clean`` are the clean layers ``[c_0, ..., c_K]`` from the same adjacency ``adj``
        (symmetric, N x N). Noise is drawn layer by layer, view by view within a layer.
        """
        views = [[clean[0]] for _ in range(num_views)]
        residual = [None] * num_views
        for k in range(1, len(clean)):
            for v in range(num_views):
                with torch.no_grad():
                    prev = residual[v]
                    carried = None if prev is None else sym_spmm(adj, prev)
                    pre = clean[k].detach() if carried is None else clean[k].detach() + carried
                    step = self.delta(pre, gen)
                    residual[v] = step if carried is None else carried.add_(step)
                views[v].append(clean[k] + residual[v])
        return views


__all__ = ["EmbeddingNoise"]
