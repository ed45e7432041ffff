"""graphcl against the real RecBole 1.2 package: metrics, data splits, adapters, compat shims.

Every RecBole value here comes from RecBole's own classes (``recbole.evaluator.metrics``,
``Collector``, ``Dataset``, ``Trainer``); nothing of RecBole is re-implemented in the tests.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphcl.errors import ConfigError, DataError
from graphcl.eval.ranking import RankingEvaluator, ranking_metrics

pytestmark = [
    pytest.mark.recbole,
    pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="recbole is not installed"),
]

from graphcl.integrations.recbole import (  # noqa: E402 - recbole is imported lazily inside
    RecboleDataOptions, parse_intervals, read_recbole_dataset, recbole_compat, recbole_model, within_intervals)

KS = [1, 5, 10, 20, 50]
METRIC_CLASSES = {"recall": "Recall", "ndcg": "NDCG", "precision": "Precision", "hit": "Hit", "mrr": "MRR", "map": "MAP"}


@pytest.fixture
def compat():
    """RecBole shims plus one torch thread (RecBole's tiny eval matmuls crawl with oversubscribed threads)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with recbole_compat():
            yield
    finally:
        torch.set_num_threads(threads)


def _ml100k_root() -> Path:
    from graphcl.data.bundled import ml100k_path

    return ml100k_path().parent.parent


# ------------------------------------------------------------------------------ metrics
def _recbole_metrics(scores: torch.Tensor, truth: sp.csr_matrix, ks) -> dict:
    """RecBole's Collector builds the top-K hit matrix; RecBole's metric classes score it."""
    from recbole.evaluator import metrics as rb
    from recbole.evaluator.collector import Collector

    cfg = {"metrics": list(METRIC_CLASSES.values()), "topk": list(ks), "eval_args": {"mode": "full"},
           "device": torch.device("cpu"), "metric_decimal_place": 12}
    users = np.flatnonzero(np.diff(truth.indptr) > 0)  # RecBole evaluates users with test items
    sub = truth[users].tocoo()
    collector = Collector(cfg)
    collector.eval_batch_collect(scores[torch.from_numpy(users)], None,
                                 torch.from_numpy(sub.row.astype(np.int64)), torch.from_numpy(sub.col.astype(np.int64)))
    struct = collector.get_data_struct()
    out = {}
    for cls_name in METRIC_CLASSES.values():
        out.update(getattr(rb, cls_name)(cfg).calculate_metric(struct))
    return out


def _random_case(seed: int, n_users=120, n_items=90):
    """Scores on a 5-level grid (many ties), ragged truth (0..12 items), disjoint history."""
    rng = np.random.default_rng(seed)
    scores = torch.from_numpy(rng.integers(0, 5, size=(n_users, n_items)).astype(np.float32))
    history = sp.random(n_users, n_items, density=0.2, format="csr", random_state=seed, dtype=np.float32)
    history.data[:] = 1
    rows, cols = [], []
    for u in range(n_users):
        free = np.setdiff1d(np.arange(n_items), history[u].indices)
        k = rng.integers(0, 13)
        picked = rng.choice(free, size=min(k, len(free)), replace=False)
        rows += [u] * len(picked)
        cols += list(picked)
    truth = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))
    return scores, truth, history


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_recbole_metric_classes(compat, seed):
    scores, truth, history = _random_case(seed)
    assert (np.diff(truth.indptr) == 0).any() and np.diff(truth.indptr).max() > 10  # ragged, some empty
    masked = scores.clone()
    hu, hi = history.nonzero()
    masked[torch.from_numpy(hu), torch.from_numpy(hi)] = -float("inf")  # RecBole's Trainer does this
    expected = _recbole_metrics(masked, truth, KS)
    got = ranking_metrics(scores, truth, exclude=history, ks=KS)
    chunked = RankingEvaluator(truth, exclude=[history], ks=KS, chunk_size=17).evaluate(lambda u: scores[u])
    assert set(expected) == set(got) == {f"{m}@{k}" for m in METRIC_CLASSES for k in KS}
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key
        assert chunked[key] == pytest.approx(value, abs=1e-6), key
    assert 0 < expected["recall@10"] < 1 and expected["hit@50"] > expected["hit@1"]


