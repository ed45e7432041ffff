"""What is left of a table and what it will cost: ``graphcl reproduce TABLE --plan``.

Long tables (hundreds of epochs per cell on a CPU) are run over several sessions, and the
checkpoints under ``work/`` stay on the machine that wrote them, so before starting a run it
pays to know, per run, how far it got and how long the rest can take (and to give a run that
cannot finish a ``train.max_minutes`` budget, so that it ends with a result; hours left then
stop at what the budget has not spent). The
estimate uses seconds per epoch *measured* in the run's own epoch log (training plus its
validation passes); a run with no log yet borrows the figure of another run of the same cell
(another seed or protocol: the same model on the same data), and a run that must restart (its
record, or a twin's, holds a shorter training whose checkpoint is not on this machine) is measured
on that record. Remaining time counts the epochs
left up to the cap, so early stopping usually ends a run sooner; one-off setup (data loading,
an autoencoder's pretraining) is not in it. A second estimate assumes the run lasts as long as the
cell's finished runs did (their mean ``epochs_run``), when it has any.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from graphcl.reproduce.runner import (being_trained, config_value, earlier_record, find_twin, read_history,
                                      read_json, restart_note, result_path, run_state, training_folder, work_dir,
                                      work_name)
from graphcl.reproduce.spec import RunSpec
from graphcl.reproduce.tasks import get_task


@dataclass
class PlanRow:
    run_id: str
    state: str  # done | twin (done in another table) | resume (in its folder, or a twin's: measured_on names it)
    #             | fresh (as the runner would treat the run now)
    #             | restart (fresh, although a record of a shorter training exists: its checkpoint is not on
    #               this machine; speed is measured on that record, and ``note`` says how far it got)
    #             | running (another process is training it, or its twin in another table's folder;
    #               epochs and hours left are from the log being written)
    epochs_done: int
    epoch_cap: Optional[int]
    seconds_per_epoch: Optional[float]
    measured_on: str  # "this run", "<run_id>" it was borrowed from, "<table>/<run_id>" of a twin, or ""
    remaining_hours: Optional[float]  # to the epoch cap; 0 for finished runs
    expected_hours: Optional[float] = None  # to the mean length of the cell's finished runs, when there are any
    note: str = ""
    # minutes of training its log (or record) holds: a call with a budget of at most this many ends the
    # run at once, without another epoch, as the runner's ``train.max_minutes`` counts them
    minutes_trained: float = 0.0


def spent_seconds(history: Sequence[Dict]) -> float:
    """Wall seconds of the logged epochs, validation passes included."""
    return sum(float(h.get("seconds", 0.0)) + float(h.get("eval_seconds", 0.0)) for h in history)


def seconds_per_epoch(history: Sequence[Dict]) -> Optional[float]:
    """Mean wall seconds per logged epoch, validation passes included (they may be every k epochs)."""
    return spent_seconds(history) / len(history) if history else None


def _history(root: Path, run: RunSpec, state: str, record: Dict) -> List[Dict]:
    """The epochs a run has logged, as the runner would see them now."""
    if state in ("fresh", "restart"):
        return []  # its folder, if any, holds another config's log: the runner will wipe it
    if state in ("done", "twin") and isinstance(record.get("history"), list):
        # The record is the run; its work folder may be gone or hold a later, unrelated attempt.
        return [h for h in record["history"] if isinstance(h, dict)]
    return read_history(work_dir(root, run) / "log.jsonl")


def plan(runs: Sequence[RunSpec], root: Path) -> List[PlanRow]:
    """One row per run of ``runs`` (results under ``root``), in their order."""
    states = {r.run_id: run_state(root, r) for r in runs}
    twins = {r.run_id: find_twin(root, r) for r in runs}  # of a done run: one that trained further
    records: Dict[str, Dict] = {}
    for r in runs:
        twin = twins.get(r.run_id)
        if twin is not None:
            states[r.run_id] = "twin"  # the runner will copy its record in
            records[r.run_id] = twin[1]
        else:
            records[r.run_id] = (read_json(result_path(root, r)) or {}) if states[r.run_id] == "done" else {}
    training: Dict[str, Path] = {}  # run_id -> work folder a live process is writing
    elsewhere: Dict[str, Path] = {}  # run_id -> a twin's work folder whose checkpoint the run would continue
    earlier: Dict[str, Tuple[str, Dict]] = {}  # run_id -> (name, record) of a shorter training, for restarts
    for r in runs:
        busy = being_trained(root, r) if states[r.run_id] in ("resume", "fresh") else None
        if busy is not None:
            training[r.run_id] = busy[0]
            states[r.run_id] = "running"  # its log is the one being written, whatever its state was
        elif states[r.run_id] == "fresh":
            wd, states[r.run_id] = training_folder(root, r, "fresh")
            if wd != work_dir(root, r):
                elsewhere[r.run_id] = wd
            elif (found := earlier_record(root, r)) is not None:
                states[r.run_id] = "restart"
                earlier[r.run_id] = found
    logs = {**elsewhere, **training}
    histories = {r.run_id: read_history(logs[r.run_id] / "log.jsonl") if r.run_id in logs
                 else _history(root, r, states[r.run_id], records[r.run_id]) for r in runs}
    measured = {rid: seconds_per_epoch(h) for rid, h in histories.items()}
    lengths: Dict[str, List[int]] = {}
    for r in runs:
        if records[r.run_id].get("epochs_run") is not None:
            lengths.setdefault(r.cell, []).append(int(records[r.run_id]["epochs_run"]))
    rows = []
    for run in runs:
        state = states[run.run_id]
        cap = config_value(run.config, get_task(run.task).epochs_path)
        done = int(records[run.run_id].get("epochs_run", len(histories[run.run_id])))
        twin_path = twins[run.run_id][0] if twins.get(run.run_id) else None
        source = "this run" if twin_path is None else f"{twin_path.parent.parent.name}/{twin_path.stem}"
        if run.run_id in logs and logs[run.run_id] != work_dir(root, run):
            source = work_name(logs[run.run_id])
        speed = measured[run.run_id]
        note = ""
        if run.run_id in earlier:
            name, record = earlier[run.run_id]
            speed, source = seconds_per_epoch(_history(root, run, "done", record)), name
            note = restart_note(run, earlier[run.run_id])
        if speed is None:
            donor = next((r for r in runs if r.cell == run.cell and measured[r.run_id] is not None), None)
            speed, source = (measured[donor.run_id], donor.run_id) if donor else (None, "")
        left = expected = None
        if state in ("done", "twin"):
            left = expected = 0.0
        elif speed is not None:
            if cap is not None:
                left = max(int(cap) - done, 0) * speed / 3600
            if run.cell in lengths:
                typical = sum(lengths[run.cell]) / len(lengths[run.cell])
                expected = max(typical - done, 0) * speed / 3600
        budget = config_value(run.config, ("train", "max_minutes"))
        if budget is not None and state not in ("done", "twin"):
            # the budget is the run's over all its sessions: what its log has spent is gone
            spare = max(60.0 * float(budget) - spent_seconds(histories[run.run_id]), 0.0) / 3600
            left = spare if left is None else min(left, spare)
            expected = None if expected is None else min(expected, spare)
        rows.append(PlanRow(run.run_id, state, done, None if cap is None else int(cap), speed, source, left, expected,
                            note, spent_seconds(histories[run.run_id]) / 60))
    return rows


def format_plan(rows: Sequence[PlanRow]) -> str:
    """The plan as an aligned text table with the total of the known remaining hours."""
    head = ["run", "state", "epochs", "trained (min)", "s/epoch", "measured on", "hours left: to cap or budget",
            "like the cell's finished runs"]
    body = [[r.run_id, r.state, f"{r.epochs_done}/{r.epoch_cap if r.epoch_cap is not None else '?'}",
             f"{int(r.minutes_trained)}" if r.epochs_done else "–",  # rounded down: a budget that ends it
             "–" if r.seconds_per_epoch is None else f"{r.seconds_per_epoch:.1f}", r.measured_on or "–",
             "–" if r.remaining_hours is None else f"{r.remaining_hours:.1f}",
             "–" if r.expected_hours is None else f"{r.expected_hours:.1f}"] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip() for line in [head, *body]]
    to_cap = [r.remaining_hours for r in rows if r.remaining_hours is not None]
    expected = [r.expected_hours for r in rows if r.expected_hours is not None]
    unknown = sum(r.remaining_hours is None for r in rows)
    lines.append(f"total (one process per run): {sum(to_cap):.1f} hours to the caps or budgets over "
                 f"{len(to_cap)} runs; {sum(expected):.1f} hours over the {len(expected)} runs whose cell has "
                 "finished runs"
                 + (f"; {unknown} run(s) without a measured speed" if unknown else ""))
    lines += [r.note for r in rows if r.note]
    return "\n".join(lines)
