"""Readers for the recommendation file formats of SELFRec/SGL, LightGCN-PyTorch's LastFM and LightGCL.

* SELFRec / SGL pairs: one interaction per line, ``user item [rating]`` separated by
  whitespace (SELFRec) or ``user,item`` (SGL ``*.train`` / ``*.test``), no header.
* LastFM (LightGCN-PyTorch ``data1.txt`` / ``test1.txt``): tab-separated
  ``user artist weight`` with **1-based** ids; weights may be written as floats.
* LightGCL: a pickled ``scipy.sparse.coo_matrix`` (users x items) per split, read with the
  restricted unpickler of :mod:`graphcl.data.safe_pickle` and binarised (``m != 0``).

Every reader validates the whole file at once (vectorised) and raises
:class:`graphcl.errors.DataError` naming the file, the first bad line and what was expected.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graphcl.data.safe_pickle import load_pickle
from graphcl.errors import DataError

PathLike = Union[str, os.PathLike]
Pairs = Tuple[np.ndarray, np.ndarray]
_INT = r"[+-]?\d+"
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"


def _read_columns(path: PathLike, sep: str, min_cols: int, max_cols: int, what: str) -> pd.DataFrame:
    """Raw string tokens, one row per line (blank lines dropped, ``line`` column 1-based)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found" if not path.exists() else "not a file")
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = pd.Series(fh.read().splitlines(), dtype=object)
    keep = lines.str.strip() != ""
    if not keep.any():
        raise DataError(path, f"file is empty (expected {what})")
    body = lines[keep].str.strip()
    table = body.str.split(r"\s+" if sep == "whitespace" else rf"\s*{sep}\s*", regex=True, expand=True)
    width = table.notna().sum(axis=1).to_numpy()
    bad = np.flatnonzero((width < min_cols) | (width > max_cols))
    if len(bad):
        n = int(width[bad[0]])
        want = str(min_cols) if min_cols == max_cols else f"{min_cols} or {max_cols}"
        raise DataError(path, f"expected {want} fields ({what}), found {n}", line=int(body.index[bad[0]]) + 1)
    table.columns = range(table.shape[1])
    table["line"] = body.index.to_numpy() + 1
    return table


def _int_column(path: PathLike, table: pd.DataFrame, col: int, label: str) -> np.ndarray:
    tokens = table[col]
    ok = tokens.str.fullmatch(_INT).to_numpy(dtype=bool)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        token = str(tokens.iloc[row])
        hint = " (this format has no header line)" if row == 0 and any(c.isalpha() for c in token) else ""
        raise DataError(path, f"expected an integer {label} id, found {tokens.iloc[row]!r}{hint}",
                        line=int(table["line"].iloc[row]))
    return tokens.to_numpy().astype(np.int64)


def _check_range(path: PathLike, table: pd.DataFrame, ids: np.ndarray, label: str, low: int,
                 high: Optional[int]) -> None:
    bad = ids < low if high is None else (ids < low) | (ids >= high)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        span = f">= {low}" if high is None else f"in [{low}, {high})"
        raise DataError(path, f"{label} id {int(ids[row])} out of range (expected {span})",
                        line=int(table["line"].iloc[row]))


def read_pairs(path: PathLike, sep: str = "whitespace", num_users: Optional[int] = None,
               num_items: Optional[int] = None) -> Pairs:
    """Read SELFRec ``user item [rating]`` / SGL ``user,item`` pairs as raw int64 id arrays.

    ``sep`` is ``"whitespace"`` or a single character such as ``","``. A rating column, if
    present, must be numeric and is dropped (the models use implicit feedback). Ids must be
    non-negative integers, and below ``num_users`` / ``num_items`` when those are given.
    """
    table = _read_columns(path, sep, 2, 3, "user item [rating]")
    users = _int_column(path, table, 0, "user")
    items = _int_column(path, table, 1, "item")
    if 2 in table.columns and table[2].notna().any():
        rating = table[2]
        ok = rating.isna() | rating.str.fullmatch(_NUMBER).fillna(False).astype(bool)
        if not ok.all():
            row = int(np.flatnonzero(~ok.to_numpy())[0])
            raise DataError(path, f"expected a numeric rating, found {rating.iloc[row]!r}", line=int(table["line"].iloc[row]))
    _check_range(path, table, users, "user", 0, num_users)
    _check_range(path, table, items, "item", 0, num_items)
    return users, items


def read_lastfm(path: PathLike, num_users: Optional[int] = None, num_items: Optional[int] = None) -> Pairs:
    """Read LightGCN-PyTorch LastFM ``user<TAB>artist<TAB>weight`` (1-based) as 0-based id arrays.

    ``num_users`` / ``num_items`` bound the 1-based ids (``1..num_users``).
    """
    table = _read_columns(path, "\t", 3, 3, "user<TAB>artist<TAB>weight")
    users = _int_column(path, table, 0, "user")
    items = _int_column(path, table, 1, "artist")
    weight = table[2]
    ok = weight.str.fullmatch(_NUMBER).to_numpy(dtype=bool)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise DataError(path, f"expected a numeric weight, found {weight.iloc[row]!r}", line=int(table["line"].iloc[row]))
    _check_range(path, table, users, "user", 1, None if num_users is None else num_users + 1)
    _check_range(path, table, items, "artist", 1, None if num_items is None else num_items + 1)
    return users - 1, items - 1


def read_lightgcl_matrix(path: PathLike) -> sp.csr_matrix:
    """Read a LightGCL ``trnMat.pkl`` / ``tstMat.pkl``: a pickled sparse users x items matrix.

    Returns a binary float32 CSR (``m != 0``, as LightGCL does). The pickle is opened with the
    restricted unpickler; a pickle that holds anything but a 2-D scipy sparse matrix raises
    :class:`DataError`.
    """
    obj = load_pickle(path)
    if not sp.issparse(obj) or obj.ndim != 2:
        raise DataError(path, f"expected a pickled scipy sparse users x items matrix, found {type(obj).__name__}")
    mat = sp.csr_matrix(obj)
    mat.eliminate_zeros()
    mat.sum_duplicates()
    mat.sort_indices()
    return sp.csr_matrix((np.ones(mat.nnz, np.float32), mat.indices, mat.indptr), shape=mat.shape)


def remap_ids(train: Pairs, *others: Optional[Pairs]) -> Tuple[Tuple[Optional[Pairs], ...], int, int]:
    """Remap raw ids to 0..n-1 in order of first appearance in ``train`` (SELFRec's rule).

    Interactions in ``others`` whose user or item never occurs in ``train`` are dropped,
    as SELFRec does when it builds its test set. Returns ``((train, *others), n_users, n_items)``.
    """
    user_codes, user_keys = pd.factorize(train[0])
    item_codes, item_keys = pd.factorize(train[1])
    user_keys, item_keys = pd.Index(user_keys), pd.Index(item_keys)
    out = [(user_codes.astype(np.int64), item_codes.astype(np.int64))]
    for part in others:
        if part is None:
            out.append(None)
            continue
        u = user_keys.get_indexer(part[0])
        i = item_keys.get_indexer(part[1])
        keep = (u >= 0) & (i >= 0)
        out.append((u[keep].astype(np.int64), i[keep].astype(np.int64)))
    return tuple(out), len(user_keys), len(item_keys)


__all__ = ["read_pairs", "read_lastfm", "read_lightgcl_matrix", "remap_ids"]
