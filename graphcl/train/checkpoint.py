"""Atomic checkpoints that load with ``torch.load(weights_only=True)``.

A checkpoint is a plain dict of tensors and primitives (no pickled classes), written to a
temporary file in the same folder and renamed into place, so a crash mid-write never
leaves a truncated checkpoint behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Union

import torch

from graphcl.errors import GraphclError


def save_atomic(obj: Any, path: Union[str, os.PathLike]) -> Path:
    """``torch.save`` to ``path`` via a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path: Union[str, os.PathLike], map_location: Union[str, torch.device] = "cpu") -> dict:
    """Load a checkpoint written by :func:`save_atomic` (tensors and primitives only)."""
    path = Path(path)
    if not path.is_file():
        raise GraphclError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many kinds for corrupt files
        raise GraphclError(f"{path}: not a readable graphcl checkpoint ({exc.__class__.__name__}: {exc})") from None