def test_ratio_counts_equal_recbole_calcu_split_ids(compat):
    from recbole.data.dataset import Dataset

    from graphcl.data.interaction import ratio_split_counts

    totals = np.arange(0, 400)
    for ratios in ([0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.6, 0.2, 0.2], [0.9, 0.1], [0.5, 0.25, 0.25]):
        got = np.cumsum(ratio_split_counts(totals, ratios), axis=1)[:, :-1]
        expected = np.array([Dataset._calcu_split_ids(None, int(t), ratios) for t in totals])
        np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------------------ data
def _recbole_splits(config_dict: dict, dataset: str, data_path: Path):
    """Per-split user/item token pairs and the id->token arrays from RecBole's ``Dataset.build``
    (the split ``data_preparation`` uses; it only accepts 3 ratios, ``build`` any number)."""
    from recbole.config import Config
    from recbole.data import create_dataset
    from recbole.utils import init_seed

    cfg = Config(model="BPR", dataset=dataset, config_dict={
        "data_path": str(data_path), "use_gpu": False, "show_progress": False, "state": "ERROR", **config_dict})
    init_seed(cfg["seed"], cfg["reproducibility"])
    ds = create_dataset(cfg)
    rows = [ds.id2token(f, ds.inter_feat[f].to_numpy()).tolist() for f in ("user_id", "item_id")]
    out = [list(zip(*rows))]  # the filtered rows in file order, then each split as a sorted set
    for d in ds.build():
        u = d.id2token("user_id", d.inter_feat["user_id"].numpy())
        i = d.id2token("item_id", d.inter_feat["item_id"].numpy())
        out.append(sorted(set(zip(u.tolist(), i.tolist()))))
    return out, ds.field2id_token["user_id"][1:], ds.field2id_token["item_id"][1:]


def _graphcl_splits(result):
    """Same layout as :func:`_recbole_splits` (duplicates collapse in graphcl's binary matrices)."""
    data = result.data
    out = [list(zip(result.filtered["user_id"].tolist(), result.filtered["item_id"].tolist()))]
    for mat in (data.train, data.valid, data.test):
        if mat is None:
            out.append([])
            continue
        coo = mat.tocoo()
        out.append(sorted(zip(result.user_tokens[coo.row].tolist(), result.item_tokens[coo.col].tolist())))
    return out


@pytest.mark.parametrize("options", [
    {"user_inter_num_interval": "[10,inf)", "item_inter_num_interval": "[10,inf)", "val_interval": {"rating": "[3,inf)"}},
    {"eval_args": {"split": {"RS": [0.7, 0.2, 0.1]}, "order": "TO", "group_by": "user", "mode": "full"}, "seed": 7,
     "item_inter_num_interval": "(5,300]", "normalize_all": True},
])
def test_ml100k_split_identical_to_recbole(compat, options):
    root = _ml100k_root()
    expected, users, items = _recbole_splits(options, "ml-100k", root)
    result = read_recbole_dataset(root / "ml-100k", options=options)
    assert list(result.user_tokens) == list(users) and list(result.item_tokens) == list(items)
    got = _graphcl_splits(result)
    for name, e, g in zip(("filtered", "train", "valid", "test"), expected, got):
        assert len(e) > 1000
        assert g == e, name


