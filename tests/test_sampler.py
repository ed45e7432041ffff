import numpy as np
import scipy.sparse as sp
import torch

from graphcl.data.sampler import BPRSampler


def _train():
    rng = np.random.default_rng(0)
    m = sp.random(40, 30, density=0.5, random_state=rng, format="csr")
    m.data[:] = 1
    return m


def test_negatives_are_never_positives_and_epoch_covers_all_pairs():
    train = _train()
    s = BPRSampler(train, batch_size=64, seed=1)
    batches = list(s.epoch(0))
    assert len(batches) == len(s)
    users = torch.cat([b.users for b in batches]).numpy().copy()
    pos = torch.cat([b.pos for b in batches]).numpy().copy()
    neg = torch.cat([b.neg for b in batches]).numpy().copy()
    assert len(users) == train.nnz
    assert np.asarray(train[users, pos]).ravel().all()
    assert not np.asarray(train[users, neg]).ravel().any()
    got = sorted(zip(users.tolist(), pos.tolist()))
    coo = train.tocoo()
    assert got == sorted(zip(coo.row.tolist(), coo.col.tolist()))


def test_stream_depends_only_on_seed_and_epoch():
    train = _train()
    a = [b.neg for b in BPRSampler(train, 100, seed=5).epoch(3)]
    b = [b.neg for b in BPRSampler(train, 100, seed=5).epoch(3)]
    c = [b.neg for b in BPRSampler(train, 100, seed=5).epoch(4)]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))
