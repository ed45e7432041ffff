"""The bundled default dataset: MovieLens-100K as shipped inside the ``recbole`` package.

The file is located with importlib (no ``import recbole``: RecBole's import chain is fragile
on current numpy/scipy/torch) so the quick start works offline on a fresh install.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from graphcl.errors import DataError


def ml100k_path() -> Path:
    """Path of ``recbole/dataset_example/ml-100k/ml-100k.inter``."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(None, "the bundled ml-100k dataset needs the 'recbole' package (pip install recbole)")
    for root in spec.submodule_search_locations:
        path = Path(root) / "dataset_example" / "ml-100k" / "ml-100k.inter"
        if path.is_file():
            return path
    raise DataError(None, "recbole is installed but dataset_example/ml-100k/ml-100k.inter is missing")
