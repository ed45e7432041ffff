"""Full-ranking top-K metrics with RecBole 1.2's exact definitions.

For a user with ground-truth set G (n = |G|) and top-K list with hit indicators h_1..h_K:

* Recall@K    = sum_r h_r / n                 (not min(K, n): RecBole's definition)
* Precision@K = sum_r h_r / K
* Hit@K       = 1 if any h_r else 0
* NDCG@K      = DCG / IDCG with DCG = sum_r h_r / log2(r + 1),
                IDCG = sum_{i=1..min(K, n)} 1 / log2(i + 1)
* MRR@K       = 1 / (rank of the first hit), 0 without a hit
* MAP@K       = sum_r h_r * Precision@r / min(K, n)

Scores are averaged over users with at least one ground-truth item. Items a user saw in
training (and validation, when testing) are masked before ranking. Everything is
vectorised over users; the evaluator scores users in chunks (matmul, mask, ``topk``) and
finds hits by binary search in the sorted ground-truth keys, so no dense user x item
ground-truth matrix is ever built.
"""
from __future__ import annotations

from typing import Callable, Dict, Iterable, Optional, Sequence, Union

import numpy as np
import scipy.sparse as sp
import torch

METRICS = ("recall", "ndcg", "precision", "hit", "mrr", "map")

Truth = Union[sp.spmatrix, Sequence[Iterable[int]]]


class SparseRows:
    """A CSR matrix's structure on a torch device, for row gathers and membership tests."""

    def __init__(self, mat: sp.spmatrix, device: Union[str, torch.device] = "cpu") -> None:
        mat = sp.csr_matrix(mat)
        mat.sum_duplicates()
        mat.sort_indices()
        self.shape = mat.shape
        self.indptr = torch.from_numpy(mat.indptr.astype(np.int64)).to(device)
        self.indices = torch.from_numpy(mat.indices.astype(np.int64)).to(device)
        rows = torch.repeat_interleave(torch.arange(mat.shape[0], device=device), self.indptr.diff())
        self.keys = rows * mat.shape[1] + self.indices  # sorted because CSR is row-major, sorted
        self.row_len = self.indptr.diff()

    def gather(self, rows: torch.Tensor):
        """(local_row, column) pairs of the non-zeros of ``rows`` (local_row indexes ``rows``)."""
        counts = self.row_len[rows]
        local = torch.repeat_interleave(torch.arange(len(rows), device=rows.device), counts)
        starts = torch.repeat_interleave(self.indptr[rows], counts)
        offsets = torch.arange(int(counts.sum()), device=rows.device) - torch.repeat_interleave(
            torch.cumsum(counts, 0) - counts, counts)
        return local, self.indices[starts + offsets]

    def contains(self, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """Boolean tensor shaped like ``cols``: is ``(rows[..., None], cols)`` a non-zero?"""
        if self.keys.numel() == 0:
            return torch.zeros_like(cols, dtype=torch.bool)
        q = rows.unsqueeze(-1) * self.shape[1] + cols
        pos = torch.searchsorted(self.keys, q).clamp_max(self.keys.numel() - 1)
        return self.keys[pos] == q


def metrics_from_hits(hits: torch.Tensor, n_truth: torch.Tensor, ks: Sequence[int],
                      metrics: Sequence[str] = METRICS) -> Dict[str, torch.Tensor]:
    """Per-user metric values from a hit matrix.

    ``hits``: (n, K_max) 0/1, column r-1 = is the item at rank r relevant. ``n_truth``: (n,)
    ground-truth counts (> 0). Returns ``{"recall@10": (n,) tensor, ...}`` in float64.
    """
    hits = hits.double()
    n_truth = n_truth.double()
    k_max = hits.shape[1]
    ranks = torch.arange(1, k_max + 1, dtype=torch.float64, device=hits.device)
    cum_hits = torch.cumsum(hits, 1)
    discount = 1.0 / torch.log2(ranks + 1)
    cum_dcg = torch.cumsum(hits * discount, 1)
    cum_idcg = torch.cumsum(discount, 0)
    cum_ap = torch.cumsum(hits * cum_hits / ranks, 1)
    first_hit = torch.where(hits.any(1), hits.argmax(1).double() + 1, torch.full_like(n_truth, float("inf")))
    out: Dict[str, torch.Tensor] = {}
    for k in ks:
        if k < 1 or k > k_max:
            raise ValueError(f"k={k} outside 1..{k_max}")
        c = k - 1
        ideal = torch.minimum(n_truth, torch.tensor(float(k), dtype=torch.float64, device=hits.device))
        for m in metrics:
            if m == "recall":
                v = cum_hits[:, c] / n_truth
            elif m == "precision":
                v = cum_hits[:, c] / k
            elif m == "hit":
                v = (cum_hits[:, c] > 0).double()
            elif m == "ndcg":
                v = cum_dcg[:, c] / cum_idcg[ideal.long() - 1]
            elif m == "mrr":
                v = torch.where(first_hit <= k, 1.0 / first_hit, torch.zeros_like(first_hit))
            elif m == "map":
                v = cum_ap[:, c] / ideal
            else:
                raise ValueError(f"unknown metric {m!r}; choose from {', '.join(METRICS)}")
            out[f"{m}@{k}"] = v
    return out


def _as_csr(truth: Truth, shape) -> sp.csr_matrix:
    if sp.issparse(truth):
        return sp.csr_matrix(truth)
    cols = [np.fromiter(items, dtype=np.int64) for items in truth]  # one pass: items may be iterators
    rows = [np.full(len(c), u) for u, c in enumerate(cols)]
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=shape)


