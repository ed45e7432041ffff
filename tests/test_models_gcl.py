"""Contrastive recommenders: the generic view x loss composition and the four paper models."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from graphcl.config import from_dict
from graphcl.data.interaction import InteractionData
from graphcl.data.sampler import BPRSampler
from graphcl.errors import ConfigError
from graphcl.models.gcl import GCL, GCLConfig, _Views
from graphcl.models.lightgcl import LightGCL
from graphcl.models.registry import get_model
from graphcl.models.sgl import SGL
from graphcl.models.simgcl import SimGCL
from graphcl.models.xsimgcl import XSimGCL
from graphcl.nn.lightgcn import LightGCNEncoder



@pytest.fixture(scope="module")
def tiny() -> InteractionData:
    """40 users x 30 items in two taste groups, so a recommender has something to learn."""
    rng = np.random.default_rng(0)
    users, items = [], []
    for u in range(40):
        group = u % 2
        pool = np.arange(15) + 15 * group
        chosen = rng.choice(pool, size=8, replace=False)
        users += [u] * 8
        items += list(chosen)
    return InteractionData.from_pairs((np.array(users), np.array(items)), num_users=40, num_items=30)


def train_steps(model, data, epochs=3, lr=0.01):
    sampler = BPRSampler(data.train, batch_size=64, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        model.train()
        model.on_epoch_start(epoch)
        for batch in sampler.epoch(epoch):
            terms = model.loss(batch)
            opt.zero_grad()
            terms["loss"].backward()
            opt.step()
            history.append({k: float(v.detach()) for k, v in terms.items()})
    return history


def gcl(data, **params) -> GCL:
    torch.manual_seed(0)
    return GCL(data, from_dict(GCLConfig, params, "params"))


@pytest.mark.parametrize("view", ["noise", "edge_dropout", "node_dropout", "random_walk", "svd", "cross_layer"])
@pytest.mark.parametrize("loss", ["infonce", "dcl", "multiview_infonce", "mv_dhel"])
def test_every_view_trains_with_every_loss(tiny, view, loss):
    params = dict(view=view, loss=loss, layers=2, q=3, rho=0.2, diagnostics=True)
    model = gcl(tiny, **params)
    history = train_steps(model, tiny, epochs=1)
    assert all(np.isfinite(h["loss"]) for h in history)
    assert {"bpr", "cl", "l2", "loss", "align", "uniform"} <= set(history[0])
    total = history[-1]
    assert total["loss"] == pytest.approx(total["bpr"] + 0.1 * total["cl"] + total["l2"], rel=1e-5)


def test_unpaired_composition_three_svd_views_with_mv_dhel_lowers_the_loss(tiny):
    # no paper pairs LightGCL's SVD view with a 3-view MV-DHEL loss
    model = gcl(tiny, view="svd", loss="mv_dhel", num_views=3, rho=0.2, q=3, lam=0.2)
    rec, views = model.views.full(model.gen)
    assert len(views) == 3
    history = train_steps(model, tiny, epochs=6)
    first, last = np.mean([h["loss"] for h in history[:5]]), np.mean([h["loss"] for h in history[-5:]])
    assert last < first


def test_unpaired_composition_noise_with_dcl_and_cross_layer_with_three_views(tiny):
    history = train_steps(gcl(tiny, view="noise", loss="dcl", eps=0.1, lam=0.5), tiny, epochs=4)
    assert history[-1]["loss"] < history[0]["loss"]
    model = gcl(tiny, view="cross_layer", loss="multiview_infonce", num_views=3, layers=3)
    _, views = model.views.full(model.gen)
    assert len(views) == 3 and not torch.allclose(views[1], views[2])
    train_steps(model, tiny, epochs=1)


def test_graph_views_are_redrawn_per_epoch_and_reproducible(tiny):
    model = gcl(tiny, view="edge_dropout", rho=0.3)
    model.on_epoch_start(4)
    a = [x.to_dense() for x in model.views.adjs]
    model.on_epoch_start(5)
    b = [x.to_dense() for x in model.views.adjs]
    model.on_epoch_start(4)
    c = [x.to_dense() for x in model.views.adjs]
    assert not torch.equal(a[0], b[0]) and not torch.equal(a[0], a[1])
    assert all(torch.equal(x, y) for x, y in zip(a, c))


def test_noise_view_with_eps_zero_contrasts_identical_views(tiny):
    model = gcl(tiny, view="noise", eps=0.0, include_layer0=False)
    rec, views = model.views.full(model.gen)
    assert torch.equal(views[0], rec) and torch.equal(views[1], rec)


def test_xsimgcl_recommends_from_the_noisy_final_embedding_and_evaluates_clean(tiny):
    torch.manual_seed(0)
    model = XSimGCL(tiny, XSimGCL.Config())
    rec, views = model.views.full(model.gen)
    assert rec is views[0]
    model.eval()
    user, item = model.embeddings()
    clean = model.encoder(model.adj)
    torch.testing.assert_close(torch.cat([user, item]), clean)
    assert not torch.allclose(clean, rec)


def test_lightgcl_uses_table_l2_and_raw_dot_products(tiny):
    torch.manual_seed(0)
    model = LightGCL(tiny, LightGCL.Config(q=3))
    assert model.config.reg_scope == "table" and not model.config.cl_normalize
    batch = next(iter(BPRSampler(tiny.train, 64, seed=0).epoch(0)))
    terms = model.loss(batch)
    expected = 1e-7 * model.encoder.embedding.weight.pow(2).sum()
    torch.testing.assert_close(terms["l2"], expected)


@pytest.mark.parametrize("negatives", ["batch", "all"])
def test_lightgcl_negatives_are_the_batch_or_every_node(tiny, negatives):
    torch.manual_seed(0)
    model = LightGCL(tiny, LightGCL.Config(q=3, negatives=negatives))
    batch = next(iter(BPRSampler(tiny.train, 64, seed=0).epoch(0)))
    cl = model.loss(batch)["cl"]
    _, (svd_view, main_view) = model.views.full(model.gen)  # rho = 0: no randomness in the views
    n_users = model.num_users
    expected = 0.0
    for nodes, block in ((torch.unique(batch.users), slice(0, n_users)),
                         (torch.unique(batch.pos) + n_users, slice(n_users, None))):
        # raw dot products / tau; the positive is the node itself in the main view
        candidates = nodes if negatives == "batch" else torch.arange(len(main_view))[block]
        scores = svd_view[nodes] @ main_view[candidates].T / 0.2
        positive = (svd_view[nodes] * main_view[nodes]).sum(1) / 0.2
        expected = expected + (torch.logsumexp(scores, 1) - positive).mean()
    torch.testing.assert_close(cl, expected)


def test_lightgcl_pos_clamp_clips_the_positive_as_the_official_code(tiny):
    torch.manual_seed(0)
    model = LightGCL(tiny, LightGCL.Config(q=3))
    batch = next(iter(BPRSampler(tiny.train, 64, seed=0).epoch(0)))
    _, (svd_view, main_view) = model.views.full(model.gen)
    n_users = model.num_users
    blocks = ((torch.unique(batch.users), slice(0, n_users)),
              (torch.unique(batch.pos) + n_users, slice(n_users, None)))
    positives = torch.cat([(svd_view[nodes] * main_view[nodes]).sum(1) / 0.2 for nodes, _ in blocks])
    bound = float(positives.detach().abs().median())  # clips about half of the positives
    model.config.pos_clamp = bound
    cl = model.loss(batch)["cl"]
    expected = 0.0
    for nodes, block in blocks:
        scores = svd_view[nodes] @ main_view[block].T / 0.2
        positive = (svd_view[nodes] * main_view[nodes]).sum(1) / 0.2
        expected = expected + (torch.logsumexp(scores, 1) - positive.clamp(-bound, bound)).mean()
    torch.testing.assert_close(cl, expected)
    model.config.pos_clamp = None
    assert float(model.loss(batch)["cl"]) < float(cl)  # clipping only removes reward


def test_lightgcl_interaction_anchors_weight_nodes_by_batch_multiplicity(tiny):
    torch.manual_seed(0)
    model = LightGCL(tiny, LightGCL.Config(q=3, cl_nodes="interactions"))
    batch = next(iter(BPRSampler(tiny.train, 64, seed=0).epoch(0)))
    assert len(torch.unique(batch.users)) < len(batch.users)  # the test needs repeated anchors
    _, (svd_view, main_view) = model.views.full(model.gen)
    n_users = model.num_users
    expected = 0.0
    for nodes, block in ((batch.users, slice(0, n_users)),
                         (torch.cat([batch.pos, batch.neg]) + n_users, slice(n_users, None))):
        scores = svd_view[nodes] @ main_view[block].T / 0.2
        positive = (svd_view[nodes] * main_view[nodes]).sum(1) / 0.2
        expected = expected + (torch.logsumexp(scores, 1) - positive).mean()
    cl = model.loss(batch)["cl"]
    torch.testing.assert_close(cl, expected)
    model.config.cl_nodes = "unique"
    assert abs(float(model.loss(batch)["cl"]) - float(cl)) > 1e-4


@pytest.mark.parametrize("name,cls", [("sgl", SGL), ("simgcl", SimGCL), ("xsimgcl", XSimGCL), ("lightgcl", LightGCL),
                                      ("gcl", GCL)])
def test_models_are_registered_and_their_configs_reject_unknown_keys(name, cls):
    assert get_model(name) is cls
    with pytest.raises(ConfigError, match="unknown key 'bogus'"):
        from_dict(cls.Config, {"bogus": 1}, "params")


def test_paper_defaults(tiny):
    assert dataclasses.asdict(SimGCL.Config()) == {
        "dim": 64, "layers": 2, "reg": 1e-4, "init_std": None, "eps": 0.1, "tau": 0.2, "lam": 0.5,
        "cl_normalize": True, "diagnostics": True}
    x = XSimGCL.Config()
    assert (x.eps, x.tau, x.lam, x.layer_star) == (0.2, 0.15, 0.2, 1)
    s = SGL.Config()
    assert (s.rho, s.tau, s.lam, s.layers, s.view) == (0.1, 0.2, 0.1, 3, "edge_dropout")
    lc = LightGCL.Config()
    assert (lc.q, lc.layers, lc.lam, lc.reg, lc.tau) == (5, 2, 0.2, 1e-7, 0.2)
    # the fixed choices that make each paper model a composition
    composed = {cls.__name__: cls.Config().gcl() for cls in (SGL, SimGCL, XSimGCL, LightGCL)}
    assert [(c.view, c.negatives, c.include_layer0, c.combine) for c in composed.values()] == [
        ("edge_dropout", "all", True, "mean"), ("noise", "batch", False, "mean"),
        ("cross_layer", "batch", False, "mean"), ("svd", "all", True, "sum")]


@pytest.mark.parametrize("cls", [SGL, SimGCL, XSimGCL, LightGCL])
def test_paper_configs_are_validated_when_built(cls):
    with pytest.raises(ConfigError, match="params.tau must be > 0"):
        from_dict(cls.Config, {"tau": 0}, "params")


@pytest.mark.parametrize("params,match", [
    ({"loss": "mv_dhel", "negatives": "all"}, "negatives=all"),
    ({"num_views": 1}, "num_views"),
    ({"view": "cross_layer", "layers": 2, "num_views": 3, "layer_star": 2}, "needs layers >= 3"),
    ({"view": "svd", "num_views": 3, "rho": 0.0}, "rho > 0"),
    ({"view": "sideways"}, "sideways"),
    ({"rho": 1.5}, "rho"),
    ({"loss": "dcl", "pos_clamp": 5.0}, "pos_clamp is only available for loss infonce"),
    ({"pos_clamp": 0.0}, "pos_clamp must be > 0"),
    ({"cl_nodes": "interactions"}, "cl_nodes=interactions needs params.negatives=all"),
    ({"cl_nodes": "edges", "negatives": "all"}, "cl_nodes: 'edges'"),
])
def test_bad_gcl_configs_are_rejected(params, match):
    with pytest.raises(ConfigError, match=match):
        from_dict(GCLConfig, params, "params")


@pytest.mark.parametrize("params,match", [
    ({"view": "sideways"}, "params.view: 'sideways' is not one of"),
    ({"loss": "hinge"}, "params.loss: 'hinge' is not one of"),
    ({"cl_nodes": "edges", "negatives": "all"}, "params.cl_nodes: 'edges' is not one of"),
])
def test_choices_are_checked_for_configs_built_in_python(params, match):
    # the loader checks Literal fields itself; a config built directly relies on __post_init__
    with pytest.raises(ConfigError, match=match):
        GCLConfig(**params)


# -- real data: each model beats the most-popular baseline on ml-100k ------------------------
CONFIGS = Path(__file__).resolve().parents[1] / "experiments" / "configs" / "rec"


@pytest.mark.slow
@pytest.mark.parametrize("config", ["ml-100k/sgl.yaml", "ml-100k/simgcl.yaml", "ml-100k/xsimgcl.yaml", "lightgcl.yaml"])
def test_model_beats_most_popular_on_ml100k(config):
    from graphcl.config import load_yaml, merge
    from graphcl.tasks.recommend import RecConfig, run

    def recall(raw):
        raw = merge(raw, {"dataset": "ml-100k", "train": {"progress": False, "threads": 1, "epochs": 5}})
        return run(from_dict(RecConfig, raw))["test"]["recall@20"]

    assert recall(load_yaml(CONFIGS / config)) > recall({"model": "pop"})


@pytest.mark.parametrize("view", ["noise", "cross_layer"])
def test_row_restricted_views_equal_the_full_views_values_and_gradients(tiny, monkeypatch, view):
    from graphcl.views.noise import EmbeddingNoise

    def delta(self, h, gen, shape=None):  # a gradient-free function of the rows alone: both paths must agree
        h = h.detach().expand(h.shape if shape is None else shape)
        return self.eps * torch.sign(h) * torch.nn.functional.normalize(h.abs() + 1.0, dim=-1)

    monkeypatch.setattr(EmbeddingNoise, "delta", delta)
    model = gcl(tiny, view=view, eps=0.2, layers=3, include_layer0=False)
    nodes = torch.tensor([4, 0, 45, 52, 9, 61])
    weights = [torch.randn(len(nodes), 64) for _ in range(3)]

    def backward(rec, views):
        model.zero_grad()
        (sum((w[: len(x)] * x).sum() for w, x in zip(weights, [rec] + views))).backward()
        return model.encoder.embedding.weight.grad.clone()

    rec_full, views_full = model.views.full(model.gen)
    full = (rec_full[nodes], [v[nodes[:4]] for v in views_full])
    grad_full = backward(*full)
    rows = model.views.rows(model.gen, nodes, 4)
    grad_rows = backward(*rows)
    torch.testing.assert_close(rows[0], full[0])
    for a, b in zip(rows[1], full[1]):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(grad_rows, grad_full)


def test_xavier_init_is_drawn_per_table_like_selfrec():
    # SELFRec keeps users and items in two tables: each Xavier bound is sqrt(6 / (rows + dim))
    torch.manual_seed(0)
    enc = LightGCNEncoder(num_users=300, num_items=5000, dim=64, init_std=None)
    users, items = enc.embedding.weight.detach().split([300, 5000])
    user_bound, item_bound = (6 / (300 + 64)) ** 0.5, (6 / (5000 + 64)) ** 0.5
    assert users.abs().max() <= user_bound and users.abs().max() > 0.95 * user_bound
    assert items.abs().max() <= item_bound and items.abs().max() > 0.95 * item_bound


def test_graph_views_on_the_batch_rows_equal_the_full_propagation():
    """SGL with in-batch negatives computes its last layer on the batch's rows only
    (``LightGCNEncoder.rows``): same loss and gradient as gathering from full propagations."""
    rng = np.random.default_rng(1)
    pairs = np.unique(np.stack([rng.integers(0, 400, 6000), rng.integers(0, 300, 6000)]), axis=1)
    data = InteractionData.from_pairs((pairs[0], pairs[1]), num_users=400, num_items=300)
    batch = next(iter(BPRSampler(data.train, 32, seed=0).epoch(0)))  # ~90 of 700 nodes: the block path
    grads, losses = [], []
    for gather_from_full in (False, True):
        torch.manual_seed(0)
        model = SGL(data, SGL.Config(layers=2, negatives="batch", diagnostics=False))
        if gather_from_full:  # the generic adapter: full propagations of every view, then a gather
            views = model.views
            views.rows = lambda gen, nodes, contrast: _Views.rows(views, gen, nodes, contrast)
        terms = model.loss(batch)
        terms["loss"].backward()
        losses.append(terms["loss"].detach())
        grads.append(model.encoder.embedding.weight.grad)
    torch.testing.assert_close(losses[0], losses[1])
    torch.testing.assert_close(grads[0], grads[1])
