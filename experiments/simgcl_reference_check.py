"""Is SimGCL's training curve a property of the method or of graphcl's implementation?

Trains SimGCL twice on the same split with the same hyperparameters and prints the
per-epoch BPR loss and validation Recall/NDCG@20 side by side:

* ``reference``: a deliberately naive, self-contained implementation written from the
  paper's equations (full noisy propagations of every row, three propagations per step,
  ``torch.rand`` noise, cosine InfoNCE over the batch's unique users and positive items,
  BPR on the clean mean of layers 1..L, Xavier-uniform init, Adam) — none of graphcl's
  model, view, loss or sampler code;
* ``graphcl``: ``graphcl.models.simgcl.SimGCL`` through the normal Trainer.

Both are scored by graphcl's evaluator (tested against RecBole's definitions). Usage::

    python experiments/simgcl_reference_check.py --dataset ml-100k --epochs 30 [--cl-normalize 1]

``GRAPHCL_DATA`` must point at the data for datasets other than the bundled ml-100k.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from graphcl.config import from_dict
from graphcl.tasks.recommend import RecConfig, build_model, evaluators, load_interactions
from graphcl.data.sampler import BPRSampler
from graphcl.train.trainer import Trainer
from graphcl.utils import seed_everything


def norm_adj(data) -> torch.Tensor:
    """D^-1/2 A D^-1/2 of the bipartite graph, as a torch sparse COO matrix."""
    coo = data.train.tocoo()
    u, i = coo.row, coo.col + data.num_users
    rows = np.concatenate([u, i])
    cols = np.concatenate([i, u])
    n = data.num_users + data.num_items
    deg = np.bincount(rows, minlength=n).astype(np.float64)
    vals = 1.0 / np.sqrt(deg[rows] * deg[cols])
    return torch.sparse_coo_tensor(torch.tensor(np.stack([rows, cols])), torch.tensor(vals, dtype=torch.float32),
                                   (n, n)).coalesce()


def reference_run(data, args, valid_eval) -> list:
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    n_u, n_i = data.num_users, data.num_items
    adj = norm_adj(data)
    # Xavier-uniform per table (users, items), as SELFRec initialises them
    emb = torch.nn.Parameter(torch.cat([torch.nn.init.xavier_uniform_(torch.empty(n_u, args.dim)),
                                        torch.nn.init.xavier_uniform_(torch.empty(n_i, args.dim))]))
    opt = torch.optim.Adam([emb], lr=args.lr)
    train = data.train.tocsr()
    coo = train.tocoo()
    pairs_u, pairs_i = coo.row.astype(np.int64), coo.col.astype(np.int64)

    def forward(perturbed: bool) -> torch.Tensor:
        h, layers = emb, []
        for _ in range(args.layers):
            h = torch.sparse.mm(adj, h)
            if perturbed:
                h = h + torch.sign(h) * F.normalize(torch.rand_like(h), dim=-1) * args.eps
            layers.append(h)
        return torch.stack(layers).mean(0)

    def infonce(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if args.cl_normalize:
            a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
        logits = a @ b.T / args.tau
        return -torch.diag(F.log_softmax(logits, dim=1)).mean()

    def negatives(users: np.ndarray) -> np.ndarray:
        neg = rng.integers(0, n_i, len(users))
        bad = np.asarray(train[users, neg]).ravel() > 0
        while bad.any():  # resample items the user has in train
            neg[bad] = rng.integers(0, n_i, int(bad.sum()))
            bad = np.asarray(train[users, neg]).ravel() > 0
        return neg

    history = []
    for epoch in range(args.epochs):
        start, bprs = time.perf_counter(), []
        order = rng.permutation(len(pairs_u))
        for lo in range(0, len(order), args.batch_size):
            idx = order[lo:lo + args.batch_size]
            users, pos = pairs_u[idx], pairs_i[idx]
            neg = negatives(users)
            u_t, p_t, n_t = (torch.as_tensor(x) for x in (users, pos, neg))
            rec = forward(False)
            eu, ep, en = rec[u_t], rec[n_u + p_t], rec[n_u + n_t]
            bpr = F.softplus(-((eu * ep).sum(1) - (eu * en).sum(1))).mean()
            ego = emb[torch.cat([u_t, n_u + p_t, n_u + n_t])]
            l2 = args.reg * 0.5 * ego.pow(2).sum() / len(idx)
            v1, v2 = forward(True), forward(True)
            uu, ii = torch.unique(u_t), torch.unique(p_t) + n_u
            cl = infonce(v1[uu], v2[uu]) + infonce(v1[ii], v2[ii])
            loss = bpr + args.lam * cl + l2
            opt.zero_grad()
            loss.backward()
            opt.step()
            bprs.append(float(bpr))
        with torch.no_grad():
            final = forward(False)
        users_e, items_e = final[:n_u], final[n_u:]
        valid = valid_eval.evaluate(lambda u: users_e[u] @ items_e.T)
        history.append({"epoch": epoch, "bpr": float(np.mean(bprs)), "seconds": time.perf_counter() - start,
                        "recall@20": valid["recall@20"], "ndcg@20": valid["ndcg@20"]})
        print(f"reference epoch {epoch:3d} bpr {history[-1]['bpr']:.4f} valid recall@20 {valid['recall@20']:.4f} "
              f"ndcg@20 {valid['ndcg@20']:.4f}", flush=True)
    return history


def graphcl_run(cfg: RecConfig, data, valid_eval, args) -> list:
    seed_everything(args.seed)
    model = build_model(cfg, data, torch.device("cpu"))
    sampler = BPRSampler(data.train, cfg.train.batch_size, seed=args.seed)
    fit = Trainer(model, cfg.train, batches=sampler.epoch, validate=lambda: valid_eval.evaluate(model.score)).fit()
    history = []
    for rec in fit.history:
        history.append({"epoch": rec["epoch"], "bpr": rec["bpr"], "seconds": rec["seconds"],
                        "recall@20": rec["valid"]["recall@20"], "ndcg@20": rec["valid"]["ndcg@20"]})
        print(f"graphcl   epoch {rec['epoch']:3d} bpr {rec['bpr']:.4f} valid recall@20 "
              f"{history[-1]['recall@20']:.4f} ndcg@20 {history[-1]['ndcg@20']:.4f}", flush=True)
    return history


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--tau", type=float, default=0.2)
    p.add_argument("--lam", type=float, default=0.5)
    p.add_argument("--reg", type=float, default=1e-4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--cl-normalize", type=int, default=1)
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--only", choices=["reference", "graphcl"], default=None)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg = from_dict(RecConfig, {
        "model": "simgcl", "dataset": args.dataset,
        "train": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "patience": 0,
                  "seed": args.seed, "threads": args.threads, "progress": False},
        "params": {"dim": args.dim, "layers": args.layers, "reg": args.reg, "eps": args.eps, "tau": args.tau,
                   "lam": args.lam, "cl_normalize": bool(args.cl_normalize), "init_std": None}})
    data = load_interactions(cfg)
    valid_eval, _ = evaluators(data, cfg, torch.device("cpu"))
    out = {"args": vars(args) | {"out": str(args.out)}}
    if args.only in (None, "reference"):
        out["reference"] = reference_run(data, args, valid_eval)
    if args.only in (None, "graphcl"):
        out["graphcl"] = graphcl_run(cfg, data, valid_eval, args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