def _rank_and_hit(scores: torch.Tensor, users: torch.Tensor, truth: SparseRows,
                  exclude: Optional[SparseRows], k_max: int) -> torch.Tensor:
    """Mask excluded items, take the top-k_max, and return the (n, k_max) hit matrix."""
    if exclude is not None:
        local, cols = exclude.gather(users)
        # in place: ``scores`` is owned by the caller of this private helper (a full copy of
        # a chunk's score matrix costs as much as the top-k itself)
        scores.index_put_((local, cols), torch.tensor(-float("inf"), dtype=scores.dtype, device=scores.device))
    k = min(k_max, scores.shape[1])
    top = torch.topk(scores, k, dim=1).indices
    hits = truth.contains(users, top)
    if k < k_max:  # fewer items than K: ranks beyond the catalogue are misses
        hits = torch.cat([hits, hits.new_zeros(len(users), k_max - k)], 1)
    return hits


def ranking_metrics(scores: Union[torch.Tensor, np.ndarray], ground_truth: Truth,
                    exclude: Optional[Truth] = None, ks: Sequence[int] = (10, 20),
                    metrics: Sequence[str] = METRICS) -> Dict[str, float]:
    """Top-K metrics of a dense score matrix, RecBole definitions.

    ``scores``: (n_users, n_items). ``ground_truth``: CSR (n_users x n_items) or a list of
    item-id iterables per user. ``exclude``: items to mask per user (e.g. training items),
    same forms. Users without ground truth are skipped. Returns ``{"recall@10": ..., ...}``.
    """
    scores = torch.as_tensor(scores)  # scores[users] below is a copy: the caller's tensor is never masked
    shape = tuple(scores.shape)
    truth = SparseRows(_as_csr(ground_truth, shape), scores.device)
    excl = None if exclude is None else SparseRows(_as_csr(exclude, shape), scores.device)
    users = torch.nonzero(truth.row_len > 0).flatten()
    if len(users) == 0:
        raise ValueError("no user has ground-truth items")
    hits = _rank_and_hit(scores[users], users, truth, excl, max(ks))
    values = metrics_from_hits(hits, truth.row_len[users], ks, metrics)
    return {k: float(v.mean()) for k, v in values.items()}


class RankingEvaluator:
    """Full-sort evaluation of a recommender over all items, in user chunks.

    ``score_fn(users) -> (len(users), num_items)`` scores; for embedding models it is a
    matmul of cached user and item embeddings. The evaluator masks seen items in place, so
    ``score_fn`` must return a new tensor it does not keep (a view, e.g. an ``expand``ed row,
    is copied first). ``exclude`` lists matrices whose items are
    masked (train for validation; train + valid for test).
    """

    def __init__(self, truth: sp.spmatrix, exclude: Sequence[sp.spmatrix] = (), ks: Sequence[int] = (10, 20),
                 metrics: Sequence[str] = METRICS, chunk_size: int = 1024,
                 device: Union[str, torch.device] = "cpu") -> None:
        self.ks = tuple(sorted(set(ks)))
        self.metrics = tuple(metrics)
        self.chunk_size = chunk_size
        self.device = torch.device(device)
        self.truth = SparseRows(truth, self.device)
        excl = None
        for mat in exclude:
            excl = sp.csr_matrix(mat) if excl is None else excl + sp.csr_matrix(mat)
        self.exclude = None if excl is None else SparseRows(excl, self.device)
        self.users = torch.nonzero(self.truth.row_len > 0).flatten()
        if len(self.users) == 0:
            # an empty split would score {} and early stopping would fail on a missing metric
            raise ValueError("no user has ground-truth items: the split to evaluate is empty")

    @torch.no_grad()
    def evaluate(self, score_fn: Callable[[torch.Tensor], torch.Tensor]) -> Dict[str, float]:
        sums: Dict[str, float] = {}
        for start in range(0, len(self.users), self.chunk_size):
            users = self.users[start:start + self.chunk_size]
            scores = score_fn(users).to(self.device)
            if scores._base is not None or not scores.is_contiguous():
                scores = scores.clone()
            hits = _rank_and_hit(scores, users, self.truth, self.exclude, max(self.ks))
            for k, v in metrics_from_hits(hits, self.truth.row_len[users], self.ks, self.metrics).items():
                sums[k] = sums.get(k, 0.0) + float(v.sum())
        n = max(len(self.users), 1)
        return {k: v / n for k, v in sums.items()}
