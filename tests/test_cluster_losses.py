"""PamC / SCGC / DEC loss terms against direct (dense, loop) computations."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from graphcl.losses.dec import kl_clustering_loss, soft_assignment, target_distribution
from graphcl.losses.grace import grace_view_loss
from graphcl.losses.pamc import (all_pairs_negative_term, meta_node_negative_term, positive_log_mass,
                                 positive_pairs, positive_term)
from graphcl.views.meta_node import meta_nodes


def _cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_meta_node_negative_equals_direct_computation():
    z = torch.tensor([[1.0, 0.0], [2.0, 1.0], [0.0, 1.0], [-1.0, 1.0], [0.5, -1.0]])
    assign = torch.tensor([0, 0, 1, 1, 3])  # cluster 2 is empty
    m, counts = meta_nodes(z, assign, 4)
    assert m.tolist() == [[3.0, 1.0], [-1.0, 2.0], [0.0, 0.0], [0.5, -1.0]]
    assert counts.tolist() == [2, 2, 0, 1]
    tau = 0.7
    metas = [np.array([3.0, 1.0]), np.array([-1.0, 2.0]), np.array([0.5, -1.0])]
    expected = np.mean([
        math.log(sum(math.exp(tau * _cos(metas[c], metas[o])) for o in range(3) if o != c)) for c in range(3)
    ])
    got = meta_node_negative_term(z, assign, 4, tau)
    assert float(got) == pytest.approx(expected, rel=1e-6)


def test_meta_node_negative_single_cluster_is_zero():
    z = torch.randn(4, 3)
    assert float(meta_node_negative_term(z, torch.zeros(4, dtype=torch.long), 3, 1.0)) == 0.0


def test_all_pairs_negative_equals_loop():
    torch.manual_seed(0)
    z = torch.randn(6, 3, dtype=torch.float64)
    tau = 0.5
    zz = z.numpy()
    expected = np.mean([
        math.log(sum(math.exp(tau * _cos(zz[i], zz[k])) for k in range(6) if k != i)) for i in range(6)
    ])
    assert float(all_pairs_negative_term(z, tau)) == pytest.approx(expected, rel=1e-10)


def _random_graph(n, p, seed):
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((n, n)) < p, 1)
    a = a | a.T
    rows, cols = np.nonzero(a)
    return torch.tensor(np.stack([rows, cols])), a.astype(np.float64)


@pytest.mark.parametrize("cumulative", [False, True])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_positive_pairs_match_dense_power(order, cumulative):
    edge_index, a = _random_graph(12, 0.2, order)
    n = a.shape[0]
    ahat = a + np.eye(n)
    ahat = ahat / ahat.sum(1, keepdims=True)
    powers = [np.linalg.matrix_power(ahat, r) for r in range(1, order + 1)]
    w = sum(powers) if cumulative else powers[-1]
    np.fill_diagonal(w, 0.0)
    pairs, weights = positive_pairs(edge_index, n, order, cumulative)
    dense = np.zeros((n, n))
    dense[pairs[0].numpy(), pairs[1].numpy()] = weights.numpy()
    np.testing.assert_allclose(dense, w, atol=1e-6)
    assert (pairs[0] != pairs[1]).all()


def test_sparse_positive_term_equals_dense_with_gradients():
    edge_index, a = _random_graph(15, 0.25, 7)
    a[3, :] = a[:, 3] = 0  # an isolated node: no positives, left out of the mean
    edge_index = torch.tensor(np.stack(np.nonzero(a)))
    n, tau = a.shape[0], 0.8
    pairs, weights = positive_pairs(edge_index, n, 2)
    z = torch.randn(n, 4, dtype=torch.float64, requires_grad=True)
    sparse = positive_term(z, pairs, weights.double(), tau)
    (g_sparse,) = torch.autograd.grad(sparse, z)

    ahat = a + np.eye(n)
    ahat = ahat / ahat.sum(1, keepdims=True)
    w = torch.tensor(np.linalg.matrix_power(ahat, 2))
    w.fill_diagonal_(0.0)
    zn = F.normalize(z, dim=1)
    pos = (w * torch.exp(tau * zn @ zn.T)).sum(1)
    has = w.sum(1) > 0
    assert not bool(has[3])
    dense = -torch.log(pos[has]).mean()
    (g_dense,) = torch.autograd.grad(dense, z)
    # positive_pairs stores float32 weights, hence the float32-level tolerance.
    assert float(sparse.detach()) == pytest.approx(float(dense.detach()), rel=1e-6)
    torch.testing.assert_close(g_sparse, g_dense, rtol=1e-5, atol=1e-7)
    log_pos, has_pos = positive_log_mass(z, pairs, weights.double(), tau)
    assert has_pos.tolist() == has.tolist()
    assert float(log_pos[3].detach()) == 0.0


def test_meta_node_gradient_matches_autograd_of_direct_formula():
    torch.manual_seed(1)
    z = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    assign = torch.tensor([0, 1, 2, 0, 1, 2, 2])
    (g,) = torch.autograd.grad(meta_node_negative_term(z, assign, 3, 0.5), z)
    onehot = F.one_hot(assign, 3).double()
    m = F.normalize(onehot.T @ z, dim=1)
    sim = torch.exp(0.5 * m @ m.T) * (1 - torch.eye(3, dtype=torch.float64))
    (g_ref,) = torch.autograd.grad(torch.log(sim.sum(1)).mean(), z)
    torch.testing.assert_close(g, g_ref)
    assert g.abs().sum() > 0


def test_dec_assignment_and_target():
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    mu = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    q = soft_assignment(z, mu, v=1.0)
    # node 0: distances^2 0 and 4 -> kernels 1 and 1/5; node 1: 1 and 1 -> 1/2 each.
    torch.testing.assert_close(q, torch.tensor([[5 / 6, 1 / 6], [0.5, 0.5]]))
    p = target_distribution(q)
    f = q.sum(0)
    w = q**2 / f
    torch.testing.assert_close(p, w / w.sum(1, keepdim=True))
    assert float(kl_clustering_loss(q, q)) == pytest.approx(0.0, abs=1e-7)
    expected = float((p * (p / q).log()).sum() / 2)
    assert float(kl_clustering_loss(p, q)) == pytest.approx(expected, rel=1e-5)


def test_grace_view_loss_equals_loop():
    torch.manual_seed(2)
    u, v = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    t = 0.5
    uu, vv = u.numpy(), v.numpy()
    expected = []
    for i in range(4):
        num = math.exp(_cos(uu[i], vv[i]) / t)
        den = sum(math.exp(_cos(uu[i], vv[k]) / t) for k in range(4))
        den += sum(math.exp(_cos(uu[i], uu[k]) / t) for k in range(4) if k != i)
        expected.append(-math.log(num / den))
    np.testing.assert_allclose(grace_view_loss(u, v, t).numpy(), expected, rtol=1e-10)
