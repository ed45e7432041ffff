"""The SDCN clustering benchmark (acm, dblp, cite, usps, hhar, reut) used by SDCN and PamC.

Layout under ``root/sdcn/``: ``data/<name>_label.txt`` (one integer label per line, node id
= line number), ``graph/<name>_graph.txt`` (``src dst`` per line, 0-based; usps/hhar/reut
have kNN graphs ``<name><k>_graph.txt``) and ``agcn_mat/{acm,DBLP,cite}.mat`` whose ``fea``
matrix holds the binary node features. usps, hhar and reut have no feature file in this
copy, so asking for them raises :class:`DataError` saying so.
"""
from __future__ import annotations

from pathlib import Path
import numpy as np
import scipy.io
import torch
from torch_geometric.data import Data

from graphcl.data.readers import read_int_columns
from graphcl.errors import DataError

NAMES = ("acm", "dblp", "cite", "usps", "hhar", "reut")
_MAT_FILES = {"acm": "acm.mat", "dblp": "DBLP.mat", "cite": "cite.mat"}


def load_sdcn(root: Path, name: str) -> Data:
    """Load SDCN benchmark dataset ``name`` from ``root/sdcn`` (or ``root`` itself).

    Returns ``Data(x: N x F float32, y: N int64 in [0, C), edge_index: 2 x E)`` with
    ``edge_index`` holding both directions of every edge, deduplicated, self-loops removed.
    """
    name = name.lower()
    if name not in NAMES:
        raise DataError(None, f"unknown SDCN dataset {name!r} (choose from {', '.join(NAMES)})")
    root = Path(root)
    folder = root / "sdcn" if (root / "sdcn").is_dir() else root
    if name not in _MAT_FILES:
        raise DataError(
            folder / "data" / f"{name}.txt",
            f"the features of {name} are not available in this copy of the SDCN data "
            "(only labels and kNN graphs are); use acm, dblp or cite",
        )
    labels = read_int_columns(folder / "data" / f"{name}_label.txt", 1)[:, 0]
    classes, y = np.unique(labels, return_inverse=True)
    num_nodes = len(y)

    graph_path = folder / "graph" / f"{name}_graph.txt"
    edges, lines = read_int_columns(graph_path, 2, line_numbers=True)
    bad = np.flatnonzero((edges < 0).any(1) | (edges >= num_nodes).any(1))
    if len(bad):
        raise DataError(graph_path, f"node id outside [0, {num_nodes}) (the label file has {num_nodes} nodes)",
                        line=int(lines[bad[0]]))
    src, dst = edges[:, 0], edges[:, 1]
    keep = src != dst
    rows = np.concatenate([src[keep], dst[keep]])
    cols = np.concatenate([dst[keep], src[keep]])
    key = np.unique(rows * num_nodes + cols)
    edge_index = torch.from_numpy(np.stack([key // num_nodes, key % num_nodes]))

    mat_path = folder / "agcn_mat" / _MAT_FILES[name]
    if not mat_path.is_file():
        raise DataError(mat_path, "feature file not found")
    try:
        mat = scipy.io.loadmat(mat_path)
    except (ValueError, OSError, TypeError) as exc:
        raise DataError(mat_path, f"not a readable MATLAB file ({exc})") from None
    if "fea" not in mat:
        raise DataError(mat_path, "no 'fea' feature matrix in the file")
    features = np.asarray(mat["fea"], dtype=np.float32)
    if features.shape[0] != num_nodes:
        raise DataError(mat_path, f"'fea' has {features.shape[0]} rows but the label file has {num_nodes} nodes")
    data = Data(x=torch.from_numpy(features), y=torch.from_numpy(y.astype(np.int64)), edge_index=edge_index)
    data.num_classes = int(len(classes))
    data.name = name
    return data


__all__ = ["load_sdcn", "NAMES"]
