"""Clustering metrics on hand-made cases."""
import numpy as np
import pytest

from graphcl.eval.clustering import cluster_acc, clustering_metrics, match_clusters


@pytest.mark.parametrize("perm", [[0, 1, 2], [2, 0, 1], [1, 2, 0], [2, 1, 0]])
def test_perfect_clustering_under_any_permutation_scores_one(perm):
    y = np.array([0, 0, 1, 1, 1, 2, 2, 0, 2])
    pred = np.asarray(perm)[y] + 5  # arbitrary cluster ids
    m = clustering_metrics(y, pred)
    assert m == pytest.approx({"acc": 1.0, "nmi": 1.0, "ari": 1.0, "f1": 1.0})


def test_independent_split_known_values():
    # Contingency [[1,1],[1,1]]: ACC 1/2; NMI 0; ARI (0 - 2*2/6) / (2 - 2*2/6) = -1/2;
    # matched prediction [0,1,0,1] gives per-class F1 1/2.
    m = clustering_metrics([0, 0, 1, 1], [0, 1, 0, 1])
    assert m["acc"] == pytest.approx(0.5)
    assert m["nmi"] == pytest.approx(0.0, abs=1e-12)
    assert m["ari"] == pytest.approx(-0.5)
    assert m["f1"] == pytest.approx(0.5)


def test_hungarian_matching_beats_greedy_majority():
    # Greedy "each cluster -> its majority class" would send both clusters to class 0.
    y = np.array([0, 0, 0, 1, 1, 1])
    pred = np.array([1, 1, 0, 0, 0, 0])
    assert cluster_acc(y, pred) == pytest.approx(5 / 6)
    assert match_clusters(y, pred).tolist() == [0, 0, 1, 1, 1, 1]
    # F1 after matching: class 0 P=1 R=2/3 -> 0.8; class 1 P=3/4 R=1 -> 6/7.
    assert clustering_metrics(y, pred)["f1"] == pytest.approx((0.8 + 6 / 7) / 2)


def test_extra_clusters_count_as_wrong():
    assert cluster_acc([0, 0, 1, 1], [0, 1, 2, 2]) == pytest.approx(0.75)
    assert match_clusters([0, 0, 1, 1], [0, 1, 2, 2]).tolist().count(-1) == 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="labels but"):
        clustering_metrics([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="integer"):
        clustering_metrics([0.5, 1.0], [0, 1])
