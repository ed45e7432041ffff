"""Trainer: early stopping, atomic checkpoints, resume, NaN handling."""
import json

import pytest
import torch
from torch import nn

from graphcl.errors import ConfigError, TrainingDiverged
from graphcl.train import TrainConfig, Trainer, load_checkpoint


class Quadratic(nn.Module):
    """Minimise ||w - target||^2; validation metric = -distance."""

    def __init__(self, nan_at_epoch=None):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3))
        self.target = torch.tensor([1.0, -2.0, 0.5])
        self.nan_at_epoch = nan_at_epoch
        self.epoch = 0
        self.starts = []

    def on_epoch_start(self, epoch):
        self.epoch = epoch
        self.starts.append(epoch)

    def loss(self, batch):
        d = ((self.w - self.target) ** 2).sum() * batch
        if self.nan_at_epoch is not None and self.epoch >= self.nan_at_epoch:
            d = d * float("nan")
        return {"loss": d, "dist": d.detach()}

    def metric(self):
        return {"neg_dist": -float(((self.w - self.target) ** 2).sum())}


def cfg(**kw):
    base = dict(epochs=20, lr=0.1, metric="neg_dist", progress=False, patience=3)
    base.update(kw)
    return TrainConfig(**base)


def test_loss_goes_down_and_checkpoints_load_weights_only(tmp_path):
    m = Quadratic()
    res = Trainer(m, cfg(), batches=lambda e: [1.0, 1.0], validate=m.metric, out_dir=tmp_path).fit()
    log = [json.loads(l) for l in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log[-1]["loss"] < log[0]["loss"]
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert best["epoch"] == res.best_epoch
    torch.testing.assert_close(best["model"]["w"], m.w.detach())  # best weights restored
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == res.epochs_run - 1
    assert not list(tmp_path.glob("*.tmp"))


def test_early_stopping_counts_evaluations_without_improvement(tmp_path):
    m = Quadratic()
    calls = iter([1.0, 2.0, 3.0, 2.5, 2.9, 2.0, 5.0])
    res = Trainer(m, cfg(lr=1e-6), batches=lambda e: [1.0], validate=lambda: {"neg_dist": next(calls)}).fit()
    assert res.stopped == "early_stop" and res.best_epoch == 2 and res.epochs_run == 6


def test_min_epochs_holds_off_early_stopping_and_keeps_the_best(tmp_path):
    # falls for 3 evaluations, then rises above the first one: patience 3 alone stops after epoch 3
    values = [1.0, 0.5, 0.4, 0.3, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0]
    m = Quadratic()
    calls = iter(values)
    res = Trainer(m, cfg(lr=1e-6), batches=lambda e: [1.0], validate=lambda: {"neg_dist": next(calls)}).fit()
    assert (res.epochs_run, res.best_epoch) == (4, 0)
    calls = iter(values)
    res = Trainer(m, cfg(lr=1e-6, min_epochs=5), batches=lambda e: [1.0],
                  validate=lambda: {"neg_dist": next(calls)}).fit()
    assert res.stopped == "early_stop" and (res.epochs_run, res.best_epoch) == (8, 4)


def test_nan_loss_stops_with_message_and_keeps_last_good_checkpoint(tmp_path):
    m = Quadratic(nan_at_epoch=3)
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 3, batch 0.*last good checkpoint kept"):
        Trainer(m, cfg(), batches=lambda e: [1.0], validate=m.metric, out_dir=tmp_path).fit()
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["epoch"] == 2 and torch.isfinite(last["model"]["w"]).all()


def test_resume_matches_uninterrupted_run(tmp_path):
    full = Quadratic()
    Trainer(full, cfg(epochs=8, patience=0), batches=lambda e: [1.0 + e], validate=full.metric).fit()
    part = Quadratic()
    Trainer(part, cfg(epochs=4, patience=0), batches=lambda e: [1.0 + e], validate=part.metric, out_dir=tmp_path).fit()
    resumed = Quadratic()
    res = Trainer(resumed, cfg(epochs=8, patience=0), batches=lambda e: [1.0 + e], validate=resumed.metric,
                  out_dir=tmp_path).fit(resume=True)
    assert resumed.starts == [4, 5, 6, 7]
    torch.testing.assert_close(resumed.w.detach(), full.w.detach())
    assert len(res.history) == 8


def test_max_steps_per_epoch_cuts_epochs_short():
    m = Quadratic()
    seen = []

    def batches(epoch):
        for i in range(10):
            seen.append((epoch, i))
            yield 1.0

    Trainer(m, cfg(epochs=2, patience=0, max_steps_per_epoch=3), batches=batches).fit()
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]


