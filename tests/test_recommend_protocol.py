"""The recommendation task's protocols: which split selects, which is scored, what is masked."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphcl.config import from_dict
from graphcl.data.interaction import InteractionData
from graphcl.errors import ConfigError
from graphcl.eval.ranking import RankingEvaluator, ranking_metrics
from graphcl.models.lightgcn import LightGCN
from graphcl.tasks.recommend import RecConfig, evaluators, run
from graphcl.train.checkpoint import load_checkpoint
from graphcl.train.trainer import TrainConfig, Trainer


def _csr(pairs, shape):
    r, c = np.asarray(pairs).T
    return sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=shape)


def tiny(seed=0, users=30, items=40):
    """Per user: 6 train, 2 valid, 2 test items, all distinct, so the three splits disagree."""
    rng = np.random.default_rng(seed)
    picks = np.stack([rng.choice(items, 10, replace=False) for _ in range(users)])
    u = np.repeat(np.arange(users), 10).reshape(users, 10)
    pairs = np.stack([u, picks], -1)
    shape = (users, items)
    return InteractionData(users, items, _csr(pairs[:, :6].reshape(-1, 2), shape),
                           valid=_csr(pairs[:, 6:8].reshape(-1, 2), shape),
                           test=_csr(pairs[:, 8:].reshape(-1, 2), shape), name="tiny")


def _cfg(protocol="honest", **train):
    return from_dict(RecConfig, {"model": "mf", "protocol": protocol, "params": {"dim": 8},
                                 "train": {"progress": False, **train}, "eval": {"ks": [5, 20]},
                                 "data": {"cold_users": "error"}})


def _scores(n_users, n_items, seed=1):
    return torch.from_numpy(np.random.default_rng(seed).random((n_users, n_items)).astype(np.float32))


@pytest.mark.parametrize("protocol", ["honest", "paper"])
def test_selection_and_test_evaluators_follow_the_protocol(protocol):
    data = tiny()
    scores = _scores(data.num_users, data.num_items)
    select, test = evaluators(data, _cfg(protocol), "cpu")
    score_fn = lambda users: scores[users].clone()  # noqa: E731
    on_valid = ranking_metrics(scores, data.valid, exclude=data.train, ks=(5, 20))
    on_test = ranking_metrics(scores, data.test, exclude=data.train + data.valid, ks=(5, 20))
    assert on_valid != on_test  # the check below can tell the splits apart
    assert test.evaluate(score_fn) == pytest.approx(on_test)
    assert select.evaluate(score_fn) == pytest.approx(on_valid if protocol == "honest" else on_test)


def test_honest_run_reports_the_best_weights_scored_on_valid_and_test_once(tmp_path):
    data = tiny()
    res = run(_cfg(epochs=6, lr=0.05, metric="ndcg@20"), out_dir=tmp_path, data=data)
    model = LightGCN(data, _cfg().model_config())
    model.load_state_dict(load_checkpoint(tmp_path / "best.pt")["model"])
    model.eval()
    users = torch.arange(data.num_users)
    scores = model.score(users)
    assert res["valid"] == pytest.approx(ranking_metrics(scores, data.valid, exclude=data.train, ks=(5, 20)))
    assert res["test"] == pytest.approx(ranking_metrics(scores, data.test, exclude=data.train + data.valid, ks=(5, 20)))


def test_run_with_data_and_no_valid_split_carves_one_for_the_honest_protocol():
    data = tiny()
    res = run(_cfg(epochs=1), data=InteractionData(data.num_users, data.num_items, data.train, test=data.test))
    assert res["data"]["valid"] > 0 and res["data"]["train"] + res["data"]["valid"] == data.train.nnz


@pytest.mark.parametrize("split, message", [("valid", "no validation interactions"), ("test", "no test interactions")])
def test_an_empty_split_is_a_clear_error(split, message):
    data = tiny()
    empty = sp.csr_matrix(data.train.shape, dtype=np.float32)
    with pytest.raises(ConfigError, match=message):
        run(_cfg(epochs=1), data=InteractionData(data.num_users, data.num_items, data.train,
                                                 **{"valid": data.valid, "test": data.test, split: empty}))
    with pytest.raises(ValueError, match="no user has ground-truth items"):
        RankingEvaluator(empty)


def test_ranking_metrics_accept_one_shot_iterators():
    scores = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.4]])
    as_lists = ranking_metrics(scores, [[0], [1, 2]], ks=(2,))
    assert ranking_metrics(scores, [iter([0]), iter([1, 2])], ks=(2,)) == as_lists
    assert as_lists["recall@2"] == pytest.approx(1.0)


def test_loading_weights_in_eval_mode_drops_the_cached_embeddings():
    data = tiny()
    model = LightGCN(data, _cfg().model_config())
    model.eval()
    before = model.score(torch.arange(3))
    state = {k: torch.randn_like(v) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert not torch.allclose(model.score(torch.arange(3)), before)


def test_trainer_refuses_a_model_built_for_another_device():
    """``.to()`` would move the parameters and leave the graph behind; no GPU here, so "meta" stands in."""
    model = LightGCN(tiny(), _cfg().model_config(), device="cpu")
    with pytest.raises(ConfigError, match="built on cpu but train.device is meta: build it with device='meta'"):
        Trainer(model, TrainConfig(progress=False, device="meta"), batches=lambda e: [])
    Trainer(model, TrainConfig(progress=False, device="cpu"), batches=lambda e: [])
