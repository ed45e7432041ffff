"""Small helpers shared across layers: seeding, devices, atomic JSON files."""
from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import torch

from graphcl.errors import ConfigError


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def resolve_device(device: Union[str, torch.device, None]) -> torch.device:
    """``"auto"``/None picks CUDA when available, else CPU; anything else must exist."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available")
    return dev


def generator(seed: Optional[int], device: Union[str, torch.device] = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed`` (random when None)."""
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(int(seed) % (2**63))
    return gen


def _json_default(obj: Any) -> Any:
    """NumPy scalars as Python numbers; anything else JSON cannot hold as its string."""
    return obj.item() if isinstance(obj, np.generic) else str(obj)


def write_json_atomic(obj: Any, path: Union[str, os.PathLike]) -> None:
    """Write ``obj`` as indented JSON via a temporary file and ``os.replace``, so a reader (or a
    crash mid-write) never sees a torn file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=1, default=_json_default)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
