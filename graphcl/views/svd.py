"""The SVD view of LightGCL (Cai et al., ICLR 2023).

The normalised interaction matrix ``R~ = D_u^-1/2 R D_i^-1/2`` (U x I) is approximated once
by a rank-``q`` truncated SVD ``R~ ~ U_q S_q V_q^T`` (``torch.svd_lowrank``, randomised).
One SVD-view layer maps an embedding ``x = [x_u; x_i]`` to

    [U_q S_q (V_q^T x_i);  V_q S_q (U_q^T x_u)],

the low-rank counterpart of one product with the normalised bipartite adjacency
``[[0, R~], [R~^T, 0]]``. Products are taken right to left, so no dense U x I matrix is
ever formed: a layer costs O((U + I) q d). At full rank (``q = min(U, I)``) the layer equals
the adjacency product.
"""
from __future__ import annotations

import torch

from graphcl.config import check_positive
from graphcl.graph.sparse import norm_interaction_matrix


class SVDView:
    """Rank-``q`` SVD propagation over a bipartite graph's normalised interaction matrix.

    Args:
        users, items: interaction pairs (training edges), int tensors of equal length.
        num_users, num_items: node-set sizes.
        q: rank of the truncated SVD.
        niter: subspace iterations of ``torch.svd_lowrank``.
    """

    def __init__(self, users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int,
                 q: int = 5, niter: int = 2) -> None:
        check_positive("q", q)
        if q > min(num_users, num_items):
            raise ValueError(f"q={q} exceeds min(num_users, num_items)={min(num_users, num_items)}")
        self.num_users = num_users
        mat = norm_interaction_matrix(users.long(), items.long(), num_users, num_items)
        u, s, v = torch.svd_lowrank(mat, q=q, niter=niter)
        self.u_s = u * s  # U x q
        self.v_s = v * s  # I x q
        self.u_t = u.T.contiguous()  # q x U
        self.v_t = v.T.contiguous()  # q x I

    def to(self, device) -> "SVDView":
        for name in ("u_s", "v_s", "u_t", "v_t"):
            setattr(self, name, getattr(self, name).to(device))
        return self

    def propagate(self, x: torch.Tensor) -> torch.Tensor:
        """One SVD-view layer of ``x`` ((U+I) x d) -> (U+I) x d."""
        x_u, x_i = x[: self.num_users], x[self.num_users:]
        return torch.cat([self.u_s @ (self.v_t @ x_i), self.v_s @ (self.u_t @ x_u)], 0)


__all__ = ["SVDView"]
