"""Recommendation file formats (SELFRec/SGL pairs, LastFM, LightGCL pickles) and the restricted unpickler."""
import collections
import os
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from graphcl.data.interaction import InteractionData
from graphcl.data.rec_formats import read_lastfm, read_lightgcl_matrix, read_pairs, remap_ids
from graphcl.data.safe_pickle import load_pickle
from graphcl.errors import DataError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# -- SELFRec / SGL pairs -----------------------------------------------------------------
def test_pairs_whitespace_with_ratings_and_blank_lines(tmp_path):
    path = write(tmp_path, "train.txt", "5 7 4\n\n5 9 5.0\n2 7 4\n")
    users, items = read_pairs(path)
    assert users.tolist() == [5, 5, 2] and items.tolist() == [7, 9, 7]
    assert users.dtype == np.int64


def test_pairs_comma_separated(tmp_path):
    users, items = read_pairs(write(tmp_path, "x.test", "0,3\n1,0\n1,2\n"), sep=",")
    assert users.tolist() == [0, 1, 1] and items.tolist() == [3, 0, 2]


@pytest.mark.parametrize("text, kwargs, problem, line", [
    ("0 1\n1 x\n", {}, "expected an integer item id, found 'x'", 2),
    ("user item\n0 1\n", {}, "expected an integer user id, found 'user' (this format has no header line)", 1),
    ("0 1\n-3 2\n", {}, "user id -3 out of range (expected >= 0)", 2),
    ("0 1\n1 5\n", {"num_items": 5}, "item id 5 out of range (expected in [0, 5))", 2),
    ("0 1\n1 2 3 4\n", {}, "expected 2 or 3 fields (user item [rating]), found 4", 2),
    ("0 1\n1\n", {}, "expected 2 or 3 fields (user item [rating]), found 1", 2),
    ("0 1 4\n1 2 good\n", {}, "expected a numeric rating, found 'good'", 2),
    ("\n  \n", {}, "file is empty (expected user item [rating])", None),
    ("0 1.5\n", {}, "expected an integer item id, found '1.5'", 1),
])
def test_pairs_bad_input(tmp_path, text, kwargs, problem, line):
    path = write(tmp_path, "train.txt", text)
    with pytest.raises(DataError) as info:
        read_pairs(path, **kwargs)
    assert info.value.problem == problem
    assert info.value.line == line
    assert info.value.path == str(path)


def test_pairs_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_pairs(tmp_path / "nope.txt")


def test_remap_follows_first_appearance_and_drops_unknown_test_ids():
    train = (np.array([10, 10, 3]), np.array([7, 8, 7]))
    test = (np.array([3, 99, 10]), np.array([8, 7, 42]))
    (tr, te), n_users, n_items = remap_ids(train, test)
    assert (n_users, n_items) == (2, 2)
    assert tr[0].tolist() == [0, 0, 1] and tr[1].tolist() == [0, 1, 0]
    # (99, 7): unknown user, (10, 42): unknown item -> dropped; (3, 8) -> (1, 1)
    assert te[0].tolist() == [1] and te[1].tolist() == [1]


# -- LastFM ------------------------------------------------------------------------------
def test_lastfm_is_one_based_with_float_weights(tmp_path):
    path = write(tmp_path, "data1.txt", "1\t4\t993\n3\t1\t3.2466e+05\n")
    users, items = read_lastfm(path, num_users=3, num_items=4)
    assert users.tolist() == [0, 2] and items.tolist() == [3, 0]


@pytest.mark.parametrize("text, problem, line", [
    ("1\t2\t5\n0\t1\t5\n", "user id 0 out of range (expected in [1, 4))", 2),
    ("1\t2\t5\n1\t9\t5\n", "artist id 9 out of range (expected in [1, 6))", 2),
    ("1\t2\t5\n1\t2\tlots\n", "expected a numeric weight, found 'lots'", 2),
    ("1 2 5\n", "expected 3 fields (user<TAB>artist<TAB>weight), found 1", 1),
])
def test_lastfm_bad_input(tmp_path, text, problem, line):
    path = write(tmp_path, "data1.txt", text)
    with pytest.raises(DataError) as info:
        read_lastfm(path, num_users=3, num_items=5)
    assert (info.value.problem, info.value.line) == (problem, line)


