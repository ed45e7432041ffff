"""Synthetic attributed planted-partition graphs (stochastic block model with Gaussian features).

Used by the clustering tests and the efficiency benchmark. Sampling is O(E), never O(N^2):
the number of within- and between-block edges is drawn for the requested average degrees
and the endpoints are drawn at random (duplicates collapse), so 10^5-10^6 nodes are cheap.
"""
from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data


def planted_partition(num_nodes: int, num_blocks: int, degree_in: float, degree_out: float, num_features: int,
                      feature_signal: float = 1.0, feature_noise: float = 1.0, seed: int = 0) -> Data:
    """An undirected SBM with equal blocks and class-dependent Gaussian features.

    Node i is in block ``i * num_blocks // num_nodes``. Each node has on average
    ``degree_in`` neighbours in its block and ``degree_out`` outside it. Features are
    ``x_i = feature_signal * mu_{y_i} + feature_noise * eps_i`` with ``mu_c, eps_i ~ N(0, I)``.
    Returns ``Data(x: N x F float32, y: N int64, edge_index: 2 x E both directions)``.
    """
    rng = np.random.default_rng(seed)
    y = (np.arange(num_nodes) * num_blocks) // num_nodes
    starts = np.searchsorted(y, np.arange(num_blocks))
    sizes = np.bincount(y, minlength=num_blocks)

    m_in = rng.poisson(num_nodes * degree_in / 2)
    src = rng.integers(0, num_nodes, m_in)
    dst = starts[y[src]] + (rng.random(m_in) * sizes[y[src]]).astype(np.int64)

    m_out = rng.poisson(num_nodes * degree_out / 2)
    src_o = rng.integers(0, num_nodes, m_out)
    # A uniformly random node of another block: shift by a random non-zero block offset.
    other = (y[src_o] + rng.integers(1, num_blocks, m_out)) % num_blocks if num_blocks > 1 else y[src_o]
    dst_o = starts[other] + (rng.random(m_out) * sizes[other]).astype(np.int64)

    u = np.concatenate([src, src_o])
    v = np.concatenate([dst, dst_o])
    keep = u != v
    rows = np.concatenate([u[keep], v[keep]])
    cols = np.concatenate([v[keep], u[keep]])
    key = np.unique(rows * num_nodes + cols)
    edge_index = np.stack([key // num_nodes, key % num_nodes])

    means = rng.standard_normal((num_blocks, num_features)) * feature_signal
    x = means[y] + feature_noise * rng.standard_normal((num_nodes, num_features))
    data = Data(x=torch.from_numpy(x.astype(np.float32)), y=torch.from_numpy(y.astype(np.int64)),
                edge_index=torch.from_numpy(edge_index))
    data.num_classes = num_blocks
    data.name = f"sbm{num_nodes}"
    return data


__all__ = ["planted_partition"]