class _Clock:
    """A stand-in for the trainer's ``time`` module: time passes only when the model says so."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_time_budget_starts_no_epoch_that_would_end_past_it(monkeypatch):
    import graphcl.train.trainer as trainer_mod

    clock = _Clock()
    monkeypatch.setattr(trainer_mod, "time", clock)
    m = Quadratic()

    def batches(epoch):
        clock.now += 60.0  # each epoch takes one minute
        yield 1.0

    res = Trainer(m, cfg(patience=0, max_minutes=3.5), batches=batches, validate=m.metric).fit()
    # after 3 epochs (3 min) a 4th would end at 4 min > 3.5: stop, keeping the best weights
    assert (res.stopped, res.epochs_run, res.best_epoch) == ("time_budget", 3, 2)
    assert clock.now <= 3.5 * 60
    # an epoch limit reached within the budget is still "max_epochs"
    res = Trainer(Quadratic(), cfg(epochs=2, patience=0, max_minutes=3.5), batches=batches).fit()
    assert (res.stopped, res.epochs_run) == ("max_epochs", 2)


def test_time_budget_counts_the_whole_run_across_resumed_calls(monkeypatch, tmp_path):
    import graphcl.train.trainer as trainer_mod
    from graphcl.train.checkpoint import save_atomic

    clock = _Clock()
    monkeypatch.setattr(trainer_mod, "time", clock)

    def batches(epoch):
        clock.now += 60.0
        yield 1.0

    def call(minutes):
        m = Quadratic()
        res = Trainer(m, cfg(patience=0, max_minutes=minutes), batches=batches, validate=m.metric,
                      out_dir=tmp_path).fit(resume=True)
        return m.starts, res

    starts, res = call(3.5)
    assert (starts, res.stopped, res.wall_seconds) == ([0, 1, 2], "time_budget", 180.0)
    # the same budget again: its minutes are spent, so no epoch runs and the result stands
    starts, res = call(3.5)
    assert (starts, res.stopped, res.epochs_run, res.best_epoch) == ([], "time_budget", 3, 2)
    # a checkpoint without the run's wall time (older graphcl) counts its epoch log instead
    ckpt = torch.load(tmp_path / "last.pt", weights_only=True)
    del ckpt["loop"]["wall_seconds"]
    save_atomic(ckpt, tmp_path / "last.pt")
    # two more minutes (5.5 in all) continue it by two epochs, not by a fresh 5.5 minutes' worth
    starts, res = call(5.5)
    assert (starts, res.stopped, res.epochs_run, res.wall_seconds) == ([3, 4], "time_budget", 5, 300.0)


def test_time_budget_must_be_positive():
    with pytest.raises(ConfigError, match="train.max_minutes"):
        cfg(max_minutes=0)


def test_epoch_seconds_include_the_epoch_start_hook(monkeypatch, tmp_path):
    """Re-clustering (MEOW) or view regeneration (SGL) in on_epoch_start is training time."""
    import graphcl.train.trainer as trainer_mod

    clock = _Clock()
    monkeypatch.setattr(trainer_mod, "time", clock)

    class SlowStart(Quadratic):
        def on_epoch_start(self, epoch):
            clock.now += 7.0
            super().on_epoch_start(epoch)

    def batches(epoch):
        clock.now += 2.0
        yield 1.0

    Trainer(SlowStart(), cfg(epochs=2, patience=0), batches=batches, out_dir=tmp_path).fit()
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["seconds"] for r in log] == [9.0, 9.0]
