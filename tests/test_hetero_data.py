"""Loaders of the HeCo and MEOW layouts: statistics from MANIFEST.md, quirks, clear errors."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphcl.data.hetero import load_heco, load_meow, metapath_counts
from graphcl.errors import DataError
from graphcl.graph.metapath import metapath_adjacency, sparse_matrix

pytestmark = pytest.mark.data



@pytest.fixture(scope="module")
def heco_acm(data_root):
    return load_heco(data_root, "acm")


@pytest.fixture(scope="module")
def meow_acm(data_root):
    return load_meow(data_root, "acm")


def _nnz(data, rel):
    key = next(k for k in data.edge_types if k[1] == rel)
    return data[key].edge_index.shape[1]


def _splits(data, sizes):
    t = data[data.target]
    return [(t[f"train_{s}"].numel(), t[f"val_{s}"].numel(), t[f"test_{s}"].numel()) for s in (20, 40, 60)]


def test_heco_acm_stats(heco_acm):
    d = heco_acm
    assert d.target == "paper"
    assert (d["paper"].num_nodes, d["author"].num_nodes, d["subject"].num_nodes) == (4019, 7167, 60)
    assert (_nnz(d, "pa"), _nnz(d, "ps"), _nnz(d, "pap"), _nnz(d, "psp")) == (13407, 4019, 57853, 4338213)
    assert tuple(d["paper"].x.shape) == (4019, 1902) and tuple(d["author"].x.shape) == (7167, 1902)
    assert d["paper"].y.bincount().tolist() == [1993, 965, 1061]
    assert _splits(d, (20, 40, 60)) == [(60, 1000, 1000), (120, 1000, 1000), (180, 1000, 1000)]
    assert d.metapaths == ["pap", "psp"] and d.schema_types == ["author", "subject"]
    assert _nnz(d, "pos") == 20053


def test_acm_metapaths_from_relations_equal_provided_files(heco_acm, meow_acm):
    # HeCo stores the 0/1 pattern, MEOW the instance counts: both must match the products.
    for mp, types in (("pap", ["paper", "author", "paper"]), ("psp", ["paper", "subject", "paper"])):
        computed = metapath_adjacency(heco_acm, types)
        provided = sparse_matrix(heco_acm["paper", mp, "paper"].edge_index, (4019, 4019))
        assert torch.equal(computed.indices(), provided.indices())
        counts = meow_acm["paper", mp, "paper"]
        assert torch.equal(computed.indices(), counts.edge_index)
        assert torch.equal(computed.values(), counts.edge_weight)


@pytest.mark.slow
def test_heco_dblp_computes_aptpa_and_reads_plain_t_feat(data_root):
    d = load_heco(data_root, "dblp")
    assert d.target == "author"
    assert [d[t].num_nodes for t in ("author", "paper", "term", "conference")] == [4057, 14328, 7723, 20]
    assert (_nnz(d, "pa"), _nnz(d, "pc"), _nnz(d, "pt"), _nnz(d, "apa"), _nnz(d, "apcpa")) == (19645, 14328, 85810, 11113, 5000495)
    assert d.metapaths == ["apa", "apcpa", "aptpa"]
    assert tuple(d["term"].x.shape) == (7723, 50) and not d["term"].x.is_sparse
    assert tuple(d["author"].x.shape) == (4057, 334) and tuple(d["paper"].x.shape) == (14328, 4231)
    # APTPA (absent on disk) equals the torch product of the relations, path counts included.
    computed = metapath_adjacency(d, ["author", "paper", "term", "paper", "author"])
    assert torch.equal(computed.indices(), d["author", "aptpa", "author"].edge_index)
    assert torch.equal(computed.values(), d["author", "aptpa", "author"].edge_weight)
    assert d["author"].y.bincount().numel() == 4
    assert _splits(d, ()) == [(80, 1000, 1000), (160, 1000, 1000), (240, 1000, 1000)]


def test_heco_aminer_and_freebase_stats(data_root):
    a = load_heco(data_root, "aminer")
    assert [a[t].num_nodes for t in ("paper", "author", "reference")] == [6564, 13329, 35890]
    assert (_nnz(a, "pa"), _nnz(a, "pr"), _nnz(a, "pap"), _nnz(a, "prp")) == (18007, 58831, 21976, 129824)
    assert "x" not in a["paper"] and a["paper"].y.bincount().numel() == 4
    f = load_heco(data_root, "freebase")
    assert [f[t].num_nodes for t in ("movie", "actor", "director", "writer")] == [3492, 33401, 2502, 4459]
    assert (_nnz(f, "ma"), _nnz(f, "md"), _nnz(f, "mw")) == (65341, 3762, 6414)
    assert (_nnz(f, "mam"), _nnz(f, "mdm"), _nnz(f, "mwm")) == (254702, 8404, 10706)
    assert f.schema_types == ["director", "actor", "writer"]
    assert _splits(f, ()) == [(60, 1000, 1000), (120, 1000, 1000), (180, 1000, 1000)]


def test_meow_imdb_stats(data_root):
    d = load_meow(data_root, "imdb")
    assert [d[t].num_nodes for t in ("movie", "actor", "director", "keyword")] == [4275, 5432, 2083, 7313]
    assert (_nnz(d, "ma"), _nnz(d, "md"), _nnz(d, "mk")) == (12831, 4181, 20428)
    assert (_nnz(d, "mam"), _nnz(d, "mdm"), _nnz(d, "mkm")) == (81360, 16498, 319435)
    assert tuple(d["movie"].x.shape) == (4275, 5927) and d["movie"].x._nnz() == 48402
    assert d["movie"].y.bincount().tolist() == [1112, 1594, 1569]  # stored as 1..3
    assert ("movie", "pos", "movie") not in d.edge_types


def test_meow_acm_sparse_neighbours(meow_acm):
    assert _nnz(meow_acm, "nei_a") == 13407 and _nnz(meow_acm, "nei_s") == 4019


def _copy_layout(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for f in src.iterdir():
        os.symlink(f, dst / f.name)
    return dst


def test_errors_name_file_and_problem(data_root, tmp_path):
    root = tmp_path / "heco"
    folder = _copy_layout(data_root / "heco" / "acm", root / "acm")
    (folder / "ps.txt").unlink()
    (folder / "ps.txt").write_text("0\t53\n1\tx\n")
    with pytest.raises(DataError) as err:
        load_heco(tmp_path, "acm")
    assert "ps.txt" in str(err.value) and "line 2" in str(err.value)
    (folder / "ps.txt").unlink()
    (folder / "ps.txt").write_text("0\t53\n1\t60\n")
    with pytest.raises(DataError, match=r"ps.txt, line 2: id pair \(1, 60\) out of range"):
        load_heco(tmp_path, "acm")
    os.unlink(folder / "ps.txt")
    os.symlink(data_root / "heco" / "acm" / "ps.txt", folder / "ps.txt")
    (folder / "labels.npy").unlink()
    with pytest.raises(DataError, match=r"labels.npy: file not found"):
        load_heco(tmp_path, "acm")
    np.save(folder / "labels.npy", np.zeros(10))
    with pytest.raises(DataError, match=r"labels.npy: expected 4019 labels"):
        load_heco(tmp_path, "acm")
    with pytest.raises(DataError, match="unknown heco dataset 'imdb'"):
        load_heco(tmp_path, "imdb")


def test_bad_npz_is_a_data_error(data_root, tmp_path):
    folder = _copy_layout(data_root / "heco" / "acm", tmp_path / "heco" / "acm")
    (folder / "pap.npz").unlink()
    (folder / "pap.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"pap.npz: not a scipy sparse .npz file"):
        load_heco(tmp_path, "acm")
    (folder / "pap.npz").unlink()
    sp.save_npz(folder / "pap.npz", sp.eye(5, format="csr"))
    with pytest.raises(DataError, match=r"pap.npz: expected a 4019 x 4019 matrix"):
        load_heco(tmp_path, "acm")


def test_metapath_counts_small_example():
    pa = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
    rel = {"pa": pa, "ap": pa.T.tocsr()}
    counts = metapath_counts(rel, "pap").toarray()
    assert counts.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 1]]
    with pytest.raises(DataError, match="needs relation 'as'"):
        metapath_counts(rel, "pasap")
