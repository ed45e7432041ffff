"""Prototypical contrastive term (PCL, used by MEOW): pull nodes towards their cluster centroid.

For unit embeddings ``z_i``, unit centroids ``mu_k`` of a clustering and assignment ``c_i``:

    L = -(1/N) sum_i log( exp(z_i . mu_{c_i} / phi) / sum_k exp(z_i . mu_k / phi) )

averaged over several clusterings (different ``k``). ``phi`` is one temperature or, as in PCL
and MEOW's code, one per cluster (:func:`cluster_concentration`): then the logit of cluster
``k`` is ``z_i . mu_k / phi_k``.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
import torch.nn.functional as F


def prototype_loss(z: torch.Tensor, centroids: Sequence[torch.Tensor], assignments: Sequence[torch.Tensor],
                   phi: Union[float, Sequence[torch.Tensor]]) -> torch.Tensor:
    """Mean cross-entropy of ``z`` (``N x d``) against each clustering's centroids (``k x d``).

    ``phi``: a temperature, or one ``k``-vector of per-cluster temperatures per clustering.
    """
    z = F.normalize(z, dim=1)
    phis = [phi] * len(centroids) if isinstance(phi, (int, float)) else list(phi)
    losses = [F.cross_entropy(z @ F.normalize(mu, dim=1).t() / p, a) for mu, a, p in zip(centroids, assignments, phis)]
    return torch.stack(losses).mean()


def cluster_concentration(x: torch.Tensor, centroids: torch.Tensor, assignments: torch.Tensor, mean_phi: float) -> torch.Tensor:
    """PCL's per-cluster temperature as MEOW's code computes it (``module/cluster.py``).

    For cluster ``k`` with members ``i`` and similarity ``d_i = x_i . c_k`` (the inner product
    its inner-product index assigns by), ``phi_k = mean_i sqrt(d_i) / log(n_k + 5)``: tight,
    large clusters get a low temperature. Clusters with fewer than two members take the largest
    value; the values are clipped to their 10th-90th percentiles and scaled to mean ``mean_phi``.
    """
    k = centroids.shape[0]
    d = (x * centroids[assignments]).sum(dim=1).clamp_min(0).sqrt()
    n = torch.zeros(k, dtype=x.dtype, device=x.device).index_add_(0, assignments, torch.ones_like(d))
    total = torch.zeros_like(n).index_add_(0, assignments, d)
    phi = total / n.clamp_min(1) / torch.log(n + 5)
    small = n <= 1
    if bool(small.all()):
        return torch.full_like(n, mean_phi)
    phi = torch.where(small, phi[~small].max(), phi)
    lo, hi = torch.quantile(phi, 0.1), torch.quantile(phi, 0.9)
    phi = phi.clamp(lo, hi)
    if float(phi.mean()) <= 0:
        return torch.full_like(n, mean_phi)
    return mean_phi * phi / phi.mean()
