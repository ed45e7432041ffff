"""Contrastive losses against hand-written references (values and gradients)."""
from __future__ import annotations

import math

import pytest
import torch

from graphcl.losses.dcl import dcl_loss
from graphcl.losses.infonce import info_nce
from graphcl.losses.multiview import multiview_info_nce, mv_dhel
from graphcl.losses.uniformity import alignment, uniformity



def unit(x):
    return x / x.norm(dim=-1, keepdim=True)


def cos(a, b):
    return float((a * b).sum() / (a.norm() * b.norm()))


# -- element-by-element references (plain Python sums over pairs) -----------------------
def ref_info_nce(a, p, tau, cands=None, idx=None, drop_positive=False):
    cands = p if cands is None else cands
    idx = list(range(len(a))) if idx is None else [int(i) for i in idx]
    total = 0.0
    for i in range(len(a)):
        pos = (unit(a[i]) * unit(p[i])).sum() / tau
        terms = [torch.exp((unit(a[i]) * unit(c)).sum() / tau) for j, c in enumerate(cands)
                 if not (drop_positive and j == idx[i])]
        total = total - pos + torch.log(sum(terms))
    return total / len(a)


def ref_mv_infonce(views, tau):
    v_n, b = len(views), len(views[0])
    s = lambda x, y: torch.exp((unit(x) * unit(y)).sum() / tau)
    total = 0.0
    for i in range(b):
        num = sum(s(views[v][i], views[w][i]) for v in range(v_n) for w in range(v_n) if v != w)
        den = sum(s(views[v][i], views[w][j]) for v in range(v_n) for w in range(v_n) for j in range(b)
                  if (w, j) != (v, i))
        total = total - torch.log(num / den)
    return total / b


def ref_mv_dhel(views, tau):
    v_n, b = len(views), len(views[0])
    s = lambda x, y: torch.exp((unit(x) * unit(y)).sum() / tau)
    total = 0.0
    for i in range(b):
        num = sum(s(views[v][i], views[w][i]) for v in range(v_n) for w in range(v + 1, v_n))
        den = 0.0
        for v in range(v_n):
            den = den + torch.log(sum(s(views[v][i], views[v][j]) for j in range(b) if j != i))
        total = total - torch.log(num) + den
    return total / b


def check_against_reference(fn, ref, *inputs):
    """Values and gradients of ``fn`` equal those of ``ref`` on float64 leaf inputs."""
    xs = [x.detach().clone().double().requires_grad_(True) for x in inputs]
    ys = [x.detach().clone().double().requires_grad_(True) for x in inputs]
    got, want = fn(*xs), ref(*ys)
    torch.testing.assert_close(got, want)
    got.backward()
    want.backward()
    for x, y in zip(xs, ys):
        torch.testing.assert_close(x.grad, y.grad)


# -- InfoNCE ------------------------------------------------------------------------------
def test_info_nce_closed_form_on_orthonormal_pairs():
    a = torch.eye(3)
    # identical views, orthonormal nodes: -1/tau + log(e^{1/tau} + 2)
    tau = 0.5
    expected = -1 / tau + math.log(math.exp(1 / tau) + 2)
    assert float(info_nce(a, a, tau)) == pytest.approx(expected, rel=1e-6)
    # scale does not matter (cosine similarity)
    assert float(info_nce(3 * a, 0.1 * a, tau)) == pytest.approx(expected, rel=1e-6)


def test_info_nce_in_batch_matches_reference_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    a, p = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    check_against_reference(lambda x, y: info_nce(x, y, 0.2), lambda x, y: ref_info_nce(x, y, 0.2), a, p)


def test_info_nce_all_node_negatives_matches_reference():
    g = torch.Generator().manual_seed(1)
    table = torch.randn(7, 4, generator=g)
    anchors = torch.randn(3, 4, generator=g)
    idx = torch.tensor([4, 0, 6])
    check_against_reference(
        lambda x, t: info_nce(x, t[idx], 0.3, candidates=t, pos_index=idx),
        lambda x, t: ref_info_nce(x, t[idx], 0.3, cands=t, idx=idx), anchors, table)


def test_info_nce_unnormalised_uses_raw_dot_products():
    a = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    tau = 0.5
    # logits = a p^T / tau = [[4, 4], [0, 2]]
    expected = 0.5 * ((-4 + math.log(2 * math.exp(4))) + (-2 + math.log(1 + math.exp(2))))
    assert float(info_nce(a, p, tau, normalize=False)) == pytest.approx(expected, rel=1e-6)


def test_info_nce_pos_clamp_clips_the_numerator_only():
    a = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    tau = 0.5
    # logits [[4, 4], [0, 2]]: the first positive (4) is clipped to 3, the second (2) is not
    expected = 0.5 * ((-3 + math.log(2 * math.exp(4))) + (-2 + math.log(1 + math.exp(2))))
    assert float(info_nce(a, p, tau, normalize=False, pos_clamp=3.0)) == pytest.approx(expected, rel=1e-6)
    # a bound no score reaches changes nothing
    torch.testing.assert_close(info_nce(a, p, tau, normalize=False, pos_clamp=10.0),
                               info_nce(a, p, tau, normalize=False))
    with pytest.raises(ValueError, match="pos_clamp must be > 0"):
        info_nce(a, p, tau, pos_clamp=0.0)


