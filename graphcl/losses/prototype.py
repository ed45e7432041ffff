"""Prototypical contrastive term (PCL, used by MEOW): pull nodes towards their cluster centroid.

For unit embeddings ``z_i``, unit centroids ``mu_k`` of a clustering and assignment ``c_i``:

    L = -(1/N) sum_i log( exp(z_i . mu_{c_i} / phi) / sum_k exp(z_i . mu_k / phi) )

averaged over several clusterings (different ``k``).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def prototype_loss(z: torch.Tensor, centroids: Sequence[torch.Tensor], assignments: Sequence[torch.Tensor], phi: float) -> torch.Tensor:
    """Mean cross-entropy of ``z`` (``N x d``) against each clustering's centroids (``k x d``)."""
    z = F.normalize(z, dim=1)
    losses = [F.cross_entropy(z @ F.normalize(mu, dim=1).t() / phi, a) for mu, a in zip(centroids, assignments)]
    return torch.stack(losses).mean()