def _write_atomic(folder: Path, name: str) -> None:
    """A small dataset exercising every filter: missing ratings and ids, unknown users and items,
    feature-only users/items, count intervals that need several rounds, timestamps with ties."""
    rng = np.random.default_rng(3)
    folder.mkdir()
    rows = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    for _ in range(3000):
        u, i = f"u{int(rng.zipf(1.6)) % 70}", f"i{int(rng.zipf(1.4)) % 60}"
        r = "" if rng.random() < 0.03 else str(int(rng.integers(1, 6)))
        rows.append(f"{u}\t{i}\t{r}\t{int(rng.integers(0, 400))}")
    rows.append("\ti5\t4\t10")  # missing user id
    (folder / f"{name}.inter").write_text("\n".join(rows) + "\n")
    users = [f"u{k}" for k in range(0, 75) if k != 3]  # u3 unknown; u70..u74 feature-only
    (folder / f"{name}.user").write_text("user_id:token\tage:float\n" + "\n".join(f"{u}\t{k}" for k, u in enumerate(users)) + "\n")
    items = [f"i{k}" for k in range(0, 64) if k != 7]
    (folder / f"{name}.item").write_text("item_id:token\tclass:token\n" + "\n".join(f"{i}\tc" for i in items) + "\n")


@pytest.mark.parametrize("options", [
    {"user_inter_num_interval": "[5,inf)", "item_inter_num_interval": "[8,200)", "val_interval": {"rating": "[2,inf)"},
     "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]}},
    {"load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"], "user": ["user_id", "age"],
                  "item": ["item_id", "class"]},
     "user_inter_num_interval": "[3,60]", "item_inter_num_interval": "[4,inf)", "val_interval": {"rating": "(1,5]"},
     "eval_args": {"split": {"RS": [0.8, 0.2]}, "order": "TO", "group_by": "user", "mode": "full"}},
    {"load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"], "user": ["user_id", "age"],
                  "item": ["item_id", "class"]}, "seed": 11},
])
def test_synthetic_folder_split_identical_to_recbole(compat, tmp_path, options):
    _write_atomic(tmp_path / "toy", "toy")
    expected, users, items = _recbole_splits(options, "toy", tmp_path)
    if len(expected) == 3:  # filtered rows, train, test
        expected.insert(2, [])
    result = read_recbole_dataset(tmp_path / "toy", options=options)
    assert list(result.user_tokens) == list(users) and list(result.item_tokens) == list(items)
    got = _graphcl_splits(result)
    for name, e, g in zip(("filtered", "train", "valid", "test"), expected, got):
        assert g == e, name
    assert len(expected[3]) > 50 and len(expected[0]) > len(set(expected[0]))  # duplicates kept


def test_reader_rejects_bad_options_with_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="user_inter_num_interval.*'\\[10,inf'"):
        RecboleDataOptions(user_inter_num_interval="[10,inf")
    with pytest.raises(ConfigError, match="rm_dup_inter"):
        RecboleDataOptions.from_recbole({"rm_dup_inter": "first"})
    with pytest.raises(ConfigError, match="LS"):
        RecboleDataOptions.from_recbole({"eval_args": {"split": {"LS": "valid_and_test"}}})
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "bad.inter").write_text("user:token\titem_id:token\nu\ti\n")
    with pytest.raises(DataError, match="bad.inter.*column 'user_id' not found"):
        read_recbole_dataset(folder)
    (folder / "bad.inter").write_text("user_id:token\titem_id:token\ttimestamp:float\nu\ti\t1\n")
    with pytest.raises(DataError, match="no interaction is left"):
        read_recbole_dataset(folder, options={"user_inter_num_interval": "[2,inf)"})


def test_interval_parsing_and_membership():
    iv = parse_intervals("(0,1];[3,4)", "x")
    assert iv == [("(", 0.0, 1.0, "]"), ("[", 3.0, 4.0, ")")]
    np.testing.assert_array_equal(within_intervals(np.array([0, 0.5, 1, 2, 3, 4, np.nan]), iv),
                                  [False, True, True, False, True, False, False])
    assert parse_intervals("[10,inf)", "x")[0][2] == float("inf")