def test_info_nce_clipped_positive_only_pushes_scores_down():
    # past the bound the loss is the denominator's logsumexp alone: its gradient lowers the
    # positive's score too, where plain InfoNCE raises it
    g = torch.Generator().manual_seed(3)
    a = (3 * torch.randn(4, 3, generator=g, dtype=torch.float64)).requires_grad_(True)
    p = a.detach().clone().requires_grad_(True)  # positives = anchors: large positive scores
    clipped = info_nce(a, p, 0.2, normalize=False, pos_clamp=1.0)
    clipped.backward()
    a2, p2 = a.detach().clone().requires_grad_(True), p.detach().clone().requires_grad_(True)
    torch.logsumexp(a2 @ p2.T / 0.2, 1).mean().add(-1.0).backward()
    torch.testing.assert_close(a.grad, a2.grad)
    torch.testing.assert_close(p.grad, p2.grad)
    # orthonormal anchors, positives t * anchors: only the positive scores (t / 0.2) grow with
    # t; plain InfoNCE falls as they grow, the clipped one (past 1.0) rises
    for clamp, sign in ((None, -1), (1.0, 1)):
        t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        e = torch.eye(3, dtype=torch.float64)
        info_nce(e, t * e, 0.2, normalize=False, pos_clamp=clamp).backward()
        assert sign * float(t.grad) > 0


def test_info_nce_gradcheck():
    g = torch.Generator().manual_seed(2)
    a = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    p = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: info_nce(x, y, 0.2), (a, p))


# -- DCL ------------------------------------------------------------------------------------
def test_dcl_matches_reference_values_and_gradients():
    g = torch.Generator().manual_seed(3)
    a, p = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    check_against_reference(lambda x, y: dcl_loss(x, y, 0.2),
                            lambda x, y: ref_info_nce(x, y, 0.2, drop_positive=True), a, p)


def test_dcl_all_node_negatives_matches_reference():
    g = torch.Generator().manual_seed(4)
    table, anchors = torch.randn(6, 3, generator=g), torch.randn(2, 3, generator=g)
    idx = torch.tensor([5, 2])
    check_against_reference(
        lambda x, t: dcl_loss(x, t[idx], 0.4, candidates=t, pos_index=idx),
        lambda x, t: ref_info_nce(x, t[idx], 0.4, cands=t, idx=idx, drop_positive=True), anchors, table)


def test_dcl_is_infonce_without_the_positive_in_the_denominator():
    a = torch.eye(2)
    tau = 1.0
    # InfoNCE = -1 + log(e + 1); DCL = -1 + log(1)
    assert float(info_nce(a, a, tau)) == pytest.approx(-1 + math.log(math.e + 1))
    assert float(dcl_loss(a, a, tau)) == pytest.approx(-1.0)


# -- multi-view losses (3 views) ---------------------------------------------------------------
def test_multiview_info_nce_three_views_matches_reference_values_and_gradients():
    g = torch.Generator().manual_seed(5)
    v1, v2, v3 = (torch.randn(4, 3, generator=g) for _ in range(3))
    check_against_reference(lambda x, y, z: multiview_info_nce([x, y, z], 0.3),
                            lambda x, y, z: ref_mv_infonce([x, y, z], 0.3), v1, v2, v3)


def test_mv_dhel_three_views_matches_reference_values_and_gradients():
    g = torch.Generator().manual_seed(6)
    v1, v2, v3 = (torch.randn(5, 3, generator=g) for _ in range(3))
    check_against_reference(lambda x, y, z: mv_dhel(torch.stack([x, y, z]), 0.25),
                            lambda x, y, z: ref_mv_dhel([x, y, z], 0.25), v1, v2, v3)


def test_mv_dhel_two_views_closed_form():
    # two orthonormal nodes, identical views: -1/tau + 2 * log(e^0) = -1/tau
    z = torch.eye(2)
    assert float(mv_dhel([z, z], 0.5)) == pytest.approx(-2.0)
    # MV-InfoNCE on the same: numerator 2 e^{1/tau} (ordered view pairs); denominator, over
    # both views of the node: 2 (e^{1/tau} + e^0 + e^0)
    expected = -math.log(2 * math.exp(2)) + math.log(2 * (math.exp(2) + 2))
    assert float(multiview_info_nce([z, z], 0.5)) == pytest.approx(expected, rel=1e-6)


def test_multiview_losses_reject_a_single_view():
    with pytest.raises(ValueError, match="V >= 2"):
        mv_dhel(torch.randn(1, 4, 3), 0.2)


# -- alignment / uniformity -------------------------------------------------------------------
def test_alignment_and_uniformity_hand_values():
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert float(alignment(x, x)) == pytest.approx(0.0)
    assert float(alignment(x, torch.tensor([[0.0, 1.0], [1.0, 0.0]]))) == pytest.approx(2.0)
    # one pair at squared distance 2: log exp(-2 * 2) = -4
    assert float(uniformity(x)) == pytest.approx(-4.0)
    three = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    expected = math.log((math.exp(-8) + 2 * math.exp(-4)) / 3)
    assert float(uniformity(three)) == pytest.approx(expected, rel=1e-6)
