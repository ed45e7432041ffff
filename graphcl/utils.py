"""Small helpers shared across layers: seeding, devices, timing."""
from __future__ import annotations

import random
from typing import Optional, Union

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
