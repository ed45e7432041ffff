"""Semantic/node attention, multi-positive InfoNCE vs a loop reference, MEOW weights."""
from __future__ import annotations

import math

import pytest
import torch

from graphcl.losses.multi_positive import cross_view_infonce, multi_positive_infonce
from graphcl.losses.prototype import prototype_loss
from graphcl.losses.weighted_negatives import cluster_negative_weights, normalised_soft_weights
from graphcl.nn.schema_encoder import NodeLevelAttention
from graphcl.nn.semantic_attention import SemanticAttention



def test_semantic_attention_weights_sum_to_one_and_mix_inputs():
    torch.manual_seed(0)
    att = SemanticAttention(8, attn_drop=0.5)
    zs = [torch.randn(5, 8) for _ in range(3)]
    for mode in (True, False):
        att.train(mode)
        z, beta = att(zs)
        assert beta.shape == (3,) and torch.isclose(beta.sum(), torch.tensor(1.0)) and (beta > 0).all()
        assert torch.allclose(z, sum(b * x for b, x in zip(beta, zs)), atol=1e-6)


def test_node_attention_ignores_masked_neighbours_and_empty_rows():
    torch.manual_seed(0)
    att = NodeLevelAttention(4).eval()
    h = torch.randn(2, 4)
    nei = torch.randn(2, 3, 4)
    valid = torch.tensor([[True, True, False], [False, False, False]])
    out = att(h, nei, valid)
    q = att.query.squeeze(0)
    s = torch.nn.functional.leaky_relu(h[0] @ q[:4] + nei[0, :2] @ q[4:], 0.01)
    assert torch.allclose(out[0], torch.softmax(s, 0) @ nei[0, :2], atol=1e-6)
    assert torch.equal(out[1], torch.zeros(4))


def reference_loss(logits, positives, weights=None):
    """Hand-written loops over anchors and candidates."""
    n, m = logits.shape
    pos = {(int(a), int(b)) for a, b in positives.t()}
    total = 0.0
    for i in range(n):
        num = 0.0
        den = 0.0
        for j in range(m):
            e = torch.exp(logits[i, j])
            if (i, j) in pos:
                num = num + e
                den = den + e
            else:
                den = den + (1.0 if weights is None else weights[i, j]) * e
        total = total - torch.log(num / den)
    return total / n


@pytest.mark.parametrize("weighted", [False, True])
def test_multi_positive_infonce_matches_reference_value_and_gradient(weighted):
    torch.manual_seed(0)
    logits = (torch.randn(4, 5) * 3).requires_grad_()
    positives = torch.tensor([[0, 0, 1, 2, 3, 3], [0, 2, 1, 4, 3, 0]])
    weights = torch.rand(4, 5) if weighted else None
    ours = multi_positive_infonce(logits, positives, weights)
    (g_ours,) = torch.autograd.grad(ours, logits)
    ref = reference_loss(logits, positives, weights)
    (g_ref,) = torch.autograd.grad(ref, logits)
    assert torch.isclose(ours, ref, atol=1e-5)
    assert torch.allclose(g_ours, g_ref, atol=1e-6)


def test_single_positive_unweighted_is_cross_entropy():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0], [0.0, 1.0, 3.0]])
    pos = torch.stack([torch.arange(3), torch.arange(3)])
    expected = -(torch.log_softmax(logits, 1).diagonal()).mean()
    assert torch.isclose(multi_positive_infonce(logits, pos), expected)
    # value check by hand for row 0: -log(e^2 / (e^2 + 1 + e^-1))
    row0 = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
    assert abs(float(multi_positive_infonce(logits[:1], torch.tensor([[0], [0]]))) - row0) < 1e-6


def test_cross_view_equals_two_directions():
    torch.manual_seed(1)
    logits = torch.randn(6, 6)
    pos = torch.tensor([[0, 1, 2, 3, 4, 5, 0], [0, 1, 2, 3, 4, 5, 3]])
    w = torch.rand(6, 6)
    a, b = cross_view_infonce(logits, pos, w)
    assert torch.isclose(a, multi_positive_infonce(logits, pos, w))
    assert torch.isclose(b, multi_positive_infonce(logits.t(), pos, w.t()))


def test_anchor_without_positive_is_rejected():
    with pytest.raises(ValueError, match="at least one positive"):
        multi_positive_infonce(torch.zeros(3, 3), torch.tensor([[0, 1], [0, 1]]))


def test_cluster_negative_weights_by_hand():
    a1 = torch.tensor([0, 0, 1])
    a2 = torch.tensor([0, 1, 1])
    w = cluster_negative_weights([a1, a2], same_cluster_weight=0.2)
    expected = torch.tensor([[0.2, 0.6, 1.0], [0.6, 0.2, 0.6], [1.0, 0.6, 0.2]])
    assert torch.allclose(w, expected)


def test_soft_weights_have_row_mean_one_and_downweight_similar_pairs():
    a = torch.tensor([[1.0, 0.0, -1.0], [0.2, 0.9, -0.3]])
    w = normalised_soft_weights(a, 0.5)
    assert torch.allclose(w.mean(1), torch.ones(2))
    assert (w[0, 0] < w[0, 1] < w[0, 2]) and w[1].argmin() == 1


def test_prototype_loss_by_hand():
    z = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    mu = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    a = torch.tensor([0, 1])
    phi = 0.5
    row = -math.log(math.exp(1 / phi) / (math.exp(1 / phi) + 1))
    assert abs(float(prototype_loss(z, [mu], [a], phi)) - row) < 1e-6


def test_context_fusion_adds_contexts_to_the_target_in_order():
    """Bit-identical to h + W_1 c_1 + W_2 c_2 (left to right), so MEOW runs reproduce across versions."""
    from graphcl.nn.context_encoder import ContextFusion

    torch.manual_seed(0)
    fusion = ContextFusion(3, 8, dropout=0.0)
    h, contexts = torch.randn(50, 8), [torch.randn(50, 8) for _ in range(3)]
    expected = h
    for fc, c in zip(fusion.maps, contexts):
        expected = expected + fc(c)
    assert torch.equal(fusion(h, contexts), torch.nn.functional.elu(expected))
    assert torch.equal(fusion.context(contexts), fusion.maps[0](contexts[0]) + fusion.maps[1](contexts[1]) + fusion.maps[2](contexts[2]))
