"""User-item interaction datasets for recommendation.

:class:`InteractionData` holds binary user x item CSR matrices for the train, valid and test
splits. Constructors read LightGCN text, RecBole atomic ``.inter`` files and pandas frames.

Splits (all per user, vectorised, seeded):

* Given train/test files are kept as they are (LightGCN/SGL/SimGCL protocol).
* :meth:`InteractionData.with_valid_split` moves a fraction of each user's *training*
  items to a validation split, so model selection never looks at test.
* :func:`ratio_split` is RecBole's ``RS`` split (default 8:1:1) for single-file datasets:
  each user's interactions are ordered (random ``RO`` or by timestamp ``TO``) and cut with
  RecBole's count rule: ``n_k = int(r_k * n)`` for the later splits, the rest to train,
  then a split whose share ``r_k * n`` lies in (0, 1) gets one interaction while train
  keeps more than one.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graphcl.errors import DataError
from graphcl.data.readers import read_atomic_inter, read_lightgcn

PathLike = Union[str, os.PathLike]
Pairs = Tuple[np.ndarray, np.ndarray]


def _csr(users: np.ndarray, items: np.ndarray, shape: Tuple[int, int]) -> sp.csr_matrix:
    """Binary float32 CSR with sorted indices and duplicates collapsed."""
    mat = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=shape)
    mat.sum_duplicates()
    mat.data[:] = 1.0
    mat.sort_indices()
    return mat


def ratio_split_counts(totals: np.ndarray, ratios: Sequence[float]) -> np.ndarray:
    """Per-user counts for each split, following RecBole's ``_calcu_split_ids`` rule.

    ``totals``: (U,) interactions per user. Returns (U, len(ratios)) int counts that sum to
    ``totals`` row-wise.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    ratios = ratios / ratios.sum()
    tot = totals.astype(np.int64)
    cnt = np.floor(ratios[None, :] * tot[:, None] + 1e-12).astype(np.int64)
    cnt[:, 0] = tot - cnt[:, 1:].sum(axis=1)
    for i in range(1, len(ratios)):  # loop over splits (2-3), not users
        share = ratios[-i] * tot
        bump = (cnt[:, 0] > 1) & (share > 0) & (share < 1)
        cnt[bump, -i] += 1
        cnt[bump, 0] -= 1
    return cnt


