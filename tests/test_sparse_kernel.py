"""The propagation kernel against dense references."""
import numpy as np
import pytest
import torch

from graphcl.graph.sparse import bipartite_norm_adj, neighbourhood_block, sym_spmm
from graphcl.nn.lightgcn import LightGCNEncoder


def _dense_norm_adj(users, items, n_u, n_i):
    a = np.zeros((n_u + n_i, n_u + n_i))
    a[users, items + n_u] = 1
    a[items + n_u, users] = 1
    deg = a.sum(1)
    inv = np.where(deg > 0, np.maximum(deg, 1) ** -0.5, 0)
    return inv[:, None] * a * inv[None, :]


def test_normalised_adjacency_matches_dense():
    users = torch.tensor([0, 0, 1, 2, 2, 2])
    items = torch.tensor([0, 1, 1, 0, 2, 3])
    adj = bipartite_norm_adj(users, items, 4, 5)  # user 3 and item 4 are isolated
    dense = _dense_norm_adj(users.numpy(), items.numpy(), 4, 5)
    np.testing.assert_allclose(adj.to_dense().numpy(), dense, atol=1e-6)
    assert adj.layout == torch.sparse_csr


def test_symmetric_spmm_forward_and_gradient_match_dense():
    torch.manual_seed(0)
    users = torch.randint(0, 6, (20,))
    items = torch.randint(0, 7, (20,))
    pairs = torch.unique(torch.stack([users, items]), dim=1)
    adj = bipartite_norm_adj(pairs[0], pairs[1], 6, 7)
    dense = adj.to_dense()
    x = torch.randn(13, 4, requires_grad=True)
    w = torch.randn(13, 4)
    out = sym_spmm(adj, sym_spmm(adj, x))
    (out * w).sum().backward()
    grad_sparse = x.grad.clone()
    x.grad = None
    ref = dense @ (dense @ x)
    (ref * w).sum().backward()
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grad_sparse, x.grad, atol=1e-5, rtol=1e-5)


def _random_adj(seed=0, n_u=12, n_i=9, n=40):
    gen = torch.Generator().manual_seed(seed)
    pairs = torch.unique(torch.stack([torch.randint(0, n_u, (n,), generator=gen),
                                      torch.randint(0, n_i, (n,), generator=gen)]), dim=1)
    return bipartite_norm_adj(pairs[0], pairs[1], n_u, n_i)


def test_neighbourhood_block_keeps_rows_as_prefix_and_matches_the_dense_block():
    adj = _random_adj()
    dense = adj.to_dense()
    rows = torch.tensor([14, 3, 0, 5])
    cols, block = neighbourhood_block(adj, rows)
    assert cols[:4].tolist() == rows.tolist()
    expected = set(dense[rows].nonzero()[:, 1].tolist()) | set(rows.tolist())
    assert sorted(cols.tolist()) == sorted(expected)  # distinct and complete
    torch.testing.assert_close(block.to_dense(), dense[rows][:, cols])
    x = torch.randn(len(cols), 3)
    torch.testing.assert_close(block @ x, dense[rows][:, cols] @ x)
    # two hops: the block of the new set maps onto its own neighbourhood
    cols2, block2 = neighbourhood_block(adj, cols)
    torch.testing.assert_close(block2.to_dense(), dense[cols][:, cols2])


def test_neighbourhood_block_is_a_valid_csr_tensor():
    """Sorted, distinct column indices per row: the invariants torch checks and cuSPARSE assumes
    (renumbering columns with the rows first unsorts them unless the block is sorted)."""
    adj = _random_adj()
    gen = torch.Generator().manual_seed(1)
    for size in (2, 5, 9, 20):
        rows = torch.randperm(adj.shape[0], generator=gen)[:size]
        cols, block = neighbourhood_block(adj, rows)
        torch.sparse_csr_tensor(block.crow_indices(), block.col_indices(), block.values(), block.shape,
                                check_invariants=True)
        torch.testing.assert_close(block.to_dense(), adj.to_dense()[rows][:, cols])


@pytest.mark.parametrize("layers,combine,include_layer0,per_layer", [
    (1, "mean", True, False), (2, "mean", True, False), (3, "mean", True, True),
    (1, "mean", False, False), (2, "sum", False, False), (3, "sum", True, False),
])
def test_encoder_rows_match_full_propagation_in_value_and_gradient(layers, combine, include_layer0, per_layer):
    # 40 users x 30 items, a batch of 6 nodes: under a quarter of the graph, so the block path runs
    adjs = [_random_adj(seed, n_u=40, n_i=30, n=150) for seed in range(layers)]
    adj = adjs if per_layer else adjs[0]
    enc = LightGCNEncoder(40, 30, dim=5, layers=layers, combine=combine, include_layer0=include_layer0)
    nodes = torch.tensor([41, 3, 0, 69, 17, 55])
    weight = torch.randn(len(nodes), 5)
    (enc(adj)[nodes] * weight).sum().backward()
    full_grad = enc.embedding.weight.grad.clone()
    enc.embedding.weight.grad = None
    rows = enc.rows(adj, nodes)
    (rows * weight).sum().backward()
    torch.testing.assert_close(rows, enc(adj)[nodes].detach())
    torch.testing.assert_close(enc.embedding.weight.grad, full_grad)
