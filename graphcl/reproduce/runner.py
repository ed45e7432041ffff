"""Run a table's runs, resumably, one JSON per run.

Layout under the table's result folder ``root`` (``<out>/<table>``, or ``<table>-quick``):

* ``runs/<cell>__<protocol>__seed<S>.json`` — written atomically when a run finishes:
  the run's config, task result (test/valid metrics, best epoch, ...), the per-epoch
  history, seconds/epoch, wall time, peak memory, versions, seed. ``versions`` and ``wall_seconds``
  are those of the call that wrote the JSON; ``calls`` lists every call that trained the run since
  its last fresh start (its code and the epochs it ran), from the folder's ``calls.jsonl``.
* ``work/<run_id>/`` — the task's run folder (checkpoints, ``log.jsonl``) and a ``key``
  file; ``work/.gitignore`` keeps checkpoints out of git.

State of a run: **done** when its JSON exists for the same config up to volatile
settings (threads, progress bars, time budget) and the same epoch limit, or it stopped early
before the asked limit; a run stopped by its ``train.max_minutes`` budget (the run's training time
over every call that resumed it) is done only for calls with no larger budget, and only while no
checkpoint of it here trained further (a finished run of the same experiment in another table's folder
is copied in first: :func:`adopt_twin`); **resume** when there is no such JSON but ``work/<run_id>/last.pt``
was written for the same config key (a killed run, or one to be continued with more epochs);
otherwise **fresh** (the work folder is wiped first), except that a fresh run whose twin in another
table's folder left a checkpoint for the same key continues that checkpoint, in that folder
(:func:`training_folder`), rather than training the experiment again. A run that another process is training
(it holds ``work/<run_id>.lock``: :mod:`graphcl.reproduce.lock`), or whose twin in another table's
folder another process is training (:func:`twin_in_training`), is left to that process.

Of two budget-cut runs of one experiment the one that trained more epochs stands
(:func:`_trained_further`): budgets are minutes, and minutes buy different numbers of epochs on
different machines, so a run restarted on a new machine (checkpoints are not committed) replaces its
record only once it gets further, and a record is never replaced by a shorter run.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Literal, Optional, Tuple

from graphcl.errors import GraphclError
from graphcl.reproduce.lock import RunInProgress, hold_run_lock, lock_holder
from graphcl.reproduce.spec import RunSpec, config_key
from graphcl.reproduce.tasks import get_task
from graphcl.utils import write_json_atomic

State = Literal["done", "resume", "fresh"]


def result_path(root: Path, run: RunSpec) -> Path:
    return root / "runs" / f"{run.run_id}.json"


def work_dir(root: Path, run: RunSpec) -> Path:
    return root / "work" / run.run_id


def run_key(run: RunSpec) -> str:
    return config_key(run.config, get_task(run.task).volatile)


def read_json(path: Path) -> Optional[Dict[str, Any]]:
    """The JSON object at ``path``, or None when it is absent or unreadable (a torn write)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def config_value(config: Dict[str, Any], path: tuple) -> Any:
    """``config[path[0]][path[1]]...``, or None when a level is missing."""
    for part in path:
        config = config.get(part) if isinstance(config, dict) else None
    return config


def _is_record_of(record: Optional[Dict[str, Any]], key: str) -> bool:
    return record is not None and record.get("status") == "finished" and record.get("key") == key


def _same_epoch_limit(run: RunSpec, record: Dict[str, Any]) -> bool:
    """Whether ``record`` ran to the epoch limit ``run`` asks for: the same limit, or an early stop before it
    (more epochs would not change an early-stopped run)."""
    epochs_path = get_task(run.task).epochs_path
    asked, had = config_value(run.config, epochs_path), config_value(record.get("config", {}), epochs_path)
    res = record.get("result", {})
    return asked == had or (res.get("stopped") == "early_stop" and asked is not None
                            and res.get("epochs_run", 0) <= asked)


def _covers(run: RunSpec, record: Optional[Dict[str, Any]], key: str) -> bool:
    """Whether ``record`` is a finished run of ``run``'s experiment: the same config up to volatile
    settings (threads, progress bars, epoch limit), and the same epoch limit or an early stop before it."""
    if not _is_record_of(record, key):
        return False
    if _cut_by_budget(record):
        # a run cut by its wall-clock budget stands for calls with no larger budget; a call with a
        # larger one (or none) continues it from its checkpoint, where there is one, for the difference
        budget = ("train", "max_minutes")
        asked_min, had_min = config_value(run.config, budget), config_value(record.get("config", {}), budget)
        if asked_min is None or had_min is None or float(asked_min) > float(had_min):
            return False
    return _same_epoch_limit(run, record)


