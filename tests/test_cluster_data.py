"""Loaders of the clustering datasets: real benchmark stats (GRAPHCL_DATA) and bad user files."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphcl.data.node_files import load_node_files
from graphcl.data.planetoid import load_planetoid
from graphcl.data.sbm import planted_partition
from graphcl.data.sdcn import load_sdcn
from graphcl.errors import DataError


def _undirected_stats(edge_index):
    loops = int((edge_index[0] == edge_index[1]).sum())
    return (edge_index.shape[1] - loops) // 2, loops


@pytest.mark.data
@pytest.mark.parametrize("name,nodes,edges,loops,feats,classes,n_train", [
    ("cora", 2708, 5278, 0, 1433, 7, 140),
    ("citeseer", 3327, 4552, 124, 3703, 6, 120),
])
def test_planetoid_matches_manifest(data_root, name, nodes, edges, loops, feats, classes, n_train):
    d = load_planetoid(data_root, name)
    assert tuple(d.x.shape) == (nodes, feats)
    assert d.y.shape == (nodes,) and d.num_classes == classes and int(d.y.max()) == classes - 1
    assert _undirected_stats(d.edge_index) == (edges, loops)
    assert int(d.train_mask.sum()) == n_train and int(d.test_mask.sum()) == 1000
    # symmetric
    fwd = set(map(tuple, d.edge_index.T.tolist()))
    assert all((v, u) in fwd for u, v in fwd)


@pytest.mark.data
def test_planetoid_feature_rows_follow_test_index(data_root):
    d = load_planetoid(data_root, "cora")
    with open(data_root / "planetoid" / "ind.cora.tx", "rb") as fh:
        tx = pickle.load(fh, encoding="latin1")
    first_test = int(open(data_root / "planetoid" / "ind.cora.test.index").readline())
    np.testing.assert_array_equal(d.x[first_test].numpy(), np.asarray(tx[0].todense()).ravel())


@pytest.mark.data
def test_pubmed_reports_incomplete(data_root):
    with pytest.raises(DataError, match="ind.pubmed.allx.*incomplete"):
        load_planetoid(data_root, "pubmed")


@pytest.mark.data
@pytest.mark.parametrize("name,nodes,edges,classes,feats,nnz", [
    ("acm", 3025, 13128, 3, 1870, 253300),
    ("dblp", 4057, 3528, 4, 334, 48810),
    ("cite", 3327, 4552, 6, 3703, None),
])
def test_sdcn_matches_manifest(data_root, name, nodes, edges, classes, feats, nnz):
    d = load_sdcn(data_root, name)
    assert tuple(d.x.shape) == (nodes, feats)
    assert _undirected_stats(d.edge_index) == (edges, 0)
    assert d.num_classes == classes and sorted(d.y.unique().tolist()) == list(range(classes))
    if nnz is not None:
        assert int((d.x != 0).sum()) == nnz
    labels = np.loadtxt(data_root / "sdcn" / "data" / f"{name}_label.txt", dtype=np.int64)
    np.testing.assert_array_equal(d.y.numpy(), labels - labels.min())


@pytest.mark.data
@pytest.mark.parametrize("name", ["usps", "hhar", "reut"])
def test_sdcn_without_features_says_so(data_root, name):
    with pytest.raises(DataError, match=f"features of {name} are not available"):
        load_sdcn(data_root, name)


def test_sdcn_bad_node_id_names_its_file_line(tmp_path):
    """Blank lines are skipped when reading, but the error still names the line in the file."""
    (tmp_path / "data").mkdir()
    (tmp_path / "graph").mkdir()
    (tmp_path / "data" / "acm_label.txt").write_text("0\n1\n0\n1\n")
    (tmp_path / "graph" / "acm_graph.txt").write_text("0 1\n\n1 2\n\n2 9\n")
    with pytest.raises(DataError, match=r"acm_graph.txt, line 5: node id outside \[0, 4\)"):
        load_sdcn(tmp_path, "acm")


def test_planetoid_refuses_code_in_pickles(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    for part in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        with open(tmp_path / f"ind.cora.{part}", "wb") as fh:
            pickle.dump(Evil(), fh)
    (tmp_path / "ind.cora.test.index").write_text("0\n")
    with pytest.raises(DataError, match="ind.cora.x.*not allowed"):
        load_planetoid(tmp_path, "cora")


def test_planetoid_missing_file(tmp_path):
    with pytest.raises(DataError, match="ind.cora.x: file not found"):
        load_planetoid(tmp_path, "cora")


# -- user graph files ---------------------------------------------------------------------

@pytest.fixture
def user_graph(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "edges.txt").write_text("# comment\n0 1\n1,2\n\n2 3\n3 3\n1 0\n")
    (tmp_path / "labels.txt").write_text("7\n7\n9\n9\n")
    return tmp_path


def test_user_graph_roundtrip(user_graph):
    d = load_node_files(user_graph / "edges.txt", user_graph / "x.npy", user_graph / "labels.txt")
    assert d.edge_index.tolist() == [[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]
    assert d.y.tolist() == [0, 0, 1, 1] and d.num_classes == 2
    assert d.x.dtype == torch.float32 and d.x[3, 2] == 11


def test_user_graph_sparse_npz(user_graph):
    sp.save_npz(user_graph / "x.npz", sp.csr_matrix(np.eye(4, dtype=np.float32)))
    d = load_node_files(user_graph / "edges.txt", user_graph / "x.npz")
    torch.testing.assert_close(d.x, torch.eye(4))
    assert getattr(d, "y", None) is None


@pytest.mark.parametrize("content,match", [
    ("0 1\n1 2 3\n", r"edges.txt, line 2: expected 'src dst', got 3 field"),
    ("0 1\na b\n", r"edges.txt, line 2: node ids must be integers"),
    ("0 1\n\n2 9\n", r"edges.txt, line 3: node id 9 outside \[0, 4\)"),
    ("0 -1\n", r"edges.txt, line 1: node id -1 outside"),
    ("# only a comment\n", r"edges.txt: no edges"),
])
def test_bad_edge_files(user_graph, content, match):
    (user_graph / "edges.txt").write_text(content)
    with pytest.raises(DataError, match=match):
        load_node_files(user_graph / "edges.txt", user_graph / "x.npy")


def test_bad_feature_and_label_files(user_graph):
    np.save(user_graph / "vec.npy", np.zeros(4))
    with pytest.raises(DataError, match=r"vec.npy: expected a 2-D feature matrix"):
        load_node_files(user_graph / "edges.txt", user_graph / "vec.npy")
    (user_graph / "x.csv").write_text("1,2\n")
    with pytest.raises(DataError, match=r"x.csv: unsupported feature format"):
        load_node_files(user_graph / "edges.txt", user_graph / "x.csv")
    (user_graph / "broken.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match=r"broken.npy: cannot read"):
        load_node_files(user_graph / "edges.txt", user_graph / "broken.npy")
    np.savez(user_graph / "two.npz", a=np.zeros((4, 2)), b=np.zeros((4, 2)))
    with pytest.raises(DataError, match=r"two.npz: expected a scipy sparse matrix or a single array"):
        load_node_files(user_graph / "edges.txt", user_graph / "two.npz")
    bad = np.ones((4, 3)); bad[2, 1] = np.nan
    np.save(user_graph / "nan.npy", bad)
    with pytest.raises(DataError, match=r"nan.npy: non-finite feature value in row 2"):
        load_node_files(user_graph / "edges.txt", user_graph / "nan.npy")
    (user_graph / "labels.txt").write_text("1\n2\nx\n3\n")
    with pytest.raises(DataError, match=r"labels.txt, line 3: expected one integer label"):
        load_node_files(user_graph / "edges.txt", user_graph / "x.npy", user_graph / "labels.txt")
    (user_graph / "labels.txt").write_text("1\n2\n")
    with pytest.raises(DataError, match=r"labels.txt: 2 labels for 4 nodes"):
        load_node_files(user_graph / "edges.txt", user_graph / "x.npy", user_graph / "labels.txt")
    with pytest.raises(DataError, match=r"missing.npy: feature file not found"):
        load_node_files(user_graph / "edges.txt", user_graph / "missing.npy")


def test_planted_partition_degrees_and_blocks():
    d = planted_partition(3000, 3, degree_in=8, degree_out=1, num_features=5, seed=0)
    src, dst = d.edge_index
    same = (d.y[src] == d.y[dst]).float().mean().item()
    assert 0.85 < same < 0.92  # expected 8 / 9
    assert 8.0 < d.edge_index.shape[1] / 3000 < 9.2  # mean degree ~9 minus collapsed duplicates
    assert (src != dst).all() and d.y.bincount().tolist() == [1000, 1000, 1000]
