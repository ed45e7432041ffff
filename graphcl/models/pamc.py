"""PamC: SCGC with parameter-free meta-node negatives (Kulatilleke, Portmann, Chandra, 2022).

Same encoder, DEC head, positives and loss weights as :class:`graphcl.models.scgc.SCGC`;
only the negative mass changes from all N^2 node pairs to the k^2 pairs of meta-nodes
``m_c = sum_{i: argmax q_i = c} z_i``, so one epoch costs O(|E| d + N k d + k^2 d).
"""
from __future__ import annotations

import torch

from graphcl.losses.pamc import meta_node_negative_term
from graphcl.models.scgc import SCGC


class PamC(SCGC):
    """Meta-node block contrastive clustering (hard assignments from the current ``q``)."""

    def negative_term(self, z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """``mean_c log sum_{c' != c} exp(tau s(m_c, m_c'))`` over non-empty clusters."""
        return meta_node_negative_term(z, q.detach().argmax(1), self.num_clusters, self.config.tau)


__all__ = ["PamC"]
