"""Ranking metrics against hand-computed values (RecBole 1.2 definitions)."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphcl.eval.ranking import RankingEvaluator, metrics_from_hits, ranking_metrics

L2 = math.log2


def test_single_user_every_metric_by_hand():
    # ranking is items 0..4 in order; relevant items {1, 3} sit at ranks 2 and 4
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.6, 0.5]])
    m = ranking_metrics(scores, [[1, 3]], ks=(1, 2, 3, 5))
    assert m["recall@1"] == 0 and m["ndcg@1"] == 0 and m["mrr@1"] == 0 and m["map@1"] == 0
    assert m["recall@2"] == pytest.approx(0.5)
    assert m["precision@2"] == pytest.approx(0.5)
    assert m["precision@3"] == pytest.approx(1 / 3)
    assert m["hit@2"] == 1.0
    assert m["mrr@5"] == pytest.approx(0.5)
    assert m["ndcg@2"] == pytest.approx((1 / L2(3)) / (1 + 1 / L2(3)))
    assert m["ndcg@5"] == pytest.approx((1 / L2(3) + 1 / L2(5)) / (1 + 1 / L2(3)))
    # MAP@K = sum over hit ranks of precision@rank / min(K, n)
    assert m["map@2"] == pytest.approx((1 / 2) / 2)
    assert m["map@5"] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert m["recall@5"] == 1.0


def test_recall_divides_by_all_truth_not_min_k():
    # 4 relevant items, K=2, both top items relevant: RecBole recall = 2/4, not 2/2
    scores = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0]])
    m = ranking_metrics(scores, [[0, 1, 2, 3]], ks=(2,))
    assert m["recall@2"] == pytest.approx(0.5)
    assert m["ndcg@2"] == pytest.approx(1.0)  # IDCG uses min(K, n) = 2 ideal hits
    assert m["map@2"] == pytest.approx(1.0)


def test_users_without_truth_are_skipped_and_average_is_over_users():
    scores = torch.tensor([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    truth = [[0], [], [0]]  # user 1 has no truth; user 2 ranks item 0 last
    m = ranking_metrics(scores, truth, ks=(1, 3))
    assert m["hit@1"] == pytest.approx(0.5)
    assert m["mrr@3"] == pytest.approx((1 + 1 / 3) / 2)
    assert m["ndcg@3"] == pytest.approx((1 + 1 / L2(4)) / 2)


def test_exclusion_masks_history():
    scores = torch.tensor([[9.0, 8.0, 7.0, 1.0]])
    m = ranking_metrics(scores, [[2]], exclude=[[0, 1]], ks=(1,))
    assert m["hit@1"] == 1.0 and m["precision@1"] == 1.0


def test_k_larger_than_catalogue():
    scores = torch.tensor([[0.1, 0.9, 0.5]])
    m = ranking_metrics(scores, [[0]], ks=(10,))
    # item 0 is ranked 3rd; ranks 4..10 do not exist and count as misses
    assert m["recall@10"] == 1.0
    assert m["precision@10"] == pytest.approx(0.1)
    assert m["mrr@10"] == pytest.approx(1 / 3)
    assert m["ndcg@10"] == pytest.approx(1 / L2(4))


def test_ties_follow_topk_order_and_metrics_use_the_hit_matrix():
    hits = torch.tensor([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 1]])
    n = torch.tensor([2, 3, 5])
    m = metrics_from_hits(hits, n, ks=(4,))
    assert m["recall@4"].tolist() == pytest.approx([1.0, 0.0, 3 / 5])
    assert m["mrr@4"].tolist() == pytest.approx([1.0, 0.0, 0.5])
    ap3 = (1 / 2 + 2 / 3 + 3 / 4) / 4
    assert m["map@4"].tolist() == pytest.approx([(1 + 2 / 3) / 2, 0.0, ap3])
    idcg = sum(1 / L2(i + 1) for i in range(1, 5))
    assert m["ndcg@4"][2].item() == pytest.approx((1 / L2(3) + 1 / L2(4) + 1 / L2(5)) / idcg)


def test_evaluator_chunks_equal_dense_function():
    rng = np.random.default_rng(0)
    n_users, n_items = 57, 40
    train = sp.random(n_users, n_items, density=0.2, random_state=1, format="csr")
    train.data[:] = 1
    test = sp.random(n_users, n_items, density=0.1, random_state=2, format="csr")
    test = test - test.multiply(train)
    test.eliminate_zeros()
    test.data[:] = 1
    scores = torch.from_numpy(rng.standard_normal((n_users, n_items))).float()
    expected = ranking_metrics(scores, test, exclude=train, ks=(1, 5, 20))
    ev = RankingEvaluator(test, exclude=[train], ks=(1, 5, 20), chunk_size=7)
    got = ev.evaluate(lambda users: scores[users])
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k], abs=1e-12)


def test_unknown_metric_is_rejected():
    with pytest.raises(ValueError, match="unknown metric"):
        ranking_metrics(torch.ones(1, 3), [[0]], ks=(1,), metrics=("auc",))


def test_evaluator_copies_views_instead_of_masking_them_in_place():
    popularity = torch.tensor([5.0, 4.0, 3.0, 2.0])
    train = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32))
    test = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32))
    ev = RankingEvaluator(test, exclude=[train], ks=(1,))
    m = ev.evaluate(lambda users: popularity.expand(len(users), -1))
    assert m["hit@1"] == 1.0
    assert popularity.tolist() == [5.0, 4.0, 3.0, 2.0]


def test_ranking_metrics_leaves_the_callers_scores_untouched():
    scores = torch.tensor([[9.0, 8.0, 7.0, 1.0]])
    ranking_metrics(scores, [[2]], exclude=[[0, 1]], ks=(1,))
    assert scores.tolist() == [[9.0, 8.0, 7.0, 1.0]]