def _order_within_users(users: np.ndarray, rng: np.random.Generator, key: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Permutation grouping interactions by user (random or by ``key`` inside a user) and ranks."""
    if key is None:
        shuffled = rng.permutation(len(users))
        order = shuffled[np.argsort(users[shuffled], kind="stable")]
    else:
        order = np.lexsort((key, users))
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_users)) + 1]
    counts = np.diff(np.r_[starts, len(sorted_users)])
    rank = np.arange(len(sorted_users)) - np.repeat(starts, counts)
    return order, rank


def ratio_split(users: np.ndarray, items: np.ndarray, ratios: Sequence[float] = (0.8, 0.1, 0.1),
                seed: int = 2020, timestamps: Optional[np.ndarray] = None) -> Tuple[Pairs, ...]:
    """Split interactions per user by ``ratios`` (RecBole RS); returns one (users, items) per split."""
    rng = np.random.default_rng(seed)
    order, rank = _order_within_users(users, rng, timestamps)
    u_sorted = users[order]
    totals = np.bincount(u_sorted)
    counts = ratio_split_counts(totals, ratios)
    bounds = np.cumsum(counts, axis=1)[u_sorted]
    which = (rank[:, None] >= bounds).sum(axis=1)
    return tuple((u_sorted[which == k], items[order][which == k]) for k in range(len(ratios)))


@dataclass
class InteractionData:
    """Binary implicit feedback split into train / valid / test CSR matrices (users x items)."""

    num_users: int
    num_items: int
    train: sp.csr_matrix
    valid: Optional[sp.csr_matrix] = None
    test: Optional[sp.csr_matrix] = None
    name: str = "custom"
    source: str = field(default="", compare=False)  # file or folder it was read from, for messages

    def __post_init__(self) -> None:
        shape = (self.num_users, self.num_items)
        for split in ("train", "valid", "test"):
            mat = getattr(self, split)
            if mat is not None and mat.shape != shape:
                raise DataError(self.source or None, f"{split} matrix has shape {mat.shape}, expected {shape}")
        if self.train.nnz == 0:
            raise DataError(self.source or None, "the training split has no interactions")

    # -- constructors ---------------------------------------------------------------
    @classmethod
    def from_pairs(cls, train: Pairs, test: Optional[Pairs] = None, valid: Optional[Pairs] = None,
                   num_users: Optional[int] = None, num_items: Optional[int] = None,
                   name: str = "custom", source: str = "") -> "InteractionData":
        """Build from (users, items) id arrays per split (0-based contiguous ids)."""
        parts = [p for p in (train, valid, test) if p is not None]
        for u, i in parts:
            if len(u) != len(i):
                raise DataError(source or None, "users and items arrays differ in length")
            if len(u) and (u.min() < 0 or i.min() < 0):
                raise DataError(source or None, "negative user or item id")
        n_u = max((int(u.max()) + 1 for u, _ in parts if len(u)), default=0)
        n_i = max((int(i.max()) + 1 for _, i in parts if len(i)), default=0)
        if num_users is not None:
            if n_u > num_users:
                raise DataError(source or None, f"user id {n_u - 1} out of range (num_users={num_users})")
            n_u = num_users
        if num_items is not None:
            if n_i > num_items:
                raise DataError(source or None, f"item id {n_i - 1} out of range (num_items={num_items})")
            n_i = num_items
        shape = (n_u, n_i)
        mk = lambda p: None if p is None else _csr(np.asarray(p[0], np.int64), np.asarray(p[1], np.int64), shape)
        return cls(n_u, n_i, mk(train), mk(valid), mk(test), name=name, source=source)

    @classmethod
    def from_lightgcn(cls, train_path: PathLike, test_path: Optional[PathLike] = None,
                      name: str = "custom") -> "InteractionData":
        """Read LightGCN text files (``user item item ...``); the test file is optional."""
        train = read_lightgcn(train_path)
        test = read_lightgcn(test_path) if test_path is not None else None
        data = cls.from_pairs(train, test=test, name=name, source=str(train_path))
        data.check_test_users_have_train(test_path)
        return data

    @classmethod
    def from_pandas(cls, df: pd.DataFrame, user_col: str = "user_id", item_col: str = "item_id",
                    split: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 2020,
                    time_col: Optional[str] = None, name: str = "custom", source: str = "") -> "InteractionData":
        """Build from a frame of interactions with any hashable ids, split per user by ``split``.

        Ids are remapped to 0..n-1 in order of first appearance. ``split`` has 2 (train,
        test) or 3 (train, valid, test) ratios; with ``time_col`` the split is by time
        (RecBole ``TO``), else random (``RO``).
        """
        for col in (user_col, item_col) + ((time_col,) if time_col else ()):
            if col not in df.columns:
                raise DataError(source or None, f"column {col!r} not found (columns: {', '.join(map(str, df.columns))})")
        if len(df) == 0:
            raise DataError(source or None, "no interactions")
        users, _ = pd.factorize(df[user_col])
        items, _ = pd.factorize(df[item_col])
        ts = None if time_col is None else pd.to_numeric(df[time_col]).to_numpy()
        if len(split) not in (2, 3):
            raise DataError(source or None, f"split needs 2 or 3 ratios, got {list(split)}")
        parts = ratio_split(users.astype(np.int64), items.astype(np.int64), split, seed, ts)
        n_u, n_i = int(users.max()) + 1, int(items.max()) + 1
        if len(parts) == 3:
            return cls.from_pairs(parts[0], valid=parts[1], test=parts[2], num_users=n_u, num_items=n_i, name=name, source=source)
        return cls.from_pairs(parts[0], test=parts[1], num_users=n_u, num_items=n_i, name=name, source=source)

    @classmethod
    def from_recbole_inter(cls, path: PathLike, split: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 2020,
                           order: str = "RO", name: Optional[str] = None) -> "InteractionData":
        """Read a RecBole ``.inter`` file and split it per user (``RO`` random, ``TO`` by timestamp)."""
        df = read_atomic_inter(path)
        if order not in ("RO", "TO"):
            raise DataError(path, f"order must be 'RO' or 'TO', got {order!r}")
        time_col = "timestamp" if order == "TO" else None
        if order == "TO" and "timestamp" not in df.columns:
            raise DataError(path, "order 'TO' needs a timestamp column")
        return cls.from_pandas(df, "user_id", "item_id", split=split, seed=seed, time_col=time_col,
                               name=name or Path(path).stem, source=str(path))

    # -- derived views -----------------------------------------------------------------
    def with_valid_split(self, ratio: float = 0.1, seed: int = 2020) -> "InteractionData":
        """Move ``ratio`` of each user's training items to a new validation split."""
        if not 0 < ratio < 1:
            raise DataError(self.source or None, f"valid_ratio must be in (0, 1), got {ratio}")
        coo = self.train.tocoo()
        tr, va = ratio_split(coo.row.astype(np.int64), coo.col.astype(np.int64), (1 - ratio, ratio), seed)
        shape = (self.num_users, self.num_items)
        return replace(self, train=_csr(*tr, shape), valid=_csr(*va, shape))

    def check_test_users_have_train(self, where: Optional[PathLike] = None) -> None:
        """Users with held-out interactions but no training interactions cannot be ranked."""
        train_deg = np.diff(self.train.indptr)
        for split in ("valid", "test"):
            mat = getattr(self, split)
            if mat is None:
                continue
            bad = np.flatnonzero((np.diff(mat.indptr) > 0) & (train_deg == 0))
            if len(bad):
                raise DataError(where or self.source or None,
                                f"{len(bad)} users have {split} interactions but no training interactions (first: user {bad[0]})")

    def drop_cold_users(self) -> "InteractionData":
        """Remove valid/test interactions of users who have no training interactions."""
        warm = sp.diags((np.diff(self.train.indptr) > 0).astype(np.float32))
        kept = {}
        for split in ("valid", "test"):
            mat = getattr(self, split)
            if mat is not None:
                mat = sp.csr_matrix(warm @ mat)
                mat.eliminate_zeros()
                kept[split] = mat
        return replace(self, **kept)

    def stats(self) -> Dict[str, int]:
        """Counts per split, as in MANIFEST.md / dataset cards."""
        out = {"users": self.num_users, "items": self.num_items, "train": int(self.train.nnz)}
        for split in ("valid", "test"):
            mat = getattr(self, split)
            if mat is not None:
                out[split] = int(mat.nnz)
        out["interactions"] = sum(v for k, v in out.items() if k in ("train", "valid", "test"))
        out["density"] = out["interactions"] / max(self.num_users * self.num_items, 1)
        return out

    def item_popularity(self) -> np.ndarray:
        """Training interactions per item."""
        return np.bincount(self.train.indices, minlength=self.num_items)

    # -- binary cache ------------------------------------------------------------------
    def save_npz(self, path: PathLike) -> None:
        """Save all splits to one ``.npz`` (CSR arrays), for fast reloading."""
        arrays = {"shape": np.array([self.num_users, self.num_items], dtype=np.int64),
                  "name": np.array(self.name)}
        for split in ("train", "valid", "test"):
            mat = getattr(self, split)
            if mat is not None:
                arrays[f"{split}_indptr"] = mat.indptr
                arrays[f"{split}_indices"] = mat.indices
        path = Path(path)
        # a unique temporary name: concurrent processes may cache the same dataset at once
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp.npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load_npz(cls, path: PathLike) -> "InteractionData":
        """Load a file written by :meth:`save_npz`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                n_u, n_i = (int(v) for v in z["shape"])
                mats = {}
                for split in ("train", "valid", "test"):
                    if f"{split}_indptr" in z:
                        ind = z[f"{split}_indices"]
                        mats[split] = sp.csr_matrix((np.ones(len(ind), np.float32), ind, z[f"{split}_indptr"]), shape=(n_u, n_i))
                name = str(z["name"])
        except (KeyError, ValueError, OSError) as exc:
            raise DataError(path, f"not a graphcl interaction cache ({exc})") from None
        return cls(n_u, n_i, mats["train"], mats.get("valid"), mats.get("test"), name=name, source=str(path))
