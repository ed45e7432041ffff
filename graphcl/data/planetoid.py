"""Planetoid citation graphs (Cora, Citeseer, PubMed) from the raw ``ind.<name>.*`` files.

The files are pickles written by Yang et al. (2016): ``x``/``tx``/``allx`` are scipy CSR
feature matrices, ``y``/``ty``/``ally`` one-hot label arrays, ``graph`` a dict from node to
its neighbour list and ``test.index`` a text file of test node ids. Nodes are ordered as
``allx`` rows followed by the test rows placed at their ``test.index`` ids (the Kipf/PyG
convention). Citeseer has 15 test ids without rows in ``tx``/``ty``; as in the reference
loader they get zero features and an all-zero one-hot label, whose argmax is class 0.

The pickles are read with :func:`graphcl.data.safe_pickle.load_pickle`, which only rebuilds numpy arrays, scipy
CSR matrices and plain containers, so a tampered file cannot run code.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphcl.data.readers import read_int_columns
from graphcl.data.safe_pickle import load_pickle
from graphcl.errors import DataError

NAMES = ("cora", "citeseer", "pubmed")

def load_planetoid(root: Path, name: str) -> Data:
    """Load Planetoid ``name`` from ``root/planetoid/ind.<name>.*`` (or ``root`` itself).

    Returns a :class:`torch_geometric.data.Data` with ``x`` (N x F float32, dense),
    ``y`` (N, int64), ``edge_index`` (2 x E, both directions, deduplicated; self-loops kept
    as in the file) and the public-split boolean masks ``train_mask`` / ``val_mask`` /
    ``test_mask``. ``num_classes`` is set as an attribute.
    """
    name = name.lower()
    if name not in NAMES:
        raise DataError(None, f"unknown Planetoid dataset {name!r} (choose from {', '.join(NAMES)})")
    root = Path(root)
    folder = root / "planetoid" if (root / "planetoid").is_dir() else root
    parts: Dict[str, Any] = {}
    for part in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        path = folder / f"ind.{name}.{part}"
        if not path.is_file():
            problem = "file not found"
            if part == "allx" and name == "pubmed":
                problem = ("file not found: the PubMed copy is incomplete (ind.pubmed.allx is missing), "
                           "so the features of most nodes are unknown")
            raise DataError(path, problem)
        parts[part] = load_pickle(path)
    index_path = folder / f"ind.{name}.test.index"
    if not index_path.is_file():
        raise DataError(index_path, "file not found")
    test_index = read_int_columns(index_path, 1, "one integer node id")[:, 0]

    allx, tx = sp.csr_matrix(parts["allx"]), sp.csr_matrix(parts["tx"])
    ally, ty = np.asarray(parts["ally"]), np.asarray(parts["ty"])
    if tx.shape[0] != len(test_index) or ty.shape[0] != len(test_index):
        raise DataError(index_path, f"{len(test_index)} test ids but tx has {tx.shape[0]} rows and ty {ty.shape[0]}")
    sorted_test = np.sort(test_index)
    if name == "citeseer":
        # Some test ids have no tx/ty rows; give the whole id range rows (zeros where absent).
        full = np.arange(sorted_test.min(), sorted_test.max() + 1)
        tx_ext = sp.lil_matrix((len(full), tx.shape[1]), dtype=tx.dtype)
        tx_ext[sorted_test - sorted_test.min(), :] = tx
        tx = tx_ext.tocsr()
        ty_ext = np.zeros((len(full), ty.shape[1]), dtype=ty.dtype)
        ty_ext[sorted_test - sorted_test.min(), :] = ty
        ty = ty_ext
    features = sp.vstack([allx, tx]).tolil()
    labels = np.vstack([ally, ty])
    # tx rows are in test.index order; move each to its node id.
    features[test_index, :] = features[sorted_test, :]
    labels[test_index, :] = labels[sorted_test, :]

    graph = parts["graph"]
    if not isinstance(graph, dict):
        raise DataError(folder / f"ind.{name}.graph", f"expected a dict of neighbour lists, got {type(graph).__name__}")
    num_nodes = max(features.shape[0], len(graph))
    src = np.fromiter((u for u, nbrs in graph.items() for _ in nbrs), dtype=np.int64)
    dst = np.fromiter((v for nbrs in graph.values() for v in nbrs), dtype=np.int64)
    edge_index = _undirected_unique(src, dst, num_nodes)

    n_train = parts["y"].shape[0]
    train_mask = torch.zeros(num_nodes, dtype=torch.bool)
    train_mask[:n_train] = True
    val_mask = torch.zeros(num_nodes, dtype=torch.bool)
    val_mask[n_train:n_train + 500] = True
    test_mask = torch.zeros(num_nodes, dtype=torch.bool)
    test_mask[torch.from_numpy(test_index)] = True
    data = Data(
        x=torch.from_numpy(np.asarray(features.todense(), dtype=np.float32)),
        y=torch.from_numpy(labels.argmax(1).astype(np.int64)),
        edge_index=edge_index,
        train_mask=train_mask,
        val_mask=val_mask,
        test_mask=test_mask,
    )
    data.num_classes = int(labels.shape[1])
    data.name = name
    return data


def _undirected_unique(src: np.ndarray, dst: np.ndarray, num_nodes: int) -> torch.Tensor:
    """Both directions of every (src, dst) pair, deduplicated, sorted by (row, col)."""
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    key = np.unique(rows * num_nodes + cols)
    return torch.from_numpy(np.stack([key // num_nodes, key % num_nodes]).astype(np.int64))


__all__ = ["load_planetoid", "NAMES"]
