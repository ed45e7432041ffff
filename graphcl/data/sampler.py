"""Vectorised BPR triplet sampling.

Each epoch visits every training interaction (user, positive) once in a seeded random order
and pairs it with one negative item drawn uniformly from the items the user has not
interacted with. Negatives are drawn for the whole epoch at once and collisions with the
user's positives are redrawn in bulk (rejection sampling), so there is no Python loop over
users or interactions.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np
import scipy.sparse as sp
import torch

from graphcl.errors import DataError
from graphcl.utils import generator


class BPRBatch(NamedTuple):
    users: torch.Tensor
    pos: torch.Tensor
    neg: torch.Tensor


class BPRSampler:
    """Triplets ``(u, i+, i-)`` for one epoch, batch by batch.

    The random stream depends only on ``(seed, epoch)``, so a resumed run sees the same
    batches as an uninterrupted one.
    """

    def __init__(self, train: sp.csr_matrix, batch_size: int = 2048, seed: int = 2020,
                 device: torch.device | str = "cpu") -> None:
        train = sp.csr_matrix(train)
        train.sort_indices()
        self.num_users, self.num_items = train.shape
        coo = train.tocoo()
        self.users = torch.from_numpy(coo.row.astype(np.int64))
        self.items = torch.from_numpy(coo.col.astype(np.int64))
        self.keys = self.users * self.num_items + self.items  # sorted (row-major CSR)
        degree = np.diff(train.indptr)
        if (degree >= self.num_items).any():
            u = int(np.flatnonzero(degree >= self.num_items)[0])
            raise DataError(None, f"user {u} interacted with every item: no negative can be sampled")
        self.batch_size = batch_size
        self.seed = seed
        self.device = torch.device(device)

    def __len__(self) -> int:
        return (len(self.users) + self.batch_size - 1) // self.batch_size

    def sample_negatives(self, users: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        neg = torch.randint(self.num_items, (len(users),), generator=gen)
        todo = torch.arange(len(users))
        while len(todo):
            q = users[todo] * self.num_items + neg[todo]
            pos = torch.searchsorted(self.keys, q).clamp_max(len(self.keys) - 1)
            clash = self.keys[pos] == q
            todo = todo[clash]
            neg[todo] = torch.randint(self.num_items, (len(todo),), generator=gen)
        return neg

    def epoch(self, epoch: int) -> Iterator[BPRBatch]:
        gen = generator(self.seed * 1_000_003 + epoch)
        order = torch.randperm(len(self.users), generator=gen)
        users, pos = self.users[order], self.items[order]
        neg = self.sample_negatives(users, gen)
        dev = self.device
        for start in range(0, len(users), self.batch_size):
            sl = slice(start, start + self.batch_size)
            yield BPRBatch(users[sl].to(dev), pos[sl].to(dev), neg[sl].to(dev))