# -- LightGCL pickles and the restricted unpickler -------------------------------------------
def test_lightgcl_matrix_is_binarised_csr(tmp_path):
    coo = sp.coo_matrix((np.array([2.0, 1.0, 0.0, 1.0]), (np.array([0, 1, 1, 0]), np.array([1, 2, 0, 1]))), shape=(2, 3))
    path = tmp_path / "trnMat.pkl"
    with open(path, "wb") as fh:
        pickle.dump(coo, fh)
    mat = read_lightgcl_matrix(path)
    assert isinstance(mat, sp.csr_matrix) and mat.dtype == np.float32
    # duplicate (0,1) entries are summed then binarised; the explicit zero is dropped
    assert mat.toarray().tolist() == [[0, 1, 0], [0, 0, 1]]


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickle_with_unexpected_class_is_refused(tmp_path):
    path = tmp_path / "trnMat.pkl"
    with open(path, "wb") as fh:
        pickle.dump({"m": Evil()}, fh)
    with pytest.raises(DataError) as info:
        load_pickle(path)
    assert info.value.path == str(path)
    assert "posix.system" in info.value.problem or "os.system" in info.value.problem
    assert "not allowed" in info.value.problem


def test_pickle_of_allowed_but_wrong_type(tmp_path):
    path = tmp_path / "tstMat.pkl"
    with open(path, "wb") as fh:
        pickle.dump(np.arange(3), fh)
    with pytest.raises(DataError, match="expected a pickled scipy sparse users x items matrix, found ndarray"):
        read_lightgcl_matrix(path)


@pytest.mark.parametrize("content, problem", [(b"", "file is empty"), (b"\x80\x03}q\x00(X", "not a valid pickle")])
def test_truncated_or_empty_pickle(tmp_path, content, problem):
    path = tmp_path / "x.pkl"
    path.write_bytes(content)
    with pytest.raises(DataError, match=problem):
        load_pickle(path)


def test_restricted_unpickler_rebuilds_planetoid_style_objects(tmp_path):
    graph = collections.defaultdict(list, {0: [1, 2], 1: [0]})
    csr = sp.csr_matrix(np.eye(3, dtype=np.float32))
    onehot = np.eye(3, dtype=np.int32)
    for name, obj in (("graph", graph), ("x", csr), ("y", onehot)):
        for protocol in (2, pickle.HIGHEST_PROTOCOL):
            path = tmp_path / f"ind.t.{name}"
            with open(path, "wb") as fh:
                pickle.dump(obj, fh, protocol=protocol)
            back = load_pickle(path)
            if name == "x":
                assert (back != obj).nnz == 0
            elif name == "y":
                assert np.array_equal(back, obj)
            else:
                assert back == obj


@pytest.mark.data
def test_real_pickles_load_with_restricted_unpickler(data_root):
    mat = read_lightgcl_matrix(data_root / "lightgcl" / "gowalla" / "tstMat.pkl")
    assert mat.shape == (50821, 57440) and mat.nnz == 130270
    assert int((np.diff(mat.indptr) > 0).sum()) == 38234
    assert load_pickle(data_root / "planetoid" / "ind.cora.allx").shape == (1708, 1433)


# -- the parsed-cache npz ----------------------------------------------------------------
def test_npz_with_wrong_arrays(tmp_path):
    path = tmp_path / "cache.npz"
    np.savez(path, something=np.arange(3))
    with pytest.raises(DataError) as info:
        InteractionData.load_npz(path)
    assert info.value.path == str(path) and "not a graphcl interaction cache" in info.value.problem


def test_recbole_inter_with_wrong_header_through_the_registry(tmp_path, monkeypatch):
    from graphcl.data.registry import load_dataset

    monkeypatch.setenv("GRAPHCL_CACHE", str(tmp_path / "cache"))
    path = write(tmp_path, "mine.inter", "user item\n1\t2\n")
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert (info.value.path, info.value.line) == (str(path), 1)
    assert "is not 'name:type'" in info.value.problem
