"""Cache of parsed datasets, keyed by the SHA-256 of their source files.

Parsing text and pickles takes seconds; reloading arrays takes milliseconds. A parsed
dataset is stored under ``<cache>/parsed/<name>-<key>.{npz,pt}`` where ``key`` hashes the
loader format, its options and the SHA-256 of every source file, so editing, replacing or
re-downloading a source yields a new key (a miss) and the stale entry is removed on the
next save.

Hashing every source on every load would cost as much as a small parse, so file hashes are
memoised in ``<cache>/parsed/hashes.json`` by (absolute path, size, mtime in ns); a file
whose size or mtime changes is hashed again.

Storage: :class:`~graphcl.data.interaction.InteractionData` uses its own ``.npz`` format;
PyG ``Data`` / ``HeteroData`` are stored as ``torch.save`` of their attribute dict and read
back with ``weights_only=True`` (no arbitrary unpickling of cache files). Objects holding
anything but tensors and plain values are not cached.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Sequence

from graphcl.data.download import sha256_file

# Bump when a loader's output changes for the same input files.
CACHE_VERSION = 1


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


class ParsedCache:
    """Parsed datasets and source-file hashes under ``root`` (usually ``<cache>/parsed``)."""

    def __init__(self, root: os.PathLike):
        self.root = Path(root)
        self._memo_path = self.root / "hashes.json"
        self._memo: Optional[Dict[str, list]] = None

    # -- source hashes -------------------------------------------------------------
    def _memo_table(self) -> Dict[str, list]:
        if self._memo is None:
            try:
                self._memo = json.loads(self._memo_path.read_text())
            except (OSError, ValueError):
                self._memo = {}
        return self._memo

    def file_sha256(self, path: os.PathLike) -> str:
        """SHA-256 of ``path``, reusing the memo while its size and mtime are unchanged."""
        path = Path(path).resolve()
        st = path.stat()
        memo = self._memo_table()
        entry = memo.get(str(path))
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            return entry[2]
        digest = sha256_file(path)
        memo[str(path)] = [st.st_size, st.st_mtime_ns, digest]
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _atomic_write_text(self._memo_path, json.dumps(memo))
        except OSError:
            pass  # a read-only cache only costs re-hashing
        return digest

    def key(self, sources: Iterable[os.PathLike], params: Dict[str, Any]) -> str:
        """Cache key from the loader parameters and the SHA-256 of each source file."""
        parts = {"version": CACHE_VERSION, "params": params,
                 "sources": sorted((Path(p).name, self.file_sha256(p)) for p in sources)}
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]

    # -- entries -------------------------------------------------------------------
    def _entries(self, name: str) -> Sequence[Path]:
        """Entries of exactly ``name`` (``<name>-<24 hex>``), not of names it prefixes."""
        return [p for p in sorted(self.root.glob(f"{name}-*")) if p.suffix in (".npz", ".pt")
                and re.fullmatch(r"[0-9a-f]{24}", p.stem[len(name) + 1:])]

    def load(self, name: str, key: str) -> Optional[Any]:
        """The cached object for (name, key), or None on a miss or an unreadable entry."""
        npz, pt = self.root / f"{name}-{key}.npz", self.root / f"{name}-{key}.pt"
        try:
            if npz.is_file():
                from graphcl.data.interaction import InteractionData

                return InteractionData.load_npz(npz)
            if pt.is_file():
                return _graph_from_payload(_torch_load(pt))
        except Exception:  # a corrupt entry is a miss; it is rewritten below
            return None
        return None

    def save(self, name: str, key: str, obj: Any) -> Optional[Path]:
        """Store ``obj`` and delete older entries of ``name``; returns the path or None if not cacheable."""
        from graphcl.data.interaction import InteractionData

        self.root.mkdir(parents=True, exist_ok=True)
        if isinstance(obj, InteractionData):
            path = self.root / f"{name}-{key}.npz"
            obj.save_npz(path)
        else:
            payload = _graph_payload(obj)
            if payload is None:
                return None
            import torch

            path = self.root / f"{name}-{key}.pt"
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=path.name, suffix=".tmp")
            os.close(fd)
            torch.save(payload, tmp)
            os.replace(tmp, path)
        for stale in self._entries(name):
            if stale != path:
                stale.unlink(missing_ok=True)
        return path


def _plain(value: Any) -> bool:
    import torch

    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def _graph_payload(obj: Any) -> Optional[Dict[str, Any]]:
    from torch_geometric.data import Data, HeteroData

    if isinstance(obj, HeteroData):
        kind = "HeteroData"
    elif isinstance(obj, Data):
        kind = "Data"
    else:
        return None
    content = obj.to_dict()
    return {"kind": kind, "content": content} if _plain(content) else None


def _graph_from_payload(payload: Dict[str, Any]) -> Any:
    from torch_geometric.data import Data, HeteroData

    cls = HeteroData if payload["kind"] == "HeteroData" else Data
    return cls.from_dict(payload["content"])


def _torch_load(path: Path) -> Any:
    import torch

    return torch.load(path, weights_only=True)


__all__ = ["ParsedCache", "CACHE_VERSION"]
