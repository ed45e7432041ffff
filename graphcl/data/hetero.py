"""Loaders for the HeCo and MEOW heterogeneous-graph layouts into ``HeteroData``.

Both layouts describe one *target* node type (papers in ACM, authors in DBLP, ...) with
labels and 20/40/60-labelled-nodes-per-class splits, several other node types, relation
edge lists (``pa.txt`` = paper→author, local 0-based ids per type), meta-path adjacency
matrices over the targets (``pap.npz``) and neighbour files (``nei_<t>``).

The returned :class:`torch_geometric.data.HeteroData` holds

* ``data[t].num_nodes`` for every node type, ``data[t].x`` when the type has a feature file
  (sparse COO ``float32`` tensor for ``.npz`` sparse matrices, dense otherwise);
* ``data[target].y`` (classes remapped to ``0..C-1``) and the index tensors
  ``data[target]["train_20"]``, ``["val_20"]``, ``["test_20"]`` (and 40, 60);
* every relation ``xy.txt`` as edge type ``(type_x, "xy", type_y)`` and its reverse
  ``(type_y, "yx", type_x)``;
* every meta-path ``m`` (e.g. ``"pap"``) as ``(target, m, target)`` with ``edge_index`` and
  ``edge_weight`` (number of path instances; 1.0 where the file only stores a boolean
  pattern). A missing meta-path file is computed from the relations as the sparse product
  ``R_{t0 t1} R_{t1 t2} ... R_{t(L-1) tL}`` of binary relation matrices (instance counts);
* neighbour files as ``(target, "nei_<suffix>", type)`` edges (``nei_a``, and in MEOW's
  DBLP the meta-path-context incidences ``nei_apc``, ``nei_apt``);
* positives (``pos.npz``, HeCo only) as ``(target, "pos", target)``;
* ``data.target`` (type name), ``data.metapaths`` (lower-case letter strings, e.g.
  ``["pap", "psp"]``), ``data.schema_types`` (neighbour types for the network-schema view in
  HeCo's order) and ``data.letters`` (letter → type name).

Bad files raise :class:`graphcl.errors.DataError` naming the file and the problem.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import HeteroData

from graphcl.errors import DataError

SPLIT_SIZES = (20, 40, 60)


@dataclass(frozen=True)
class HeteroSpec:
    """What one dataset directory contains (node counts from the HeCo/MEOW papers)."""

    target: str  # letter of the target type
    types: Dict[str, Tuple[str, int]]  # letter -> (type name, node count)
    relations: Tuple[str, ...]  # relation file stems, e.g. "pa"
    metapaths: Tuple[str, ...]  # e.g. "pap"; file "<mp>.npz" or computed
    schema: Tuple[str, ...]  # neighbour letters of the network-schema view, HeCo's order
    features: Tuple[str, ...]  # letters with a "<l>_feat.npz" file
    num_classes: int
    sep: Optional[str] = "\t"  # relation file separator (None = any whitespace)


_HECO = {
    "acm": HeteroSpec(
        "p", {"p": ("paper", 4019), "a": ("author", 7167), "s": ("subject", 60)},
        ("pa", "ps"), ("pap", "psp"), ("a", "s"), ("p", "a"), 3,
    ),
    "dblp": HeteroSpec(
        "a", {"a": ("author", 4057), "p": ("paper", 14328), "t": ("term", 7723), "c": ("conference", 20)},
        ("pa", "pc", "pt"), ("apa", "apcpa", "aptpa"), ("p",), ("a", "p", "t"), 4,
    ),
    "aminer": HeteroSpec(
        "p", {"p": ("paper", 6564), "a": ("author", 13329), "r": ("reference", 35890)},
        ("pa", "pr"), ("pap", "prp"), ("a", "r"), (), 4,
    ),
    "freebase": HeteroSpec(
        "m", {"m": ("movie", 3492), "a": ("actor", 33401), "d": ("director", 2502), "w": ("writer", 4459)},
        ("ma", "md", "mw"), ("mam", "mdm", "mwm"), ("d", "a", "w"), (), 3,
    ),
}

_MEOW = {
    "acm": _HECO["acm"],
    "dblp": _HECO["dblp"],
    "aminer": _HECO["aminer"],
    "imdb": HeteroSpec(
        "m", {"m": ("movie", 4275), "a": ("actor", 5432), "d": ("director", 2083), "k": ("keyword", 7313)},
        ("ma", "md", "mk"), ("mam", "mdm", "mkm"), ("a", "d", "k"), ("m",), 3, sep=None,
    ),
}

HECO_DATASETS = tuple(_HECO)
MEOW_DATASETS = tuple(_MEOW)


def load_heco(root: Path, name: str) -> HeteroData:
    """Load ``root/heco/<name>`` (or ``root/<name>`` if it already is the heco folder).

    ``name`` is one of ``acm``, ``dblp``, ``aminer``, ``freebase``.
    """
    return _load(Path(root), "heco", name, _HECO)


def load_meow(root: Path, name: str) -> HeteroData:
    """Load ``root/meow/<name>``; ``name`` is one of ``acm``, ``dblp``, ``aminer``, ``imdb``."""
    return _load(Path(root), "meow", name, _MEOW)


def load_hetero(root: Path, layout: str, name: str) -> HeteroData:
    """Dispatch to :func:`load_heco` or :func:`load_meow` by ``layout``."""
    if layout == "heco":
        return load_heco(root, name)
    if layout == "meow":
        return load_meow(root, name)
    raise DataError(root, f"unknown heterogeneous layout {layout!r} (expected 'heco' or 'meow')")


# -- internals -----------------------------------------------------------------------------


def _load(root: Path, layout: str, name: str, specs: Dict[str, HeteroSpec]) -> HeteroData:
    if name not in specs:
        raise DataError(root, f"unknown {layout} dataset {name!r} (expected one of {', '.join(specs)})")
    folder = root / layout / name if (root / layout / name).is_dir() else root / name
    if not folder.is_dir():
        raise DataError(root / layout / name, "dataset folder not found")
    spec = specs[name]
    counts = {letter: n for letter, (_, n) in spec.types.items()}
    names = {letter: type_name for letter, (type_name, _) in spec.types.items()}
    n_target = counts[spec.target]

    features = {letter: _read_features(folder / f"{letter}_feat.npz", counts[letter]) for letter in spec.features}
    labels = _read_labels(folder / "labels.npy", n_target, spec.num_classes)
    splits = {
        f"{part}_{size}": _read_index(folder / f"{part}_{size}.npy", n_target)
        for size in SPLIT_SIZES
        for part in ("train", "val", "test")
    }
    relations = {
        stem: _read_relation(folder / f"{stem}.txt", counts[stem[0]], counts[stem[1]], spec.sep) for stem in spec.relations
    }
    metapaths = {mp: _read_square(folder / f"{mp}.npz", n_target) for mp in spec.metapaths if (folder / f"{mp}.npz").exists()}
    neighbours = {}
    for nei_path in sorted(folder.glob("nei_*")):
        suffix = nei_path.stem[len("nei_"):]
        if suffix[-1] not in names:
            raise DataError(nei_path, f"neighbour type {suffix[-1]!r} is not a node type of {name}")
        neighbours[suffix] = _read_neighbours(nei_path, n_target, counts[suffix[-1]])
    pos = folder / "pos.npz"
    positives = _read_square(pos, n_target) if pos.exists() else None
    spec_metapaths = {mp: metapaths.get(mp) for mp in spec.metapaths}
    return assemble_hetero(
        name, spec.types, spec.target, relations, spec_metapaths, list(spec.schema), labels, splits,
        features=features, neighbours=neighbours, positives=positives,
    )


def assemble_hetero(
    name: str,
    types: Dict[str, Tuple[str, int]],
    target: str,
    relations: Dict[str, sp.spmatrix],
    metapaths: Dict[str, Optional[sp.spmatrix]],
    schema: List[str],
    labels: np.ndarray,
    splits: Dict[str, np.ndarray],
    features: Optional[Dict[str, torch.Tensor]] = None,
    neighbours: Optional[Dict[str, sp.spmatrix]] = None,
    positives: Optional[sp.spmatrix] = None,
) -> HeteroData:
    """Build graphcl's ``HeteroData`` layout (module docstring) from in-memory parts.

    ``types`` maps letters to ``(type name, node count)``; ``relations`` maps two-letter
    stems (``"pa"``) to binary ``|a| x |b|`` matrices; ``metapaths`` maps letter strings to a
    target x target matrix or ``None`` (then computed by :func:`metapath_counts`); ``schema``
    lists the letters of the network-schema neighbour types; ``labels`` are ``0..C-1``;
    ``splits`` maps names such as ``"train_20"`` to node indices.
    """
    names = {letter: type_name for letter, (type_name, _) in types.items()}
    target_name = names[target]
    data = HeteroData()
    for letter, (type_name, n) in types.items():
        data[type_name].num_nodes = n
    for letter, x in (features or {}).items():
        data[names[letter]].x = x
    data[target_name].y = torch.as_tensor(labels, dtype=torch.long)
    for key, idx in splits.items():
        data[target_name][key] = torch.as_tensor(idx, dtype=torch.long)
    both: Dict[str, sp.csr_matrix] = {}
    for stem, mat in relations.items():
        mat = sp.csr_matrix(mat, dtype=np.float64)
        both[stem] = mat
        both[stem[::-1]] = mat.T.tocsr()
        _put_edges(data, (names[stem[0]], stem, names[stem[1]]), mat, weighted=False)
        _put_edges(data, (names[stem[1]], stem[::-1], names[stem[0]]), both[stem[::-1]], weighted=False)
    for mp, mat in metapaths.items():
        _put_edges(data, (target_name, mp, target_name), metapath_counts(both, mp) if mat is None else mat, weighted=True)
    for suffix, mat in (neighbours or {}).items():
        _put_edges(data, (target_name, f"nei_{suffix}", names[suffix[-1]]), mat, weighted=False)
    if positives is not None:
        _put_edges(data, (target_name, "pos", target_name), positives, weighted=False)
    data.target = target_name
    data.metapaths = list(metapaths)
    data.schema_types = [names[letter] for letter in schema]
    data.letters = dict(names)
    data.dataset = name
    return data


def metapath_counts(relations: Dict[str, sp.csr_matrix], metapath: str) -> sp.csr_matrix:
    """Number of instances of ``metapath`` between every pair of its end nodes.

    ``relations`` maps two-letter stems (both directions) to binary CSR matrices. The product
    is evaluated sparsely; a symmetric (palindromic) meta-path ``t0..tk..t0`` is computed as
    ``H H^T`` with ``H`` the product over its first half, which keeps intermediates small.
    """
    steps = [metapath[i : i + 2] for i in range(len(metapath) - 1)]
    missing = [s for s in steps if s not in relations]
    if missing:
        raise DataError(None, f"meta-path {metapath!r} needs relation {missing[0]!r}, which is not loaded")
    mats = [relations[s].astype(np.float64) for s in steps]
    if metapath == metapath[::-1] and len(steps) % 2 == 0:
        half = functools.reduce(lambda a, b: a @ b, mats[: len(steps) // 2])
        out = half @ half.T
    else:
        out = functools.reduce(lambda a, b: a @ b, mats)
    out = out.tocsr()
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def _put_edges(data: HeteroData, key: Tuple[str, str, str], mat: sp.spmatrix, weighted: bool) -> None:
    coo = sp.coo_matrix(mat)
    order = np.lexsort((coo.col, coo.row))
    store = data[key]
    store.edge_index = torch.from_numpy(np.stack([coo.row[order], coo.col[order]]).astype(np.int64))
    if weighted:
        store.edge_weight = torch.from_numpy(coo.data[order].astype(np.float32))


def _load_npz(path: Path) -> sp.spmatrix:
    if not path.exists():
        raise DataError(path, "file not found")
    try:
        return sp.load_npz(path)
    except Exception as exc:  # numpy/scipy raise a zoo of types for bad archives
        raise DataError(path, f"not a scipy sparse .npz file ({exc})") from None


def _load_npy(path: Path, allow_pickle: bool = False) -> np.ndarray:
    if not path.exists():
        raise DataError(path, "file not found")
    try:
        return np.load(path, allow_pickle=allow_pickle)
    except Exception as exc:
        raise DataError(path, f"not a numpy .npy file ({exc})") from None


def _read_features(path: Path, n: int) -> torch.Tensor:
    if not path.exists():
        raise DataError(path, "file not found")
    try:
        mat = sp.load_npz(path)
    except Exception:
        # DBLP's t_feat.npz is a plain np.save array despite its name.
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise DataError(path, f"neither a scipy sparse .npz nor a numpy array ({exc})") from None
        if not isinstance(arr, np.ndarray) or arr.ndim != 2:
            raise DataError(path, "expected a 2-D feature matrix")
        if arr.shape[0] != n:
            raise DataError(path, f"has {arr.shape[0]} rows, expected {n} nodes")
        return torch.from_numpy(arr.astype(np.float32))
    if mat.shape[0] != n:
        raise DataError(path, f"has {mat.shape[0]} rows, expected {n} nodes")
    coo = sp.coo_matrix(mat)
    index = torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64))
    return torch.sparse_coo_tensor(index, torch.from_numpy(coo.data.astype(np.float32)), coo.shape, check_invariants=False).coalesce()


def _read_labels(path: Path, n: int, num_classes: int) -> np.ndarray:
    raw = _load_npy(path)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise DataError(path, f"expected {n} labels, got shape {raw.shape}")
    if not np.all(np.isfinite(raw)) or not np.all(raw == np.round(raw)):
        raise DataError(path, "labels must be integers")
    values, inverse = np.unique(raw.astype(np.int64), return_inverse=True)
    if len(values) != num_classes:
        raise DataError(path, f"expected {num_classes} classes, found {len(values)}: {values.tolist()}")
    return inverse.astype(np.int64)


def _read_index(path: Path, n: int) -> np.ndarray:
    idx = _load_npy(path)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise DataError(path, f"expected a 1-D integer index array, got {idx.dtype} {idx.shape}")
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise DataError(path, f"node index out of range [0, {n})")
    return idx.astype(np.int64)


def _read_relation(path: Path, n_src: int, n_dst: int, sep: Optional[str]) -> sp.csr_matrix:
    if not path.exists():
        raise DataError(path, "file not found")
    pairs: List[Tuple[int, int]] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            tokens = line.split(sep) if sep else line.split()
            if len(tokens) != 2:
                raise DataError(path, f"expected 2 columns 'src dst', found {len(tokens)}", line=lineno)
            try:
                s, d = int(tokens[0]), int(tokens[1])
            except ValueError:
                raise DataError(path, f"expected integer ids, found {line.strip()!r}", line=lineno) from None
            if not (0 <= s < n_src and 0 <= d < n_dst):
                raise DataError(path, f"id pair ({s}, {d}) out of range ({n_src} x {n_dst} nodes)", line=lineno)
            pairs.append((s, d))
    if not pairs:
        raise DataError(path, "file is empty")
    arr = np.asarray(pairs, dtype=np.int64)
    mat = sp.csr_matrix((np.ones(len(arr)), (arr[:, 0], arr[:, 1])), shape=(n_src, n_dst))
    mat.data[:] = 1.0  # duplicate lines do not create multi-edges
    return mat


def _read_square(path: Path, n: int) -> sp.csr_matrix:
    mat = _load_npz(path)
    if mat.shape != (n, n):
        raise DataError(path, f"expected a {n} x {n} matrix over the target nodes, got {mat.shape}")
    mat = sp.csr_matrix(mat, dtype=np.float64)
    mat.eliminate_zeros()
    return mat


def _read_neighbours(path: Path, n: int, n_type: int) -> sp.csr_matrix:
    if path.suffix == ".npz":  # MEOW: sparse incidence target x type
        mat = _load_npz(path)
        if mat.shape != (n, n_type):
            raise DataError(path, f"expected a {n} x {n_type} incidence matrix, got {mat.shape}")
        mat = sp.csr_matrix(mat, dtype=np.float64)
        mat.eliminate_zeros()
        mat.data[:] = 1.0
        return mat
    arr = _load_npy(path, allow_pickle=True)  # HeCo: object array of per-node id arrays
    if arr.shape[0] != n:
        raise DataError(path, f"expected {n} entries (one per target node), got {arr.shape[0]}")
    rows_list = [np.asarray(a, dtype=np.int64).reshape(-1) for a in arr]
    lengths = np.fromiter((len(a) for a in rows_list), dtype=np.int64, count=n)
    cols = np.concatenate(rows_list) if n else np.zeros(0, dtype=np.int64)
    if len(cols) and (cols.min() < 0 or cols.max() >= n_type):
        raise DataError(path, f"neighbour id out of range [0, {n_type})")
    rows = np.repeat(np.arange(n), lengths)
    mat = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n, n_type))
    mat.data[:] = 1.0
    return mat


def node_features(data: HeteroData, node_type: str) -> torch.Tensor:
    """Input features of ``node_type``: rows normalised to sum 1, or one-hot ids when absent.

    Row normalisation follows HeCo's preprocessing; a type without a feature file gets the
    sparse identity (HeCo's one-hot ids). Sparse inputs stay sparse (COO ``float32``). Dense
    features with negative entries (DBLP's word vectors) are returned unchanged.
    """
    store = data[node_type]
    n = store.num_nodes
    if "x" not in store:
        idx = torch.arange(n)
        return torch.sparse_coo_tensor(torch.stack([idx, idx]), torch.ones(n), (n, n), check_invariants=False).coalesce()
    x = store.x
    if x.is_sparse:
        x = x.coalesce()
        row = x.indices()[0]
        sums = torch.zeros(n).index_add_(0, row, x.values())
        inv = torch.where(sums != 0, 1.0 / sums, torch.zeros_like(sums))
        return torch.sparse_coo_tensor(x.indices(), x.values() * inv[row], x.shape, check_invariants=False).coalesce()
    if (x < 0).any():
        return x  # signed dense embeddings (DBLP terms) are used as given
    sums = x.sum(1, keepdim=True)
    return x / torch.where(sums != 0, sums, torch.ones_like(sums))
