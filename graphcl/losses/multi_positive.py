"""Multi-positive InfoNCE (HeCo) with optional weights on the negatives (MEOW).

For anchor ``i`` with logits ``s_ij`` (e.g. ``cos(z_i, z'_j) / tau``) over candidates
``j`` and a set of positives ``P_i`` (non-empty, usually containing ``i``):

    L_i = -log( sum_{j in P_i} e^{s_ij} / ( sum_{j in P_i} e^{s_ij} + sum_{j not in P_i} w_ij e^{s_ij} ) )

and the loss is the mean of ``L_i`` over anchors. With ``w = 1`` the denominator is
``sum_j e^{s_ij}`` — HeCo's loss. With ``include_positives=False`` the denominator holds the
weighted negatives only, as in MEOW's code (whose weights vanish on the anchor itself). Positives are given sparsely as a ``2 x P`` index
(anchor, candidate). :func:`cross_view_infonce` evaluates both directions of a two-view
contrast (anchors = rows of ``s``, then anchors = columns, i.e. rows of ``s^T``) from one
``exp``: the ``N x N`` matrix dominates the cost. Logits are shifted by their (detached)
global maximum, which is exact and stable for bounded logits such as ``cos / tau``.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def cosine_logits(a: torch.Tensor, b: torch.Tensor, tau: float) -> torch.Tensor:
    """``cos(a_i, b_j) / tau`` for all pairs: ``N x M``."""
    return F.normalize(a, dim=1) @ F.normalize(b, dim=1).t() / tau


def _check_positives(positives: torch.Tensor, n: int) -> None:
    if positives.dim() != 2 or positives.shape[0] != 2:
        raise ValueError(f"positives must be a 2 x P index, got shape {tuple(positives.shape)}")
    if torch.bincount(positives[0], minlength=n)[:n].min() == 0:
        raise ValueError("every anchor needs at least one positive")


def _rows_loss(e: torch.Tensor, row: torch.Tensor, col: torch.Tensor, weights: Optional[torch.Tensor],
               include_positives: bool = True) -> torch.Tensor:
    n = e.shape[0]
    e_pos = e[row, col]
    pos_sum = torch.zeros(n, dtype=e.dtype, device=e.device).index_add(0, row, e_pos)
    if weights is None:
        denom = e.sum(dim=1) if include_positives else e.sum(dim=1) - pos_sum
    else:
        w_pos_e = weights[row, col] * e_pos
        negatives = (weights * e).sum(dim=1) - torch.zeros_like(pos_sum).index_add(0, row, w_pos_e)
        denom = pos_sum + negatives if include_positives else negatives
    if not include_positives:
        denom = denom.clamp_min(torch.finfo(e.dtype).tiny)  # every negative weighted 0
    return (torch.log(denom) - torch.log(pos_sum)).mean()


def multi_positive_infonce(
    logits: torch.Tensor, positives: torch.Tensor, negative_weights: Optional[torch.Tensor] = None,
    include_positives: bool = True,
) -> torch.Tensor:
    """Mean multi-positive InfoNCE over the rows of ``logits`` (``N x M``).

    ``positives`` is a ``2 x P`` long tensor of (row, column) pairs without duplicates; every
    row needs at least one. ``negative_weights`` (``N x M``, non-negative) scales the
    negatives' terms in the denominator; its entries at positive pairs are ignored.
    ``include_positives=False`` leaves the positives out of the denominator.
    """
    _check_positives(positives, logits.shape[0])
    e = torch.exp(logits - logits.max().detach())
    return _rows_loss(e, positives[0], positives[1], negative_weights, include_positives)


def cross_view_infonce(
    logits: torch.Tensor, positives: torch.Tensor, negative_weights: Optional[torch.Tensor] = None,
    include_positives: bool = True,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(loss with row anchors, loss with column anchors)`` for a square ``N x N`` ``logits``.

    Equal to ``multi_positive_infonce(logits, pos, w)`` and
    ``multi_positive_infonce(logits.T, pos, w.T)`` but with one ``exp``.
    """
    _check_positives(positives, logits.shape[0])
    e = torch.exp(logits - logits.max().detach())
    row, col = positives
    first = _rows_loss(e, row, col, negative_weights, include_positives)
    second = _rows_loss(e.t(), row, col, None if negative_weights is None else negative_weights.t(), include_positives)
    return first, second
