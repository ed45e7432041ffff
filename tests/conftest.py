"""Shared fixtures. Benchmark data tests read GRAPHCL_DATA and skip visibly when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# Test tensors are small: one thread avoids oversubscription when cores are shared.
torch.set_num_threads(1)


def pytest_configure(config):
    # Keep the parsed-dataset and pretraining caches of a test run out of the user's home.
    if "GRAPHCL_CACHE" not in os.environ:
        import tempfile

        os.environ["GRAPHCL_CACHE"] = tempfile.mkdtemp(prefix="graphcl-test-cache-")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder laid out like ``shared/datasets`` (GRAPHCL_DATA), or skip."""
    root = os.environ.get("GRAPHCL_DATA")
    if not root:
        pytest.skip("GRAPHCL_DATA is not set: benchmark-data test skipped")
    path = Path(root)
    if not path.is_dir():
        pytest.skip(f"GRAPHCL_DATA={root} does not exist: benchmark-data test skipped")
    return path.resolve()  # absolute: tests may symlink into it from temporary folders