def _cut_by_budget(record: Dict[str, Any]) -> bool:
    return record.get("result", {}).get("stopped") == "time_budget"


def epochs_trained(record: Dict[str, Any]) -> int:
    """How many epochs a record's run trained."""
    return int(record.get("epochs_run") or record.get("result", {}).get("epochs_run") or 0)


def _trained_further(run: RunSpec, record: Optional[Dict[str, Any]], than: Dict[str, Any], key: str) -> bool:
    """Whether ``record`` is a finished run of ``run``'s experiment, to the same epoch limit, that trained
    more epochs than the budget-cut record ``than``.

    Runs of one experiment are deterministic (same config key and seed: the restarts of table 1 retraced
    their records' validation points bit for bit), so the longer of two budget-cut runs holds the shorter
    one and more: it is the one that stands for the experiment, whatever minutes each was given (minutes
    buy different numbers of epochs on different machines).
    """
    return (_is_record_of(record, key) and _cut_by_budget(than) and _same_epoch_limit(run, record)
            and epochs_trained(record) > epochs_trained(than))


def run_state(root: Path, run: RunSpec) -> State:
    key = run_key(run)
    wd = work_dir(root, run)
    record = read_json(result_path(root, run))
    if _covers(run, record, key) and not _checkpoint_further(wd, key, record):
        return "done"
    return "resume" if _holds_checkpoint(wd, key) else "fresh"


def _checkpoint_further(wd: Path, key: str, record: Dict[str, Any]) -> bool:
    """Whether ``wd`` holds a checkpoint of ``record``'s experiment that trained more epochs than the
    budget-cut ``record`` (a run restarted on another machine that got past its record). Such a run is
    resumed even by a call its record covers: with a budget it has spent, that call ends it at once
    (best weights, test scored) and its record replaces the shorter one."""
    return (_cut_by_budget(record) and _holds_checkpoint(wd, key)
            and len(read_history(wd / "log.jsonl")) > epochs_trained(record))


def _holds_checkpoint(wd: Path, key: str) -> bool:
    """Whether work folder ``wd`` holds a checkpoint written for config key ``key``."""
    try:
        return (wd / "last.pt").is_file() and (wd / "key").read_text(encoding="utf-8").strip() == key
    except OSError:
        return False


def find_twin(root: Path, run: RunSpec) -> Optional[Tuple[Path, Dict[str, Any]]]:
    """A finished record of the same experiment in another table's folder next to ``root`` that
    ``run`` should take (``root`` is ``<results>/<table>``; the record must name another table): one
    that covers the call where the run's own record does not, or one that trained further than the
    run's own budget-cut record (:func:`_trained_further`).

    Two tables can hold the same experiment (table 2's LightGCN cells are table 1's honest
    2- and 3-layer cells: same config key, seed and protocol); its record then serves both
    instead of training twice.
    """
    key = run_key(run)
    own = read_json(result_path(root, run))
    own_covers = _covers(run, own, key)
    for path, record in _twin_records(root, run):
        wanted = _trained_further(run, record, own, key) if own_covers else _covers(run, record, key)
        if wanted:
            return path, record
    return None


def _twin_records(root: Path, run: RunSpec) -> Iterator[Tuple[Path, Dict[str, Any]]]:
    """Records of ``run``'s seed and protocol in other tables' folders next to ``root`` that name
    another table (any config: callers compare keys)."""
    for path in sorted(root.parent.glob(f"*/runs/*__{run.protocol}__seed{run.seed}.json")):
        if path.parent.parent.resolve() == root.resolve():
            continue
        record = read_json(path)
        if record is not None and record.get("table") != run.table:
            yield path, record


def earlier_record(root: Path, run: RunSpec) -> Optional[Tuple[str, Dict[str, Any]]]:
    """A finished record of ``run``'s experiment (same config key) that the call asks for more than,
    and its name (``<table>/<run_id>``): the run's own, else a twin's in another table's folder.

    A run in state fresh that has one was trained before on a machine whose checkpoint is not here
    (checkpoints are not committed): it restarts from epoch 0, its time budget counting from zero,
    and its record stays until a run of the experiment trains further (:func:`_train`).
    :func:`describe_record` says what it holds.
    """
    key = run_key(run)
    own = result_path(root, run)
    candidates = [(own, read_json(own))] + list(_twin_records(root, run))
    for path, record in candidates:
        if record is not None and record.get("status") == "finished" and record.get("key") == key:
            return f"{path.parent.parent.name}/{path.stem}", record
    return None


