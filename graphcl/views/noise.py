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

A loss that reads the views at a few rows only (in-batch contrast) needs ``r_K`` at those
rows, ``r_{K-1}`` at them and their neighbours, and so on: :meth:`EmbeddingNoise.residual_rows`
draws noise and multiplies only on these nested node sets. Each row's noise is drawn
independently either way, so the rows it returns have exactly the distribution of the full
computation (on Gowalla with 2 layers a batch's ~3,800 contrasted nodes need 58k of the
71k rows at layer 1 and a 7x smaller product at layer 2).
"""
from __future__ import annotations

import math
from typing import Callable, List, Optional, Sequence

import torch

from graphcl.config import check_positive
from graphcl.graph.sparse import neighbourhood_block, sym_spmm


def uniform15(shape: Sequence[int], gen: torch.Generator) -> torch.Tensor:
    """Float32 samples of U(0, 1) on the grid ``(k + 0.5) / 2^15``, four from each 64-bit draw of ``gen``.

    The noise only needs a random direction per row; 15 random bits per coordinate are plenty
    and cost a quarter of the generator calls of ``torch.rand`` (one per value), which made the
    draw 2.7x faster on CPU (4M values: 6 vs 16 ms, one thread).
    """
    numel = math.prod(shape)
    words = torch.empty((numel + 3) // 4, dtype=torch.int64, device=gen.device).random_(generator=gen)
    # random_() fills [0, 2^63): the low 15 bits of every 16-bit quarter are uniform
    bits = words.view(torch.int16)[:numel].bitwise_and_(0x7FFF)
    return bits.float().add_(0.5).mul_(1.0 / 32768).view(*shape)


class EmbeddingNoise:
    """Uniform, sign-aligned noise of L2 norm ``eps`` added after each propagation layer."""

    def __init__(self, eps: float) -> None:
        check_positive("eps", eps, allow_zero=True)
        self.eps = eps

    def delta(self, h: torch.Tensor, gen: torch.Generator, shape: Optional[Sequence[int]] = None) -> torch.Tensor:
        """``eps * sign(h) * normalize(u)`` for ``u ~ U(0,1)`` of ``shape`` (default ``h.shape``; ``h`` must
        broadcast to it, e.g. N x 1 x d for V views of N x d), normalised along the last dimension; no gradient."""
        u = uniform15(h.shape if shape is None else shape, gen).to(device=h.device, dtype=h.dtype)
        # in place: no extra N x d temporaries per layer and view; sign() at h's own shape (on
        # an expanded N x V x d view it is 10x slower than the broadcast product)
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

    @torch.no_grad()
    def residual_rows(self, adj: torch.Tensor, clean: Sequence[torch.Tensor], nodes: torch.Tensor,
                      num_views: int, gen: torch.Generator) -> List[List[torch.Tensor]]:
        """Per view, the residuals ``[r_1, ..., r_K]`` at ``nodes`` only (each len(nodes) x d, no gradient).

        ``nodes`` must be distinct. Layer k is computed on ``S_k``: ``S_K = nodes`` and
        ``S_{k-1}`` = ``S_k`` plus its neighbours, so noise is drawn for ``sum_k |S_k|`` rows
        instead of ``K * N`` and layer k's product uses only the rows ``S_k`` of ``adj``. A view's
        rows at ``nodes`` are then ``clean_k[nodes] + r_k`` per layer.
        """
        depth = len(clean) - 1
        sets = [nodes]  # S_K, S_{K-1}, ..., S_1; each one a prefix of the next
        blocks = []  # adj[S_K, S_{K-1}], ..., adj[S_2, S_1]
        for _ in range(depth - 1):
            cols, block = neighbourhood_block(adj, sets[-1])
            sets.append(cols)
            blocks.append(block)
        sets.reverse()  # sets[k - 1] = S_k
        blocks.reverse()  # blocks[k - 1] = adj[S_{k+1}, S_k]
        pre = [clean[k + 1].detach()[sets[k]] for k in range(depth)]  # clean layer k+1 on S_{k+1}
        # All views at once, as |S_k| x V x d: one noise draw and one product per layer, the
        # views side by side as a V*d-wide dense operand (measured 1.3x faster than V products).
        first = pre[0].unsqueeze(1)
        r = self.delta(first, gen, (len(first), num_views, first.shape[-1]))
        layers = [r]
        for k in range(1, depth):
            carried = (blocks[k - 1] @ r.reshape(len(r), -1)).view(len(pre[k]), num_views, -1)
            r = carried.add_(self.delta(pre[k].unsqueeze(1) + carried, gen))
            layers.append(r)
        return [[layer[: len(nodes), v] for layer in layers] for v in range(num_views)]


__all__ = ["EmbeddingNoise", "uniform15"]
