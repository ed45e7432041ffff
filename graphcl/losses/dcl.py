"""Decoupled contrastive loss (DCL, Yeh et al., ECCV 2022).

InfoNCE with the positive pair removed from the denominator, which removes the
negative-positive coupling of the InfoNCE gradient:

    L = mean_i [ -a_i.p_i / tau + log sum_{c in C, c != p_i} exp(a_i.c / tau) ].

Candidates and positives are given as in :func:`graphcl.losses.infonce.info_nce`.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from graphcl.losses.infonce import contrast_logits


def dcl_loss(anchor: torch.Tensor, positive: torch.Tensor, tau: float,
             candidates: Optional[torch.Tensor] = None, pos_index: Optional[torch.Tensor] = None,
             normalize: bool = True) -> torch.Tensor:
    """DCL averaged over the B anchors; needs at least two candidates."""
    pos, logits, index = contrast_logits(anchor, positive, tau, candidates, pos_index, normalize)
    if logits.shape[1] < 2:
        raise ValueError("DCL needs at least one negative candidate besides the positive")
    mask = torch.zeros_like(logits, dtype=torch.bool)
    mask[torch.arange(len(index), device=index.device), index] = True
    negatives = logits.masked_fill(mask, float("-inf"))
    # logsumexp_i = CE(row i, column t) + x_it for any finite column t (here the one after the
    # positive); cross-entropy's fused log-softmax is 2x faster than logsumexp forward + backward.
    other = (index + 1) % logits.shape[1]
    lse = F.cross_entropy(negatives, other, reduction="none") + negatives.gather(1, other[:, None]).squeeze(1)
    return (lse - pos).mean()


__all__ = ["dcl_loss"]
