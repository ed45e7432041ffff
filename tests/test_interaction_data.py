"""InteractionData readers, splits and cache."""
import numpy as np
import pandas as pd
import pytest

from graphcl.data.interaction import InteractionData, ratio_split, ratio_split_counts
from graphcl.data.readers import read_atomic_inter, read_lightgcn
from graphcl.errors import DataError


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_lightgcn_reader_and_shapes(tmp_path):
    tr = write(tmp_path, "train.txt", "0 0 1 2\n1 2\n2 3 0\n")
    te = write(tmp_path, "test.txt", "0 3\n1\n2 1\n")
    d = InteractionData.from_lightgcn(tr, te)
    assert (d.num_users, d.num_items) == (3, 4)
    assert d.stats()["train"] == 6 and d.stats()["test"] == 2
    assert d.train[0].indices.tolist() == [0, 1, 2]


@pytest.mark.parametrize("text, problem, line", [
    ("0 1 2\n1 x 3\n", "expected integer ids, found 'x'", 2),
    ("0 1\n\n2 -4\n", "negative id -4", 3),
    ("", "file is empty", None),
])
def test_lightgcn_reader_errors_name_file_and_line(tmp_path, text, problem, line):
    p = write(tmp_path, "bad.txt", text)
    with pytest.raises(DataError) as exc:
        read_lightgcn(p)
    assert exc.value.problem == problem
    assert exc.value.line == line
    assert str(p) in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_lightgcn(tmp_path / "nope.txt")


def test_test_users_without_training_items_are_an_error(tmp_path):
    tr = write(tmp_path, "train.txt", "0 0 1\n")
    te = write(tmp_path, "test.txt", "0 2\n1 0\n")
    with pytest.raises(DataError, match="no training interactions"):
        InteractionData.from_lightgcn(tr, te)


def test_atomic_inter_reader(tmp_path):
    p = write(tmp_path, "x.inter", "user_id:token\titem_id:token\trating:float\nu1\ti1\t5\nu1\ti2\t3\nu2\ti1\t4\n")
    df = read_atomic_inter(p)
    assert list(df.columns) == ["user_id", "item_id", "rating"]
    assert df["rating"].tolist() == [5.0, 3.0, 4.0]


@pytest.mark.parametrize("text, match", [
    ("user_id\titem_id\nu\ti\n", "not 'name:type'"),
    ("user_id:token\titem_id:blob\nu\ti\n", "unknown type"),
    ("user_id:token\trating:float\nu\tfive\n", "'five' is not a number"),
    ("", "file is empty"),
])
def test_atomic_inter_errors(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        read_atomic_inter(write(tmp_path, "bad.inter", text))


def test_ratio_split_counts_follow_recbole_rule():
    # RecBole: cnt = [int(r * n)], train gets the rest, a split with 0 < r*n < 1 gets one
    counts = ratio_split_counts(np.array([10, 5, 3, 2, 1]), (0.8, 0.1, 0.1))
    assert counts.tolist() == [[8, 1, 1], [3, 1, 1], [1, 1, 1], [1, 0, 1], [1, 0, 0]]
    assert (counts.sum(1) == [10, 5, 3, 2, 1]).all()


def test_ratio_split_partitions_each_user_and_is_seeded():
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(50), rng.integers(1, 30, 50))
    items = rng.integers(0, 100, len(users))
    parts = ratio_split(users, items, (0.8, 0.1, 0.1), seed=3)
    again = ratio_split(users, items, (0.8, 0.1, 0.1), seed=3)
    other = ratio_split(users, items, (0.8, 0.1, 0.1), seed=4)
    assert sum(len(p[0]) for p in parts) == len(users)
    for (u, i), (u2, i2) in zip(parts, again):
        assert (u == u2).all() and (i == i2).all()
    assert any((a[1] != b[1]).any() for a, b in zip(parts, other))
    expected = ratio_split_counts(np.bincount(users), (0.8, 0.1, 0.1))
    for k, (u, _) in enumerate(parts):
        assert (np.bincount(u, minlength=50) == expected[:, k]).all()


def test_valid_split_is_carved_from_train_only(tmp_path):
    rng = np.random.default_rng(1)
    users = np.repeat(np.arange(30), 20)
    items = np.concatenate([rng.choice(60, 20, replace=False) for _ in range(30)])
    d = InteractionData.from_pairs((users, items), test=(np.arange(30), np.zeros(30, int)))
    v = d.with_valid_split(0.25, seed=0)
    assert v.valid.nnz == 30 * 5 and v.train.nnz == 30 * 15
    assert (v.train + v.valid - d.train).nnz == 0  # exact partition of the old train
    assert v.train.multiply(v.valid).nnz == 0
    assert (v.test != d.test).nnz == 0


def test_from_pandas_time_order_puts_latest_in_test():
    df = pd.DataFrame({"u": ["a"] * 10, "i": list("abcdefghij"), "t": np.arange(10)[::-1]})
    d = InteractionData.from_pandas(df, "u", "i", split=(0.8, 0.1, 0.1), time_col="t")
    # timestamps are descending, so the item with the largest timestamp ("a", id 0) is... first
    assert d.test.indices.tolist() == [0]
    assert d.valid.indices.tolist() == [1]


def test_npz_roundtrip(tmp_path):
    d = InteractionData.from_pairs((np.array([0, 1, 1]), np.array([2, 0, 1])), test=(np.array([0]), np.array([0])), name="t")
    d.save_npz(tmp_path / "c.npz")
    e = InteractionData.load_npz(tmp_path / "c.npz")
    assert (e.train != d.train).nnz == 0 and (e.test != d.test).nnz == 0 and e.name == "t" and e.valid is None


def test_drop_cold_users_keeps_warm_ones(tmp_path):
    tr = write(tmp_path, "train.txt", "0 0 1\n2 1\n")
    te = write(tmp_path, "test.txt", "0 2\n1 0\n2 0\n")
    d = InteractionData.from_pairs(read_lightgcn(tr), test=read_lightgcn(te))
    with pytest.raises(DataError, match="1 users have test interactions"):
        d.check_test_users_have_train()
    w = d.drop_cold_users()
    w.check_test_users_have_train()
    assert w.test.nnz == 2 and w.test[1].nnz == 0