def restart_note(run: RunSpec, earlier: Tuple[str, Dict[str, Any]]) -> str:
    """The line ``--plan`` and the runner print for a run that restarts (see :func:`earlier_record`)."""
    name, record = earlier
    return (f"{run.run_id} restarts from epoch 0: {name} ran it to {describe_record(record)}; its checkpoint "
            "is not on this machine (that record stays until a run of it trains further)")


def describe_record(record: Dict[str, Any]) -> str:
    """How far a record's run got, e.g. "epoch 190, cut by its 355-minute budget"."""
    res = record.get("result", {})
    text = f"epoch {record.get('epochs_run', res.get('epochs_run', '?'))}"
    if res.get("stopped") == "time_budget":
        budget = config_value(record.get("config", {}), ("train", "max_minutes"))
        return text + f", cut by its {budget:g}-minute budget" if isinstance(budget, (int, float)) else text
    how = {"max_epochs": "its epoch limit", "early_stop": "stopped early"}.get(res.get("stopped"), res.get("stopped"))
    return text + (f", {how}" if how else "")


def twin_in_training(root: Path, run: RunSpec) -> Optional[Tuple[Path, str]]:
    """The work folder of a twin (see :func:`find_twin`) that a live process is training now, and
    its holder ("process N"), or None.

    The run lock is per table folder, so without this a whole-table call would train a second copy
    of an experiment that another table's call is training. Best effort: two calls that start the
    same experiment in two tables within the same instant can both train it, each in its own folder
    (duplicated work, nothing overwritten).
    """
    for wd in _twin_work_dirs(root, run):
        holder = lock_holder(wd.parent, wd.name)
        if holder is not None:
            return wd, holder
    return None


def _twin_work_dirs(root: Path, run: RunSpec) -> List[Path]:
    """Work folders in other tables' folders next to ``root`` written for ``run``'s config key."""
    key = run_key(run)
    found = []
    for key_file in sorted(root.parent.glob(f"*/work/*__{run.protocol}__seed{run.seed}/key")):
        wd = key_file.parent
        if wd.parent.parent.resolve() == root.resolve():
            continue
        try:
            if key_file.read_text(encoding="utf-8").strip() == key:
                found.append(wd)
        except OSError:
            continue
    return found


def training_folder(root: Path, run: RunSpec, state: State) -> Tuple[Path, State]:
    """Where a run in ``state`` (not done) trains, and how: its own work folder, unless it would
    start fresh while a twin's work folder in another table holds a checkpoint for the same config
    key. It then resumes there: table 1's honest LightGCN cells, asked for a larger time budget
    than table 2's copies were cut by, continue table 2's hundreds of epochs instead of redoing them.
    """
    if state == "fresh":
        for wd in _twin_work_dirs(root, run):
            if (wd / "last.pt").is_file():
                return wd, "resume"
    return work_dir(root, run), state


def being_trained(root: Path, run: RunSpec) -> Optional[Tuple[Path, str]]:
    """The work folder a live process is training ``run`` in (its own, or a twin's: see
    :func:`twin_in_training`) and the holder ("process N"), or None."""
    holder = lock_holder(root / "work", run.run_id)
    if holder is not None:
        return work_dir(root, run), holder
    return twin_in_training(root, run)


def work_name(wd: Path) -> str:
    """``<table>/<run_id>`` of a work folder, as messages and ``--plan`` name it."""
    return f"{wd.parent.parent.name}/{wd.name}"


def adopt_twin(root: Path, run: RunSpec) -> Optional[str]:
    """Copy :func:`find_twin`'s record as ``run``'s own (marked ``same_run_as``); returns its name."""
    twin = find_twin(root, run)
    if twin is None:
        return None
    path, record = twin
    source = f"{path.parent.parent.name}/{path.stem}"
    record.update(run_id=run.run_id, table=run.table, cell=run.cell, same_run_as=source)
    write_json_atomic(record, result_path(root, run))
    return source


