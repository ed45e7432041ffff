"""MEOW's meta-path graphs: PathSim top-k, its normalisation, the fixed masks; PCL's per-cluster temperatures."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from graphcl.losses.multi_positive import multi_positive_infonce
from graphcl.losses.prototype import cluster_concentration, prototype_loss
from graphcl.views.pathsim import mask_feature_entries, masked_graph, meow_normalize, pathsim_top_k

# counts with diagonal 4, 2, 2, 1: PathSim(0,1) = 2*2/6, (0,2) = 2*1/6, (0,3) = 2*1/5, (1,2) = 2*2/4
C = np.array([[4, 2, 1, 1],
              [2, 2, 2, 0],
              [1, 2, 2, 0],
              [1, 0, 0, 1]], dtype=float)


def test_pathsim_top_k_keeps_the_most_similar_columns_with_their_counts():
    top = pathsim_top_k(sp.csr_matrix(C), 2).toarray()
    # row 0: itself (1.0), then 1 (0.667) over 3 (0.4) and 2 (0.333); row 1: itself and 2 (1.0 tie -> lower column 1 first)
    assert np.array_equal(top, np.array([[4, 2, 0, 0],
                                         [0, 2, 2, 0],
                                         [0, 2, 2, 0],
                                         [1, 0, 0, 1]], dtype=float))
    assert np.array_equal(pathsim_top_k(sp.csr_matrix(C), 4).toarray(), C)


def test_meow_normalize_is_the_transposed_row_degree_normalisation():
    a = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0]], dtype=float)  # asymmetric, row sums 2, 2, 1
    d = np.diag(1 / np.sqrt(a.sum(1)))
    assert np.allclose(meow_normalize(sp.csr_matrix(a)).to_dense().numpy(), d @ a.T @ d)


def test_masked_graph_drops_the_asked_share_of_edges_and_adds_self_loops():
    a = sp.csr_matrix(np.ones((6, 6)) * 3)  # 30 off-diagonal edges with counts
    out = masked_graph(a, 0.4, np.random.default_rng(0)).toarray()
    assert np.array_equal(np.diag(out), np.ones(6)) and set(np.unique(out)) <= {0.0, 1.0}
    assert out.sum() - 6 == 30 - int(0.4 * 30)


def test_mask_feature_entries_zeroes_the_asked_share_of_non_zeros():
    dense = torch.arange(1.0, 21.0).reshape(4, 5)
    out = mask_feature_entries(dense, 0.25, torch.Generator().manual_seed(0))
    assert int((out == 0).sum()) == 5 and torch.equal(out[out != 0], dense[out != 0])
    sparse = dense.to_sparse()
    out_s = mask_feature_entries(sparse, 0.25, torch.Generator().manual_seed(0)).to_dense()
    assert int((out_s == 0).sum()) == 5


def test_cluster_concentration_matches_a_hand_computed_case():
    x = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assign = torch.tensor([0, 0, 1, 1, 2])
    cents = torch.tensor([[0.8, 0.4], [0.0, 1.0], [1.0, 0.0]])
    phi = cluster_concentration(x, cents, assign, mean_phi=0.5)
    # cluster 0: (sqrt(.8) + sqrt(.8)) / 2 / log 7; cluster 1: 1 / log 7; cluster 2 (one member): the max
    raw = torch.tensor([0.8 ** 0.5 / np.log(7), 1 / np.log(7), 1 / np.log(7)], dtype=torch.float32)
    raw = raw.clamp(torch.quantile(raw, 0.1), torch.quantile(raw, 0.9))
    assert torch.allclose(phi, 0.5 * raw / raw.mean()) and torch.isclose(phi.mean(), torch.tensor(0.5))


def test_prototype_loss_with_per_cluster_temperatures():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mu = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    a = torch.tensor([0, 1])
    phi = torch.tensor([0.5, 0.25])
    # row 0: logits (2, 0); row 1: logits (0, 4)
    expected = (-np.log(np.exp(2) / (np.exp(2) + 1)) - np.log(np.exp(4) / (1 + np.exp(4)))) / 2
    assert np.isclose(float(prototype_loss(z, [mu], [a], [phi])), expected)
    assert np.isclose(float(prototype_loss(z, [mu], [a], 0.5)), -np.log(np.exp(2) / (np.exp(2) + 1)))


def test_infonce_without_positives_in_the_denominator():
    s = torch.tensor([[1.0, 0.5, -0.2], [0.3, 0.8, 0.1], [0.0, 0.2, 0.9]])
    pos = torch.stack([torch.arange(3), torch.arange(3)])
    w = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 0.5], [2.0, 1.0, 0.0]])
    e = torch.exp(s)
    expected = (-torch.log(e.diag() / (w * e).sum(1))).mean()
    assert torch.isclose(multi_positive_infonce(s, pos, w, include_positives=False), expected)
    unweighted = (-torch.log(e.diag() / (e.sum(1) - e.diag()))).mean()
    assert torch.isclose(multi_positive_infonce(s, pos, None, include_positives=False), unweighted)
