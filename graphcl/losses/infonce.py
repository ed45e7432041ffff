"""InfoNCE between two views of the same nodes (the contrastive loss of SGL, SimGCL, XSimGCL, LightGCL).

For anchors ``a_i`` and positives ``p_i`` (L2-normalised unless ``normalize=False``, then
raw dot products as in LightGCL's official code), temperature ``tau`` and a
candidate set ``C`` that contains each positive at ``pos_index[i]``:

    L = mean_i [ -a_i.p_i / tau + log sum_{c in C} exp(a_i.c / tau) ].

With ``candidates=None`` the candidates are the positives themselves (in-batch negatives:
every other node of the batch is a negative, the SimGCL/XSimGCL convention). Passing all
nodes of the positive view as ``candidates`` gives the all-node negatives of SGL/LightGCL.

``pos_clamp=c`` clips the numerator's score ``a_i.p_i / tau`` to ``[-c, c]`` (the denominator
keeps it unclipped), as LightGCL's official code does with c = 5. With raw dot products this
changes what the loss asks for: past ``c`` the positive stops pulling, while the denominator
still pushes every score down, the positive's too, so the term bounds the embeddings' scale
instead of rewarding its growth.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def contrast_logits(anchor: torch.Tensor, positive: torch.Tensor, tau: float,
                    candidates: Optional[torch.Tensor] = None,
                    pos_index: Optional[torch.Tensor] = None,
                    normalize: bool = True) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(pos, logits, pos_index)``: positive scores (B,), candidate scores (B, M) and positive columns (B,).

    Inputs: ``anchor``/``positive`` (B, d), ``candidates`` (M, d) or None (then M = B).
    Scores are cosine similarities (dot products with ``normalize=False``) divided by ``tau``.
    """
    if anchor.shape != positive.shape:
        raise ValueError(f"anchor and positive must have the same shape, got {tuple(anchor.shape)} and {tuple(positive.shape)}")
    unit = (lambda x: F.normalize(x, dim=-1)) if normalize else (lambda x: x)
    a, p = unit(anchor), unit(positive)
    if candidates is None:
        c = p
        pos_index = torch.arange(len(a), device=a.device)
    else:
        if pos_index is None:
            raise ValueError("pos_index (the positive's row in candidates) is required with candidates")
        c = unit(candidates)
    a = a / tau  # scaling the (B, d) anchors instead of the (B, M) logits saves two B x M passes
    return (a * p).sum(-1), a @ c.T, pos_index


def info_nce(anchor: torch.Tensor, positive: torch.Tensor, tau: float,
             candidates: Optional[torch.Tensor] = None, pos_index: Optional[torch.Tensor] = None,
             normalize: bool = True, pos_clamp: Optional[float] = None) -> torch.Tensor:
    """InfoNCE (see module docstring); a scalar averaged over the B anchors."""
    if pos_clamp is not None and pos_clamp <= 0:
        raise ValueError(f"pos_clamp must be > 0, got {pos_clamp}")
    _, logits, index = contrast_logits(anchor, positive, tau, candidates, pos_index, normalize)
    # The positive is column ``index`` of the logits, so InfoNCE is cross-entropy; its fused
    # log-softmax kernel runs 2x faster forward + backward than logsumexp minus the positive
    # (measured on B = 1,900: 9 vs 20 ms), and the B x B logits dominate in-batch contrast on CPU.
    if pos_clamp is None:
        return F.cross_entropy(logits, index)
    # the positive's logit read back from the logits, so that without clipping this equals the above
    pos = logits.gather(1, index[:, None]).squeeze(1)
    lse = F.cross_entropy(logits, index, reduction="none") + pos
    return (lse - pos.clamp(-pos_clamp, pos_clamp)).mean()


__all__ = ["contrast_logits", "info_nce"]
