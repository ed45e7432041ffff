"""Parsers for recommendation interaction files, with errors that name file and line."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np
import pandas as pd

from graphcl.errors import DataError

PathLike = Union[str, os.PathLike]


def _open_text(path: PathLike):
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file not found")
    if not path.is_file():
        raise DataError(path, "not a file")
    return open(path, encoding="utf-8")


def read_lightgcn(path: PathLike, allow_empty_rows: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Read LightGCN text (``user item item ...`` per line, 0-based ids).

    Returns ``(users, items)`` as int64 arrays, one entry per interaction. A line with a
    user and no items is allowed (LightGCN's test files have such users). Raises
    :class:`DataError` naming the file and line for a non-integer or negative id, and for an
    empty file.
    """
    users: List[np.ndarray] = []
    items: List[np.ndarray] = []
    with _open_text(path) as fh:
        seen_any = False
        for lineno, line in enumerate(fh, start=1):
            tokens = line.split()
            if not tokens:
                continue
            seen_any = True
            try:
                ids = np.array(tokens, dtype=np.int64)
            except ValueError:
                bad = next(t for t in tokens if not _is_int(t))
                raise DataError(path, f"expected integer ids, found {bad!r}", line=lineno) from None
            if (ids < 0).any():
                raise DataError(path, f"negative id {int(ids[ids < 0][0])}", line=lineno)
            if len(ids) == 1 and not allow_empty_rows:
                raise DataError(path, "user has no items", line=lineno)
            users.append(np.full(len(ids) - 1, ids[0], dtype=np.int64))
            items.append(ids[1:])
    if not seen_any:
        raise DataError(path, "file is empty")
    return np.concatenate(users), np.concatenate(items)


def _is_int(token: str) -> bool:
    try:
        int(token)
        return True
    except ValueError:
        return False


def read_int_columns(path: PathLike, ncols: int, what: Optional[str] = None, line_numbers: bool = False):
    """Whitespace-separated integers, ``ncols`` per line (blank lines skipped), as (n, ncols) int64.

    ``what`` names the expected content in errors (default ``"<ncols> integer column(s)"``);
    a wrong field count, a non-integer token and an empty file are :class:`DataError` s
    naming the file and line. With ``line_numbers`` the result is ``(rows, lines)``, ``lines[k]``
    the 1-based file line of row ``k``, so callers checking values can name the line too.
    """
    what = what or f"{ncols} integer column(s)"
    rows, lines = [], []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) != ncols:
                raise DataError(path, f"expected {what}, got {len(tokens)} fields", line=lineno)
            try:
                rows.append([int(t) for t in tokens])
            except ValueError:
                raise DataError(path, f"expected {what}, got {line.strip()!r}", line=lineno) from None
            lines.append(lineno)
    if not rows:
        raise DataError(path, "file is empty")
    out = np.asarray(rows, dtype=np.int64)
    return (out, np.asarray(lines, dtype=np.int64)) if line_numbers else out


def read_atomic_inter(path: PathLike) -> pd.DataFrame:
    """Read a RecBole atomic file (``.inter``): tab-separated with a typed header.

    The header looks like ``user_id:token\titem_id:token\trating:float``; columns are
    renamed to the part before the colon. ``token`` columns are kept as strings (RecBole
    remaps them), ``float`` columns parsed as floats. Raises :class:`DataError` for a
    missing or malformed header, a wrong number of fields, or an unparsable float.
    """
    with _open_text(path) as fh:
        header = fh.readline().rstrip("\n\r")
    if not header:
        raise DataError(path, "file is empty (expected a header like 'user_id:token<TAB>item_id:token')", line=1)
    names, types = [], []
    for col in header.split("\t"):
        if ":" not in col:
            raise DataError(path, f"header field {col!r} is not 'name:type' (RecBole atomic format)", line=1)
        name, typ = col.split(":", 1)
        if typ not in {"token", "token_seq", "float", "float_seq"}:
            raise DataError(path, f"header field {col!r} has unknown type {typ!r}", line=1)
        names.append(name)
        types.append(typ)
    dtype = {n: (str if t.startswith("token") else str) for n, t in zip(names, types)}
    try:
        df = pd.read_csv(path, sep="\t", header=None, skiprows=1, names=names, dtype=dtype,
                         keep_default_na=False, engine="c")
    except pd.errors.ParserError as exc:
        line = _parser_error_line(str(exc))
        raise DataError(path, f"wrong number of fields ({exc})", line=line) from None
    for n, t in zip(names, types):
        if t == "float":
            values = pd.to_numeric(df[n], errors="coerce")
            bad = values.isna() & (df[n] != "")
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(path, f"column {n!r}: {df[n].iloc[row]!r} is not a number", line=row + 2)
            df[n] = values
    return df


def _parser_error_line(message: str):
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None