# ------------------------------------------------------------------------------ compat
def test_compat_is_undone_on_exit():
    from recbole.data.dataset import Dataset

    before = {n: vars(np).get(n) for n in ("float_", "float", "int", "bool", "long", "object")}
    fill = Dataset.__dict__["_fill_nan"]
    env = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    with recbole_compat():
        from recbole.config import Config

        Config(model="BPR", dataset="ml-100k", config_dict={"data_path": str(_ml100k_root()), "use_gpu": False})
        assert np.float is np.float64 and hasattr(sp.dok_matrix, "_update")
        assert Dataset.__dict__["_fill_nan"] is not fill
        assert os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] == "1"
    assert {n: vars(np).get(n) for n in before} == before
    assert not hasattr(sp.dok_matrix, "_update")
    assert Dataset.__dict__["_fill_nan"] is fill
    assert os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD") == env


def test_compat_fills_missing_ratings_with_the_mean(compat, tmp_path):
    """pandas 3 made RecBole's chained fillna(inplace=True) a no-op; the shim restores it."""
    from recbole.config import Config
    from recbole.data import create_dataset

    folder = tmp_path / "nan"
    folder.mkdir()
    (folder / "nan.inter").write_text("user_id:token\titem_id:token\trating:float\n"
                                      "a\tx\t1\nb\ty\t\na\ty\t5\nb\tx\t3\n")
    cfg = Config(model="BPR", dataset="nan", config_dict={
        "data_path": str(tmp_path), "use_gpu": False, "normalize_all": False, "state": "ERROR",
        "load_col": {"inter": ["user_id", "item_id", "rating"]}})
    ratings = create_dataset(cfg).inter_feat["rating"].to_numpy()
    np.testing.assert_allclose(sorted(ratings), [1, 3, 3, 5])


