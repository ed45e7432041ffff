"""A user's own attributed graph: an edge-list file, a feature matrix and optional labels.

* edges: text, one ``src dst`` pair of 0-based node ids per line (whitespace or comma
  separated; blank lines and lines starting with ``#`` are skipped). Edges are treated as
  undirected; self-loops are dropped.
* features: ``.npy`` holding a 2-D numeric array, or ``.npz`` holding either a scipy sparse
  matrix (``scipy.sparse.save_npz``) or exactly one 2-D array. Row i is node i.
* labels (optional): text with one integer per line (line i = node i) or a 1-D ``.npy``.

Every problem raises :class:`graphcl.errors.DataError` naming the file (and line).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Optional, Union

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphcl.data.readers import read_int_columns
from graphcl.errors import DataError

PathLike = Union[str, Path]


def read_features(path: PathLike) -> np.ndarray:
    """N x F float32 feature matrix from ``.npy`` or ``.npz``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "feature file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                keys = set(archive.files)
                if {"format", "shape", "data"} <= keys:
                    arr = sp.load_npz(path).toarray()
                elif len(keys) == 1:
                    arr = archive[next(iter(keys))]
                else:
                    raise DataError(path, f"expected a scipy sparse matrix or a single array, found arrays {sorted(keys)}")
        else:
            raise DataError(path, f"unsupported feature format {suffix!r} (use .npy or .npz)")
    except DataError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as exc:
        raise DataError(path, f"cannot read the feature matrix ({exc})") from None
    if arr.ndim != 2:
        raise DataError(path, f"expected a 2-D feature matrix, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DataError(path, f"expected numeric features, got dtype {arr.dtype}")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr).all(1))[0])
        raise DataError(path, f"non-finite feature value in row {row}")
    return arr


def _int_tokens(line: str):
    return line.replace(",", " ").split()


def read_edges(path: PathLike, num_nodes: int) -> np.ndarray:
    """2 x E int64 array of the ``src dst`` lines of ``path`` (ids checked against ``num_nodes``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "edge-list file not found")
    src, dst = [], []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            tokens = _int_tokens(text)
            if len(tokens) != 2:
                raise DataError(path, f"expected 'src dst', got {len(tokens)} field(s): {text!r}", line=lineno)
            try:
                u, v = int(tokens[0]), int(tokens[1])
            except ValueError:
                raise DataError(path, f"node ids must be integers, got {text!r}", line=lineno) from None
            for node in (u, v):
                if not 0 <= node < num_nodes:
                    raise DataError(path, f"node id {node} outside [0, {num_nodes}) (the feature matrix has {num_nodes} rows)",
                                    line=lineno)
            src.append(u)
            dst.append(v)
    if not src:
        raise DataError(path, "no edges in the file")
    return np.asarray([src, dst], dtype=np.int64)


def read_labels(path: PathLike, num_nodes: int) -> np.ndarray:
    """Integer label per node (``num_nodes`` of them), remapped to 0..C-1 in sorted order."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "label file not found")
    if path.suffix.lower() == ".npy":
        try:
            raw = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DataError(path, f"cannot read the labels ({exc})") from None
        if raw.ndim != 1 or not np.issubdtype(raw.dtype, np.integer):
            raise DataError(path, f"expected a 1-D integer array, got shape {raw.shape} dtype {raw.dtype}")
    else:
        raw = read_int_columns(path, 1, "one integer label")[:, 0]
    if raw.shape[0] != num_nodes:
        raise DataError(path, f"{raw.shape[0]} labels for {num_nodes} nodes (one label per feature row is required)")
    return np.unique(raw, return_inverse=True)[1].astype(np.int64)


def load_node_files(edges: PathLike, features: PathLike, labels: Optional[PathLike] = None) -> Data:
    """``Data(x, edge_index[, y])`` from user files; ``edge_index`` has both directions, deduplicated."""
    x = read_features(features)
    n = x.shape[0]
    ei = read_edges(edges, n)
    keep = ei[0] != ei[1]
    rows = np.concatenate([ei[0, keep], ei[1, keep]])
    cols = np.concatenate([ei[1, keep], ei[0, keep]])
    key = np.unique(rows * n + cols)
    data = Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(np.stack([key // n, key % n])))
    if labels is not None:
        y = read_labels(labels, n)
        data.y = torch.from_numpy(y)
        data.num_classes = int(y.max()) + 1
    data.name = Path(edges).stem
    return data


__all__ = ["load_node_files", "read_features", "read_edges", "read_labels"]
