"""View generators: invariants of each augmentation on small graphs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphcl.errors import ConfigError
from graphcl.graph.sparse import bipartite_norm_adj
from graphcl.nn.lightgcn import LightGCNEncoder
from graphcl.utils import generator
from graphcl.views.cross_layer import CrossLayer
from graphcl.views.graph_aug import EdgeDropout, NodeDropout, RandomWalk
from graphcl.views.noise import EmbeddingNoise, uniform15
from graphcl.views.svd import SVDView



def random_graph(num_users=30, num_items=20, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    mask = rng.random((num_users, num_items)) < density
    mask[np.arange(num_users), rng.integers(0, num_items, num_users)] = True  # no isolated user
    u, i = np.nonzero(mask)
    return torch.from_numpy(u), torch.from_numpy(i), num_users, num_items


def dense_norm_adj(users, items, num_users, num_items):
    """Reference D^-1/2 A D^-1/2 built densely with numpy."""
    n = num_users + num_items
    a = np.zeros((n, n))
    a[users.numpy(), items.numpy() + num_users] = 1
    a[items.numpy() + num_users, users.numpy()] = 1
    deg = a.sum(1)
    inv = np.where(deg > 0, 1 / np.sqrt(np.maximum(deg, 1e-12)), 0)
    return inv[:, None] * a * inv[None, :]


# -- embedding noise (SimGCL) -----------------------------------------------------------
def test_noise_has_norm_eps_and_the_sign_of_the_embedding():
    h = torch.randn(50, 16)
    h[3, 5] = 0.0
    delta = EmbeddingNoise(0.3).delta(h, generator(1))
    norms = delta.norm(dim=1)
    torch.testing.assert_close(norms[torch.arange(50) != 3], torch.full((49,), 0.3))
    nonzero = h != 0
    assert torch.equal(torch.sign(delta)[nonzero], torch.sign(h)[nonzero])
    assert delta[3, 5] == 0  # sign(0) = 0: no noise leaves the orthant
    assert (delta.abs()[nonzero] > 0).all()


def test_noise_eps_zero_reproduces_the_clean_encoder_exactly():
    users, items, nu, ni = random_graph()
    adj = bipartite_norm_adj(users, items, nu, ni)
    enc = LightGCNEncoder(nu, ni, 8, layers=3)
    clean = enc.propagate(adj)
    noisy = enc.propagate(adj, perturb=EmbeddingNoise(0.0).perturb(generator(0)))
    for c, n in zip(clean, noisy):
        assert torch.equal(c, n)
    views = EmbeddingNoise(0.0).views_from_clean(adj, clean, 2, generator(0))
    for view in views:
        for c, n in zip(clean, view):
            assert torch.equal(c, n)


def test_noise_views_from_clean_match_separate_noisy_propagation_values_and_gradients():
    users, items, nu, ni = random_graph()
    adj = bipartite_norm_adj(users, items, nu, ni)
    noise = EmbeddingNoise(0.2)
    weight = torch.randn(nu + ni, 8)
    target = torch.randn(nu + ni, 8)

    enc_a = LightGCNEncoder(nu, ni, 8, layers=3)
    enc_a.embedding.weight.data.copy_(weight)
    direct = enc_a.propagate(adj, perturb=noise.perturb(generator(7)))
    (torch.stack(direct).mean(0) * target).sum().backward()

    enc_b = LightGCNEncoder(nu, ni, 8, layers=3)
    enc_b.embedding.weight.data.copy_(weight)
    via_clean = noise.views_from_clean(adj, enc_b.propagate(adj), 1, generator(7))[0]
    (torch.stack(via_clean).mean(0) * target).sum().backward()

    for a, b in zip(direct, via_clean):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(enc_a.embedding.weight.grad, enc_b.embedding.weight.grad)


def test_two_noise_views_differ_and_stay_within_eps_per_layer_of_clean():
    users, items, nu, ni = random_graph()
    adj = bipartite_norm_adj(users, items, nu, ni)
    enc = LightGCNEncoder(nu, ni, 8, layers=1)
    clean = enc.propagate(adj)
    v1, v2 = EmbeddingNoise(0.1).views_from_clean(adj, clean, 2, generator(3))
    assert not torch.allclose(v1[1], v2[1])
    torch.testing.assert_close((v1[1] - clean[1]).norm(dim=1), torch.full((nu + ni,), 0.1))


# -- graph augmentations (SGL) -----------------------------------------------------------
def test_edge_dropout_keeps_the_requested_share_and_renormalises_degrees():
    users, items, nu, ni = random_graph(60, 40)
    aug = EdgeDropout(users, items, nu, ni, rho=0.25)
    keep = aug.keep_index(generator(5))
    assert len(keep) == round(0.75 * len(users))
    assert len(torch.unique(keep)) == len(keep)
    adj = aug.sample(generator(5))
    assert adj._nnz() == 2 * len(keep)
    expected = dense_norm_adj(users[keep], items[keep], nu, ni)
    np.testing.assert_allclose(adj.to_dense().numpy(), expected, rtol=1e-6, atol=1e-7)
    # renormalised: weights use the sub-graph's degrees, not the full graph's
    full = torch.from_numpy(dense_norm_adj(users, items, nu, ni)).float()
    dense = adj.to_dense()
    kept = dense > 0
    assert (dense[kept] > full[kept]).any()


def test_edge_dropout_rate_over_draws_and_seeded_reproducibility():
    users, items, nu, ni = random_graph(60, 40)
    aug = EdgeDropout(users, items, nu, ni, rho=0.1)
    a = aug.sample(generator(11)).to_dense()
    b = aug.sample(generator(11)).to_dense()
    c = aug.sample(generator(12)).to_dense()
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # each interaction survives with probability 0.9 across draws
    hits = torch.zeros(len(users))
    for s in range(40):
        hits[aug.keep_index(generator(s))] += 1
    assert abs(float(hits.mean()) / 40 - 0.9) < 0.01
    assert float((hits < 40).float().mean()) > 0.9  # P(an edge survives 40 draws) = 0.9^40 = 1.5%


def test_node_dropout_removes_all_edges_of_dropped_nodes():
    users, items, nu, ni = random_graph(50, 40, density=0.4)
    aug = NodeDropout(users, items, nu, ni, rho=0.2)
    dense = aug.sample(generator(2)).to_dense()
    deg = (dense > 0).sum(1)
    isolated_users = int((deg[:nu] == 0).sum())
    isolated_items = int((deg[nu:] == 0).sum())
    assert isolated_users >= round(0.2 * nu)
    assert isolated_items >= round(0.2 * ni)
    mask = aug.keep_mask(generator(2))
    expected = dense_norm_adj(users[mask], items[mask], nu, ni)
    np.testing.assert_allclose(dense.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_random_walk_gives_one_different_graph_per_layer():
    users, items, nu, ni = random_graph()
    adjs = RandomWalk(users, items, nu, ni, rho=0.2, layers=3).sample(generator(0))
    assert len(adjs) == 3
    dense = [a.to_dense() for a in adjs]
    assert not torch.equal(dense[0], dense[1]) and not torch.equal(dense[1], dense[2])
    enc = LightGCNEncoder(nu, ni, 4, layers=3)
    layers = enc.propagate(adjs)
    torch.testing.assert_close(layers[2], dense[1] @ (dense[0] @ enc.embedding.weight))


def test_dropout_ratio_is_validated():
    users, items, nu, ni = random_graph()
    with pytest.raises(ConfigError):
        EdgeDropout(users, items, nu, ni, rho=1.0)


# -- SVD view (LightGCL) -------------------------------------------------------------------
def test_svd_view_at_full_rank_reproduces_the_normalised_adjacency_product():
    users, items, nu, ni = random_graph(15, 9, density=0.4)
    view = SVDView(users, items, nu, ni, q=min(nu, ni), niter=4)
    x = torch.randn(nu + ni, 6)
    adj = bipartite_norm_adj(users, items, nu, ni)
    torch.testing.assert_close(view.propagate(x), adj @ x, atol=1e-5, rtol=1e-4)


def test_svd_view_low_rank_is_the_best_rank_q_approximation():
    users, items, nu, ni = random_graph(15, 9, density=0.4)
    # sigma_3 and sigma_4 of this graph are close (0.497 vs 0.435), so the power iteration needs
    # many steps: with niter=6 about 30% of random starts miss 3%, with 40 none of 300 did
    view = SVDView(users, items, nu, ni, q=3, niter=40)
    adj = torch.from_numpy(dense_norm_adj(users, items, nu, ni)).float()
    r = adj[:nu, nu:]
    s = torch.linalg.svdvals(r)
    approx = view.propagate(torch.cat([torch.zeros(nu, ni), torch.eye(ni)]))[:nu]  # U S V^T
    err = torch.linalg.matrix_norm(r - approx, ord=2)
    # Eckart-Young: no rank-3 matrix beats sigma_4; the converged randomised SVD comes within 3%
    assert s[3] - 1e-5 <= err <= 1.03 * s[3]


def test_svd_rank_larger_than_graph_is_rejected():
    users, items, nu, ni = random_graph(15, 9)
    with pytest.raises(ValueError, match="exceeds"):
        SVDView(users, items, nu, ni, q=10)


# -- cross-layer views (XSimGCL) -----------------------------------------------------------
def test_cross_layer_views_are_the_final_mean_and_layer_star_and_differ():
    users, items, nu, ni = random_graph()
    adj = bipartite_norm_adj(users, items, nu, ni)
    enc = LightGCNEncoder(nu, ni, 8, layers=3)
    layers = enc.propagate(adj, perturb=EmbeddingNoise(0.1).perturb(generator(0)))
    final, star = CrossLayer(layer_star=1).views(layers)
    torch.testing.assert_close(final, (layers[1] + layers[2] + layers[3]) / 3)
    assert torch.equal(star, layers[1])
    assert not torch.allclose(final, star)
    three = CrossLayer(layer_star=2).views(layers, num_views=3)
    assert torch.equal(three[1], layers[2]) and torch.equal(three[2], layers[3])
    with pytest.raises(ConfigError, match="layers >= 4"):
        CrossLayer(layer_star=2).views(layers, num_views=4)
    with pytest.raises(ConfigError):
        CrossLayer(layer_star=0)


def _deterministic_delta(self, h, gen, shape=None):
    # a function of the rows alone, so the full and the row-restricted computations must agree
    h = h.detach().expand(h.shape if shape is None else shape)
    return self.eps * torch.sign(h) * torch.nn.functional.normalize(h.abs() + 1.0, dim=-1)


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_noise_residual_rows_equal_the_full_views_at_those_rows(monkeypatch, layers):
    monkeypatch.setattr(EmbeddingNoise, "delta", _deterministic_delta)
    users, items, nu, ni = random_graph(40, 30, density=0.08)
    adj = bipartite_norm_adj(users, items, nu, ni)
    enc = LightGCNEncoder(nu, ni, 8, layers=layers)
    clean = enc.propagate(adj)
    noise = EmbeddingNoise(0.3)
    nodes = torch.tensor([3, 45, 0, 61, 17])
    full = noise.views_from_clean(adj, clean, 1, generator(0))[0]
    rows = noise.residual_rows(adj, clean, nodes, 2, generator(0))
    assert len(rows) == 2 and len(rows[0]) == layers
    for k in range(1, layers + 1):
        torch.testing.assert_close(clean[k][nodes] + rows[0][k - 1], full[k][nodes])


def test_noise_residual_rows_have_norm_eps_at_layer_one_and_differ_between_views():
    users, items, nu, ni = random_graph()
    adj = bipartite_norm_adj(users, items, nu, ni)
    clean = LightGCNEncoder(nu, ni, 8, layers=2).propagate(adj)
    nodes = torch.tensor([1, 2, 30, 40])
    a, b = EmbeddingNoise(0.1).residual_rows(adj, clean, nodes, 2, generator(1))
    torch.testing.assert_close(a[0].norm(dim=1), torch.full((4,), 0.1))
    assert torch.all(torch.sign(a[0]) == torch.sign(clean[1][nodes]))
    assert not torch.allclose(a[1], b[1])


def test_uniform15_is_uniform_on_the_open_unit_interval_and_reproducible():
    u = uniform15((4000, 64), generator(0))
    assert u.shape == (4000, 64) and u.dtype == torch.float32
    assert float(u.min()) > 0 and float(u.max()) < 1
    # each of the four 16-bit quarters of a draw: mean 1/2, variance 1/12
    quarters = u.reshape(-1, 4)
    torch.testing.assert_close(quarters.mean(0), torch.full((4,), 0.5), atol=0.003, rtol=0)
    torch.testing.assert_close(quarters.var(0) * 12, torch.ones(4), atol=0.01, rtol=0)
    torch.testing.assert_close(uniform15((3, 5), generator(1)), uniform15((3, 5), generator(1)))
    assert uniform15((7,), generator(2)).shape == (7,)  # sizes that are not a multiple of 4
