"""A restricted unpickler for the pickled benchmark files (LightGCL ``*.pkl``, Planetoid ``ind.*``).

``pickle.load`` runs whatever callables a file names, so a tampered dataset could execute
code. :func:`load_pickle` only resolves the few globals these files need to rebuild numpy
arrays, scipy CSR/COO matrices and the neighbour-list dicts; any other global raises
:class:`DataError` naming the file and the refused class. Old module paths written by
Python 2 / numpy 1 / scipy < 1.8 (``numpy.core.multiarray``, ``scipy.sparse.coo``,
``__builtin__``) are mapped to their current homes.
"""
from __future__ import annotations

import io
import os
import pickle
from typing import Any, Union

import numpy as np

from graphcl.errors import DataError

PathLike = Union[str, os.PathLike]

# numpy 2 moved numpy.core to numpy._core; old pickles name the former.
_NP_CORE = "numpy._core.multiarray" if hasattr(np, "_core") else "numpy.core.multiarray"
_NP_NUMERIC = "numpy._core.numeric" if hasattr(np, "_core") else "numpy.core.numeric"

# Allowed (module, name) -> the (module, name) that provides it today.
_ALLOWED = {
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"): (_NP_CORE, "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): (_NP_CORE, "_reconstruct"),
    ("numpy.core._multiarray_umath", "_reconstruct"): (_NP_CORE, "_reconstruct"),
    ("numpy._core._multiarray_umath", "_reconstruct"): (_NP_CORE, "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"): (_NP_NUMERIC, "_frombuffer"),  # protocol 5
    ("numpy._core.numeric", "_frombuffer"): (_NP_NUMERIC, "_frombuffer"),
    ("numpy.core.multiarray", "scalar"): (_NP_CORE, "scalar"),
    ("numpy._core.multiarray", "scalar"): (_NP_CORE, "scalar"),
    ("scipy.sparse.csr", "csr_matrix"): ("scipy.sparse", "csr_matrix"),
    ("scipy.sparse._csr", "csr_matrix"): ("scipy.sparse", "csr_matrix"),
    ("scipy.sparse.coo", "coo_matrix"): ("scipy.sparse", "coo_matrix"),
    ("scipy.sparse._coo", "coo_matrix"): ("scipy.sparse", "coo_matrix"),
    ("collections", "defaultdict"): ("collections", "defaultdict"),
    ("copy_reg", "_reconstructor"): ("copyreg", "_reconstructor"),
    ("copyreg", "_reconstructor"): ("copyreg", "_reconstructor"),
    ("__builtin__", "object"): ("builtins", "object"),
    ("builtins", "object"): ("builtins", "object"),
    ("__builtin__", "list"): ("builtins", "list"),
    ("builtins", "list"): ("builtins", "list"),
    # Python 3 protocol-2 pickles store numpy's raw bytes as _codecs.encode(str, "latin1").
    ("_codecs", "encode"): ("_codecs", "encode"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals in :data:`_ALLOWED`."""

    def __init__(self, file, source: PathLike, **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        target = _ALLOWED.get((module, name))
        if target is None:
            raise DataError(self._source, f"pickle refers to {module}.{name}, which is not allowed "
                                          "(only numpy arrays, scipy CSR/COO matrices and lists/dicts are)")
        return super().find_class(*target)


def load_pickle(path: PathLike, encoding: str = "latin1") -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler`.

    ``encoding="latin1"`` lets Python 3 read numpy arrays pickled by Python 2 (Planetoid).
    Truncated or corrupt files raise :class:`DataError` naming the file.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DataError(path, f"cannot read file ({exc.strerror})") from None
    if not raw:
        raise DataError(path, "file is empty (expected a pickle)")
    try:
        return RestrictedUnpickler(io.BytesIO(raw), source=path, encoding=encoding).load()
    except DataError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise DataError(path, f"not a valid pickle ({type(exc).__name__}: {exc})") from None


__all__ = ["load_pickle", "RestrictedUnpickler"]