def test_graphcl_core_never_imports_recbole():
    code = ("import sys, graphcl, graphcl.tasks.recommend, graphcl.cli, graphcl.integrations.recbole\n"
            "from graphcl.models.registry import available_models, get_model\n"
            "[get_model(m) for m in available_models()]\n"
            "assert not [m for m in sys.modules if m.split('.')[0] == 'recbole'], 'recbole imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ------------------------------------------------------------------------------ adapters
def _toy_recbole(tmp_path, model_cls, extra=None):
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed

    _write_atomic(tmp_path / "toy", "toy")
    cfg = Config(model=model_cls, dataset="toy", config_dict={
        "data_path": str(tmp_path), "use_gpu": False, "show_progress": False, "state": "ERROR",
        "checkpoint_dir": str(tmp_path / "saved"), "epochs": 2, "train_batch_size": 512,
        "learning_rate": 0.01, "topk": [10], "metrics": ["Recall", "NDCG"], "valid_metric": "NDCG@10",
        "user_inter_num_interval": "[5,100]", "item_inter_num_interval": "[5,inf)", **(extra or {})})
    init_seed(cfg["seed"], cfg["reproducibility"])
    train, valid, test = data_preparation(cfg, create_dataset(cfg))
    return cfg, train, valid, test


@pytest.mark.parametrize("name", ["lightgcn", "mf", "sgl", "simgcl", "xsimgcl", "lightgcl"])
def test_adapter_trains_through_recbole_trainer(compat, tmp_path, name):
    from recbole.data.interaction import Interaction
    from recbole.trainer import Trainer

    from graphcl.models.registry import MODELS

    if name not in MODELS:
        pytest.skip(f"{name} is not registered yet")
    model_cls = recbole_model(name)
    assert model_cls.__name__.startswith("Graphcl") and model_cls is recbole_model(name.upper())
    cfg, train, valid, test = _toy_recbole(tmp_path, model_cls, {"graphcl": {"dim": 16, "layers": 1}})
    torch.manual_seed(0)
    model = model_cls(cfg, train.dataset).to(cfg["device"])
    assert (model.n_users, model.n_items) == (train.dataset.user_num, train.dataset.item_num)
    trainer = Trainer(cfg, model)
    trainer.fit(train, valid, saved=True, show_progress=False)
    losses = [trainer.train_loss_dict[e] for e in sorted(trainer.train_loss_dict)]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert model.epoch == 1
    result = trainer.evaluate(test, load_best_model=True, show_progress=False)
    assert set(result) == {"recall@10", "ndcg@10"} and result["ndcg@10"] > 0
    # RecBole's score entry points agree with graphcl's own scoring of the inner model.
    model.eval()
    users = torch.tensor([1, 2, 3])
    inter = Interaction({"user_id": users.repeat_interleave(2), "item_id": torch.tensor([1, 4, 2, 5, 3, 6])})
    full = model.full_sort_predict(Interaction({"user_id": users})).view(3, -1)
    torch.testing.assert_close(full, model.graphcl_model.score(users))
    torch.testing.assert_close(model.predict(inter), full[torch.arange(3).repeat_interleave(2), inter["item_id"]])


def test_adapter_rejects_unknown_hyperparameter(compat, tmp_path):
    cls = recbole_model("lightgcn")
    cfg, train, _, _ = _toy_recbole(tmp_path, cls, {"graphcl": {"dimension": 8}})
    with pytest.raises(ConfigError, match="dimension"):
        cls(cfg, train.dataset)
    with pytest.raises(ConfigError, match="not a trainable recommender"):
        recbole_model("pop")


@pytest.mark.slow
def test_recbole_full_sort_eval_equals_graphcl_on_its_scores(compat, tmp_path):
    """Train RecBole's own LightGCN, then score its test set with RecBole and with graphcl."""
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.model.general_recommender import LightGCN
    from recbole.trainer import Trainer
    from recbole.utils import init_seed

    metrics = list(METRIC_CLASSES.values())
    cfg = Config(model="LightGCN", dataset="ml-100k", config_dict={
        "data_path": str(_ml100k_root()), "use_gpu": False, "show_progress": False, "state": "ERROR",
        "checkpoint_dir": str(tmp_path), "epochs": 2, "learning_rate": 0.01, "n_layers": 1,
        "topk": KS, "metrics": metrics, "valid_metric": "NDCG@10", "metric_decimal_place": 12,
        "eval_batch_size": 1 << 20})
    init_seed(cfg["seed"], cfg["reproducibility"])
    train, valid, test = data_preparation(cfg, create_dataset(cfg))
    model = LightGCN(cfg, train.dataset).to(cfg["device"])
    trainer = Trainer(cfg, model)
    trainer.fit(train, valid, saved=True, show_progress=False)
    expected = trainer.evaluate(test, load_best_model=True, show_progress=False)

    model.eval()
    n_users = train.dataset.user_num
    with torch.no_grad():
        scores = model.full_sort_predict({"user_id": torch.arange(n_users)}).view(n_users, -1)[1:, 1:]
    mats = [d.dataset.inter_matrix(form="csr")[1:, 1:] for d in (train, valid, test)]
    got = ranking_metrics(scores, mats[2], exclude=mats[0] + mats[1], ks=KS)
    assert expected["recall@20"] > 0.05  # a trained model, not noise
    for key, value in expected.items():
        assert got[key] == pytest.approx(float(value), abs=1e-6), key


def test_adapter_classes_are_importable_by_name():
    """RecBole pickles its config (with the model class) into checkpoints; the classes must resolve."""
    import pickle

    import graphcl.integrations.recbole as integration

    for name in ("lightgcn", "sgl"):
        cls = recbole_model(name)
        assert pickle.loads(pickle.dumps(cls)) is cls
        assert getattr(integration, cls.__name__) is cls
    base = integration.GraphclRecommender
    assert pickle.loads(pickle.dumps(base)) is base and issubclass(cls, base)
    with pytest.raises(AttributeError):
        integration.GraphclNoSuchModel
