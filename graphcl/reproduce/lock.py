"""One process per run: an advisory lock next to the run's work folder.

Two ``graphcl reproduce`` calls that share a run (``--only X`` started twice, or a whole-table
call while a single cell runs in the background) would otherwise train it twice into the same
folder, each overwriting the other's checkpoints. The runner holds ``work/<run_id>.lock`` with an
exclusive ``flock`` while a run trains; the kernel drops the lock when the process ends, however it
ends (``kill -9`` included), so a killed run never leaves a stale lock behind and ``--plan`` can
tell a run in progress from a killed one. The file keeps the holder's pid for messages only.

The lock lives beside the work folder, not in it, because a fresh run wipes its folder first.
On platforms without ``fcntl`` (Windows) nothing is locked and no run is ever seen as running.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Optional

from graphcl.errors import GraphclError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


class RunInProgress(GraphclError):
    """The run is being trained by another process."""


def lock_path(work_root: Path, run_id: str) -> Path:
    return work_root / f"{run_id}.lock"


def _try_lock(fh: IO[str]) -> bool:
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid.isdigit() else "another process"


def lock_holder(work_root: Path, run_id: str) -> Optional[str]:
    """Who holds the run's lock, as "process 1234", or None when no live process does."""
    path = lock_path(work_root, run_id)
    if not path.is_file():
        return None
    with open(path, "a+", encoding="utf-8") as fh:
        if _try_lock(fh):
            return None  # closing the file releases the lock we just took
    return _holder(path)


@contextmanager
def hold_run_lock(work_root: Path, run_id: str) -> Iterator[None]:
    """Hold the run's lock for the ``with`` block; :class:`RunInProgress` when another process has it."""
    work_root.mkdir(parents=True, exist_ok=True)
    path = lock_path(work_root, run_id)
    fh = open(path, "a+", encoding="utf-8")
    try:
        if not _try_lock(fh):
            raise RunInProgress(f"run {run_id} is being trained by {_holder(path)} (lock {path}); "
                                "its result will be written when that process finishes")
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()  # releases the lock; the file stays (removing it would race with a new holder)


__all__ = ["RunInProgress", "hold_run_lock", "lock_path", "lock_holder"]