def read_history(log_path: Path) -> List[Dict[str, Any]]:
    """Per-epoch records of a Trainer ``log.jsonl``; a resumed run's repeated epochs keep the last record."""
    by_epoch: Dict[int, Dict[str, Any]] = {}
    if not log_path.is_file():
        return []
    with open(log_path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill
            if isinstance(rec, dict) and "epoch" in rec:
                by_epoch[int(rec["epoch"])] = rec
    return [by_epoch[e] for e in sorted(by_epoch)]


def versions() -> Dict[str, str]:
    import numpy
    import torch

    import graphcl

    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
           "graphcl": getattr(graphcl, "__version__", "unknown"), "platform": platform.platform()}
    try:
        repo = Path(graphcl.__file__).resolve().parents[1]
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10)
        if commit.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=10)
            out["git"] = commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _log_call(wd: Path, started: float, code: Dict[str, str], from_epoch: int) -> None:
    """Append this call to the folder's ``calls.jsonl`` before it trains, so that a run resumed
    across commits (or machines) names the code of every stretch of epochs, killed calls included."""
    line = json.dumps({"started": _iso(started), "from_epoch": from_epoch, "versions": code})
    with open(wd / "calls.jsonl", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _calls(wd: Path, epochs_run: int) -> List[Dict[str, Any]]:
    """The calls that trained in ``wd`` since its last fresh start, each with the epochs it ran
    (``epochs``: [first, last], or [] when it resumed and stopped at once)."""
    calls = []
    for line in (wd / "calls.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            calls.append(json.loads(line))
        except ValueError:
            continue  # a line torn by a kill
    ends = [c["from_epoch"] for c in calls[1:]] + [epochs_run]
    for call, end in zip(calls, ends):
        call["epochs"] = [call["from_epoch"], end - 1] if end > call["from_epoch"] else []
        del call["from_epoch"]
    return calls


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def execute(run: RunSpec, root: Path, isolated: bool = False, log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run (or resume) ``run`` and write its JSON; returns the record (the earlier one, when that
    trained further: :func:`_train`).

    ``isolated``: this process runs nothing else, so the peak RSS is the run's own.
    Raises :class:`graphcl.reproduce.lock.RunInProgress` when another process is training it.
    """
    if run_state(root, run) != "done":
        with hold_run_lock(root / "work", run.run_id):
            # the state again: the lock's last holder may have finished the run meanwhile
            state = run_state(root, run)
            if state != "done":
                twin = twin_in_training(root, run)
                if twin is not None:
                    raise RunInProgress(f"run {run.run_id} is the same experiment as {work_name(twin[0])}, which "
                                        f"is being trained by {twin[1]}; a call after it finishes copies its record in")
                wd, state = training_folder(root, run, state)
                if wd == work_dir(root, run):
                    return _train(run, root, isolated, state, wd, log)
                with hold_run_lock(wd.parent, wd.name):  # that table's calls then leave the run alone
                    if not _holds_checkpoint(wd, run_key(run)):  # that table restarted it meanwhile
                        return _train(run, root, isolated, "fresh", work_dir(root, run), log)
                    return _train(run, root, isolated, state, wd, log)
    record = read_json(result_path(root, run))
    assert record is not None
    return record


def _train(run: RunSpec, root: Path, isolated: bool, state: State, wd: Path,
           log: Callable[[str], None] = print) -> Dict[str, Any]:
    task = get_task(run.task)
    if state == "fresh" and wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True, exist_ok=True)
    gitignore = wd.parent / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# checkpoints of graphcl reproduce runs; only runs/*.json are results\n*\n")
    (wd / "key").write_text(run_key(run) + "\n")
    started = time.time()
    code = versions()  # the code this call trains with; a commit made while it runs must not be named
    _log_call(wd, started, code, len(read_history(wd / "log.jsonl")) if state == "resume" else 0)
    t0 = time.perf_counter()
    result = task.run(run.config, wd, resume=(state == "resume"))
    wall = time.perf_counter() - t0
    history = read_history(wd / "log.jsonl")
    epoch_seconds = [h["seconds"] for h in history if "seconds" in h]
    record = {
        "status": "finished",
        "run_id": run.run_id,
        "table": run.table,
        "cell": run.cell,
        "protocol": run.protocol,
        "seed": run.seed,
        "task": run.task,
        "config": run.config,
        "key": run_key(run),
        "resumed": state == "resume",
        "result": result,
        "best_epoch": result.get("best_epoch"),
        "epochs_run": result.get("epochs_run"),
        "seconds_per_epoch": (sum(epoch_seconds) / len(epoch_seconds)) if epoch_seconds
        else result.get("seconds_per_epoch"),
        "wall_seconds": round(wall, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "memory_scope": "run" if isolated else "process (runs shared one process)",
        "versions": code,
        "started": _iso(started),
        "calls": _calls(wd, len(history)),
        "history": history,
    }
    if wd != work_dir(root, run):
        record["trained_in"] = work_name(wd)
    kept = read_json(result_path(root, run))
    if _trained_further(run, kept, record, record["key"]):
        # the budget cut this run before the epoch its record reached (a restart on a slower machine):
        # the record says more, so it stays; so does the checkpoint, which a larger budget continues
        log(f"  {run.run_id}: kept its record ({describe_record(kept)}); this call's run ended at "
            f"{describe_record(record)}, and its checkpoint in {work_name(wd)} continues with a larger budget")
        return kept
    write_json_atomic(record, result_path(root, run))
    return record


def _execute_isolated(run_dict: Dict[str, Any], root: str, threads: int) -> Dict[str, Any]:
    """Child-process entry: one run per fresh process, so peak memory is the run's own.

    ``threads`` caps torch's intra-op threads unless the config sets ``train.threads``:
    several workers each using every core slow each other down many times over.
    """
    import torch

    torch.set_num_threads(threads)
    return execute(RunSpec.from_dict(run_dict), Path(root), isolated=True)


@dataclass
class Outcome:
    run: RunSpec
    state: str  # a State, or "running": another process is training it, so this call left it alone
    record: Optional[Dict[str, Any]] = None
    error: Optional[str] = None


def run_all(runs: List[RunSpec], root: Path, jobs: int = 1,
            log: Callable[[str], None] = print) -> List[Outcome]:
    """Run every pending run of ``runs`` (``jobs`` > 1: that many worker processes).

    Finished runs are skipped; a failing run is reported and the others go on.
    """
    root.mkdir(parents=True, exist_ok=True)
    outcomes: List[Outcome] = []
    pending: List[Outcome] = []
    for run in runs:
        state = run_state(root, run)
        busy = being_trained(root, run) if state != "done" else None
        if busy is not None:
            wd, holder = busy
            log(f"  {run.run_id}: being trained by {holder}; left to it" if wd == work_dir(root, run) else
                f"  {run.run_id}: the same experiment as {work_name(wd)} is being trained by {holder}; "
                "left to it (its record is copied in by a call after it finishes)")
            outcomes.append(Outcome(run, "running"))
            continue
        further = state == "done"  # a twin is taken then only when it trained further
        source = adopt_twin(root, run)
        if source is not None:
            log(f"  {run.run_id}: the same experiment as {source} (same config key)"
                + (", trained further than this table's record" if further else "") + "; its record is copied")
            state = run_state(root, run)
        if state != "done":
            wd, state = training_folder(root, run, state)
            if wd != work_dir(root, run):
                log(f"  {run.run_id}: continues the checkpoint of the same experiment in {work_name(wd)}")
            elif state == "fresh" and (earlier := earlier_record(root, run)) is not None:
                log(f"  {restart_note(run, earlier)}")
        (outcomes if state == "done" else pending).append(
            Outcome(run, state, read_json(result_path(root, run)) if state == "done" else None))
    busy = sum(o.state == "running" for o in outcomes)
    log(f"{len(runs)} runs: {len(outcomes) - busy} finished already, "
        + (f"{busy} being trained by other processes, " if busy else "")
        + f"{len(pending)} to run" + (f" with {jobs} processes" if jobs > 1 and pending else ""))

    def finish(o: Outcome, record: Optional[Dict[str, Any]], error: Optional[str]) -> None:
        o.record, o.error = record, error
        if error:
            log(f"  FAILED {o.run.run_id}: {error}")
        else:
            test = record["result"].get("test", {})
            shown = ", ".join(f"{k} {v:.4f}" for k, v in list(test.items())[:2])
            log(f"  done {o.run.run_id} ({o.state}): {shown}; best epoch {record.get('best_epoch')}, "
                f"{record['wall_seconds']:.0f} s")
        outcomes.append(o)

    if jobs <= 1:
        for o in pending:
            log(f"  run {o.run.run_id} ({o.state})")
            try:
                finish(o, execute(o.run, root, log=log), None)
            except GraphclError as exc:
                finish(o, None, str(exc))
            except Exception:  # noqa: BLE001 - one broken run must not lose the others
                finish(o, None, traceback.format_exc(limit=3).strip().splitlines()[-1])
    elif pending:
        ctx = get_context("spawn")
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, max_tasks_per_child=1) as pool:
            futures = {pool.submit(_execute_isolated, o.run.to_dict(), str(root), threads): o for o in pending}
            for o in pending:
                log(f"  queued {o.run.run_id} ({o.state})")
            for fut in as_completed(futures):
                o = futures[fut]
                try:
                    finish(o, fut.result(), None)
                except GraphclError as exc:
                    finish(o, None, str(exc))
                except Exception as exc:  # noqa: BLE001
                    finish(o, None, f"{type(exc).__name__}: {exc}")
    return outcomes
