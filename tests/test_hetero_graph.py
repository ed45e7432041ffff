"""Meta-path products and normalisation, schema-neighbour sampling, context chains."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from graphcl.data.hetero import assemble_hetero
from graphcl.graph.metapath import metapath_adjacency, normalize, sparse_matrix, top_positives
from graphcl.views.metapath import FactorisedAdjacency, mean_adjacency, metapath_adjacencies
from graphcl.views.metapath_context import metapath_contexts
from graphcl.views.schema import SchemaNeighbourSampler, sample_neighbours
from graphcl.utils import generator

# 4 papers, 3 authors, 2 subjects. Paper-author incidence and paper-subject incidence:
PA = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]], dtype=float)
PS = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)



def tiny_graph():
    return assemble_hetero(
        "tiny",
        {"p": ("paper", 4), "a": ("author", 3), "s": ("subject", 2)},
        "p",
        {"pa": sp.csr_matrix(PA), "ps": sp.csr_matrix(PS)},
        {"pap": None, "psp": None},
        ["a", "s"],
        np.array([0, 0, 1, 1]),
        {"train_20": np.array([0, 2]), "val_20": np.array([1]), "test_20": np.array([3])},
    )


def test_metapath_counts_and_normalisations_by_hand():
    d = tiny_graph()
    pap = metapath_adjacency(d, ["paper", "author", "paper"]).to_dense()
    expected = PA @ PA.T
    assert np.array_equal(pap.numpy(), expected)
    stored = sparse_matrix(d["paper", "pap", "paper"].edge_index, (4, 4), d["paper", "pap", "paper"].edge_weight)
    assert np.array_equal(stored.to_dense().numpy(), expected)
    deg = expected.sum(1)
    row = normalize(torch.from_numpy(expected).float().to_sparse(), "row").to_dense().numpy()
    assert np.allclose(row, expected / deg[:, None])
    sym = normalize(torch.from_numpy(expected).float().to_sparse(), "sym").to_dense().numpy()
    assert np.allclose(sym, expected / np.sqrt(np.outer(deg, deg)))


def test_factorised_adjacency_equals_sparse_when_exact():
    d = tiny_graph()
    fact, sparse = metapath_adjacencies(d, ["psp"]), metapath_adjacencies(d, ["psp"], factorise=False)
    # Each paper has one subject, so the 0/1 pattern of PSP equals its counts: factorised.
    assert isinstance(fact[0], FactorisedAdjacency)
    assert torch.allclose(fact[0].to_dense(), sparse[0].to_dense(), atol=1e-6)
    # PAP has a pair linked by two authors: its 0/1 pattern cannot be factorised exactly.
    pap_counts = metapath_adjacencies(d, ["pap"], binary=False)[0].to_dense()
    pap_binary = metapath_adjacencies(d, ["pap"], binary=True)[0]
    assert not isinstance(pap_binary, FactorisedAdjacency)
    assert not torch.allclose(pap_counts, pap_binary.to_dense())
    mean = mean_adjacency([sparse[0], pap_binary]).to_dense()
    assert torch.allclose(mean, (sparse[0].to_dense() + pap_binary.to_dense()) / 2)


def test_top_positives_prefers_strongest_links_and_self():
    d = tiny_graph()
    counts = [metapath_adjacency(d, ["paper", "author", "paper"]), metapath_adjacency(d, ["paper", "subject", "paper"])]
    pos = top_positives(counts, 2)
    pairs = {tuple(p) for p in pos.t().tolist()}
    # Paper 0: self, then paper 1 (shares an author and the subject: score 0.5 + 1).
    assert (0, 0) in pairs and (0, 1) in pairs and (0, 3) not in pairs
    assert all(torch.bincount(pos[0], minlength=4) == 2)


def test_schema_sampling_distinct_when_possible_and_with_replacement_otherwise():
    # Row 0 has 5 neighbours, row 1 has 2, row 2 none.
    indptr = torch.tensor([0, 5, 7, 7])
    indices = torch.tensor([10, 11, 12, 13, 14, 20, 21])
    gen = generator(0)
    seen0 = set()
    for _ in range(30):
        idx, valid = sample_neighbours(indptr, indices, 3, gen)
        assert idx.shape == (3, 3)
        assert len(set(idx[0].tolist())) == 3 and set(idx[0].tolist()) <= {10, 11, 12, 13, 14}
        assert set(idx[1].tolist()) <= {20, 21}
        assert valid[:2].all() and not valid[2].any()
        seen0 |= set(idx[0].tolist())
    assert seen0 == {10, 11, 12, 13, 14}  # resampling covers all neighbours


def test_schema_sampler_from_graph_uses_relations():
    d = tiny_graph()
    sampler = SchemaNeighbourSampler.from_data(d, [2, 1])
    (ia, va), (is_, vs) = sampler.sample(generator(1))
    assert ia.shape == (4, 2) and is_.shape == (4, 1)
    assert all(PA[i, j] == 1 for i in range(4) for j in ia[i].tolist())
    assert is_[:, 0].tolist() == [0, 0, 1, 1]


def test_context_chain_is_product_of_row_normalised_relations():
    d = tiny_graph()
    chains = metapath_contexts(d, "pap")
    assert [c.node_type for c in chains] == ["author"]
    h = torch.randn(3, 4)
    expected = torch.from_numpy(PA / PA.sum(1, keepdims=True)).float() @ h
    assert torch.allclose(chains[0].aggregate(h), expected, atol=1e-6)
    d2 = assemble_hetero(
        "tiny", {"a": ("author", 3), "p": ("paper", 4), "c": ("conf", 2)}, "a",
        {"pa": sp.csr_matrix(PA), "pc": sp.csr_matrix(PS)}, {"apcpa": None}, ["p"],
        np.array([0, 1, 1]), {},
    )
    chains = metapath_contexts(d2, "apcpa")
    assert [c.node_type for c in chains] == ["paper", "conf", "paper"]
    ap, pc = PA.T, PS
    rn = lambda m: m / m.sum(1, keepdims=True)
    hp = torch.randn(4, 2)
    expected = torch.from_numpy(rn(ap) @ rn(pc) @ rn(pc.T)).float() @ hp
    assert torch.allclose(chains[2].aggregate(hp), expected, atol=1e-6)
