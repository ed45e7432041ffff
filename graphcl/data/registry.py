"""The dataset registry: cards, resolution, verification, parsed cache and format loaders.

Each dataset has a YAML card in the top-level ``datasets/`` folder naming its task, format,
folder, files (SHA-256 and/or git blob SHA-1, size, canonical URL pinned to a commit),
statistics, licence and citation. Nothing about a dataset is written in code.

A card's files live under ``<root>/<folder>/`` where ``root`` is, in this order:

1. ``data_dir`` passed by the caller (``--data-dir``),
2. ``$GRAPHCL_DATA`` (a folder laid out like ``shared/datasets``),
3. the user cache ``$GRAPHCL_CACHE/datasets`` (default ``~/.cache/graphcl/datasets``),

and the first root holding every required file wins. Otherwise the missing files are
downloaded into the cache (verified before use), or, with ``download=False`` or without a
known source, a :class:`DataError` names the missing file and where to get it. Cards with
``location: package:<pkg>`` read their files from an installed package's folder (ml-100k
from recbole, located with importlib and never imported).

The first load verifies every source against the card and parses it; the result is cached
(:mod:`graphcl.data.cache`) under a key made of the sources' SHA-256, so the next load only
re-reads arrays.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import yaml

from graphcl.data.cache import ParsedCache
from graphcl.data.download import download, verify_file
from graphcl.errors import ConfigError, DataError

PathLike = Union[str, os.PathLike]

TASKS = ("recommendation", "node_clustering", "heterogeneous")
_CARD_KEYS = {"name", "title", "task", "format", "location", "folder", "options", "files", "stats",
              "stats_source", "license", "citation", "notes"}
_FILE_KEYS = {"size", "sha256", "git_blob_sha1", "url", "source", "required", "note"}


# ---------------------------------------------------------------------------------------
# cards
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset, relative to the card's folder."""

    path: str
    sha256: Optional[str] = None
    git_blob_sha1: Optional[str] = None
    size: Optional[int] = None
    url: Optional[str] = None
    source: str = ""
    required: bool = True
    note: str = ""

    @property
    def verifiable(self) -> bool:
        return bool(self.sha256 or self.git_blob_sha1)


@dataclass(frozen=True)
class Card:
    """A parsed dataset card (see ``datasets/*.yaml``)."""

    name: str
    title: str
    task: str
    format: str
    folder: str
    files: Tuple[FileSpec, ...]
    options: Dict[str, Any] = field(default_factory=dict)
    stats: Dict[str, Any] = field(default_factory=dict)
    stats_source: str = ""
    location: str = "data"
    license: str = ""
    citation: str = ""
    notes: str = ""
    card_path: str = ""

    @property
    def required_files(self) -> Tuple[FileSpec, ...]:
        return tuple(f for f in self.files if f.required)

    @property
    def size_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files)


def cards_dirs() -> List[Path]:
    """Folders searched for cards: ``$GRAPHCL_CARDS``, the source tree's ``datasets/``, ``<prefix>/share/graphcl/datasets``."""
    dirs = []
    if os.environ.get("GRAPHCL_CARDS"):
        dirs.append(Path(os.environ["GRAPHCL_CARDS"]))
    repo = Path(__file__).resolve().parents[2]
    if (repo / "setup.cfg").is_file():  # a source checkout / editable install
        dirs.append(repo / "datasets")
    dirs.append(Path(sys.prefix) / "share" / "graphcl" / "datasets")
    return [d for d in dirs if d.is_dir()]


def _parse_card(path: Path) -> Card:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a dataset card must be a mapping")
    unknown = set(raw) - _CARD_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown card key(s) {', '.join(sorted(unknown))}")
    for key in ("name", "task", "format", "folder", "files"):
        if key not in raw:
            raise ConfigError(f"{path}: card is missing {key!r}")
    if raw["task"] not in TASKS:
        raise ConfigError(f"{path}: task must be one of {', '.join(TASKS)}, got {raw['task']!r}")
    if raw["format"] not in FORMATS:
        raise ConfigError(f"{path}: unknown format {raw['format']!r} (known: {', '.join(sorted(FORMATS))})")
    files = []
    for rel, spec in (raw["files"] or {}).items():
        spec = spec or {}
        bad = set(spec) - _FILE_KEYS
        if bad:
            raise ConfigError(f"{path}: file {rel!r} has unknown key(s) {', '.join(sorted(bad))}")
        files.append(FileSpec(path=rel, **spec))
    return Card(name=raw["name"], title=raw.get("title", raw["name"]), task=raw["task"], format=raw["format"],
                folder=raw["folder"], files=tuple(files), options=dict(raw.get("options") or {}),
                stats=dict(raw.get("stats") or {}), stats_source=raw.get("stats_source", ""),
                location=raw.get("location", "data"), license=raw.get("license", ""),
                citation=raw.get("citation", ""), notes=raw.get("notes") or "", card_path=str(path))


def list_cards() -> List[Card]:
    """All registered cards, sorted by task then name (the first folder wins on duplicates)."""
    found: Dict[str, Card] = {}
    for folder in cards_dirs():
        for path in sorted(folder.glob("*.yaml")):
            card = _parse_card(path)
            found.setdefault(card.name, card)
    return sorted(found.values(), key=lambda c: (TASKS.index(c.task), c.name))


def get_card(name: str) -> Card:
    """The card registered as ``name``; :class:`ConfigError` listing the names otherwise."""
    for folder in cards_dirs():
        path = folder / f"{name}.yaml"
        if path.is_file():
            return _parse_card(path)
    names = ", ".join(c.name for c in list_cards())
    raise ConfigError(f"unknown dataset {name!r}; registered: {names} (or give a folder/file path)")


# ---------------------------------------------------------------------------------------
# resolution
# ---------------------------------------------------------------------------------------
def cache_root() -> Path:
    """``$GRAPHCL_CACHE`` or ``~/.cache/graphcl``."""
    return Path(os.environ.get("GRAPHCL_CACHE") or Path.home() / ".cache" / "graphcl").expanduser()


def data_roots(data_dir: Optional[PathLike] = None) -> List[Tuple[str, Path]]:
    """(label, root) pairs in resolution order."""
    roots = []
    if data_dir is not None:
        roots.append(("--data-dir", Path(data_dir).expanduser()))
    if os.environ.get("GRAPHCL_DATA"):
        roots.append(("GRAPHCL_DATA", Path(os.environ["GRAPHCL_DATA"]).expanduser()))
    roots.append(("cache", cache_root() / "datasets"))
    return roots


def _package_folder(card: Card) -> Path:
    package = card.location.split(":", 1)[1]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(None, f"dataset {card.name!r} is read from the {package!r} package, which is not installed "
                              f"(pip install {package})")
    for base in spec.submodule_search_locations:
        folder = Path(base) / card.folder
        if all((folder / f.path).is_file() for f in card.required_files):
            return folder
    raise DataError(Path(spec.submodule_search_locations[0]) / card.folder,
                    f"the {package!r} package does not ship {', '.join(f.path for f in card.required_files)}")


@dataclass(frozen=True)
class Status:
    """Where a dataset is, or what is missing."""

    folder: Optional[Path]
    where: str  # root label, or "" when not present
    missing: Tuple[FileSpec, ...]  # required files absent from every root

    @property
    def present(self) -> bool:
        return self.folder is not None

    def describe(self) -> str:
        if self.present:
            return f"present ({self.where})"
        if any(f.url is None or not f.verifiable for f in self.missing):
            names = ", ".join(f.path for f in self.missing if f.url is None or not f.verifiable)
            return f"incomplete: no download source for {names}"
        return "missing: needs download (" + ", ".join(f.path for f in self.missing) + ")"


def status(card: Card, data_dir: Optional[PathLike] = None) -> Status:
    """Find the first root holding every required file of ``card``."""
    if card.location.startswith("package:"):
        try:
            return Status(_package_folder(card), card.location, ())
        except DataError:
            return Status(None, "", card.required_files)
    best: Optional[Tuple[FileSpec, ...]] = None
    for label, root in data_roots(data_dir):
        folder = root / card.folder
        absent = tuple(f for f in card.required_files if not (folder / f.path).is_file())
        if not absent:
            return Status(folder, label, ())
        if best is None or len(absent) < len(best):
            best = absent
    return Status(None, "", best or ())


def _missing_error(card: Card, spec: FileSpec, folder: Path) -> DataError:
    target = folder / spec.path
    if spec.url is None or not spec.verifiable:
        return DataError(target, f"missing, and graphcl has no verified download source for it ({spec.source})")
    return DataError(target, f"missing: needs download from {spec.url} "
                             f"(run `graphcl data download {card.name}` with internet access)")


def fetch(card: Card, data_dir: Optional[PathLike] = None, progress: bool = True) -> Path:
    """Make every required file of ``card`` available; returns the folder holding them.

    Files already in some root are copied (after verification) into the cache folder next
    to the downloaded ones, so a dataset never mixes roots. A root that already holds every
    required file is checked against the card's hashes too (its files are never deleted).
    """
    st = status(card, data_dir)
    if st.present:
        if not card.location.startswith("package:"):
            for spec in card.required_files:
                if spec.verifiable:
                    verify_file(st.folder / spec.path, spec.sha256, spec.git_blob_sha1)  # type: ignore[operator]
        return st.folder  # type: ignore[return-value]
    target = cache_root() / "datasets" / card.folder
    for spec in card.required_files:
        dest = target / spec.path
        if dest.is_file():
            try:
                verify_file(dest, spec.sha256, spec.git_blob_sha1)
                continue
            except DataError:
                dest.unlink()  # a corrupt cached copy is fetched again
        local = next((root / card.folder / spec.path for _, root in data_roots(data_dir)
                      if (root / card.folder / spec.path).is_file()), None)
        if local is not None and spec.verifiable:
            verify_file(local, spec.sha256, spec.git_blob_sha1)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, dest)
            continue
        if spec.url is None or not spec.verifiable:
            raise _missing_error(card, spec, target)
        download(spec.url, dest, sha256=spec.sha256, git_blob_sha1=spec.git_blob_sha1, progress=progress)
    return target


def _sources(card: Card, folder: Path) -> List[Tuple[FileSpec, Path]]:
    return [(f, folder / f.path) for f in card.files if (folder / f.path).is_file()]


def _verify_sources(card: Card, folder: Path, cache: ParsedCache, in_cache: bool) -> None:
    """Check present card files against the card; bad files in the download cache are deleted."""
    for spec, path in _sources(card, folder):
        if spec.sha256 and cache.file_sha256(path) == spec.sha256:
            continue  # the memoised hash matches: no need to read the file again
        if spec.verifiable:
            verify_file(path, spec.sha256, spec.git_blob_sha1, delete_on_mismatch=in_cache)


# ---------------------------------------------------------------------------------------
# format loaders: (folder, options, split_args) -> dataset
# ---------------------------------------------------------------------------------------
def _load_lightgcn(folder: Path, opt: Dict[str, Any], split: Dict[str, Any], name: str):
    from graphcl.data.interaction import InteractionData
    from graphcl.data.readers import read_lightgcn

    train_path = folder / opt.get("train", "train.txt")
    test_name = opt.get("test", "test.txt")
    test = read_lightgcn(folder / test_name) if (folder / test_name).is_file() else None
    data = InteractionData.from_pairs(read_lightgcn(train_path), test=test, num_users=opt.get("num_users"),
                                      num_items=opt.get("num_items"), name=name, source=str(train_path))
    return data


def _load_selfrec_pairs(folder: Path, opt: Dict[str, Any], split: Dict[str, Any], name: str):
    from graphcl.data.interaction import InteractionData
    from graphcl.data.rec_formats import read_pairs, remap_ids

    sep = opt.get("sep", "whitespace")
    train_path = folder / opt.get("train", "train.txt")
    test_path = folder / opt.get("test", "test.txt")
    bounds = {"num_users": opt.get("num_users"), "num_items": opt.get("num_items")}
    train = read_pairs(train_path, sep=sep, **({} if opt.get("remap") else bounds))
    test = read_pairs(test_path, sep=sep, **({} if opt.get("remap") else bounds)) if test_path.is_file() else None
    if opt.get("remap"):
        (train, test), n_users, n_items = remap_ids(train, test)
        bounds = {"num_users": n_users, "num_items": n_items}
    return InteractionData.from_pairs(train, test=test, name=name, source=str(train_path), **bounds)


def _load_lastfm(folder: Path, opt: Dict[str, Any], split: Dict[str, Any], name: str):
    from graphcl.data.interaction import InteractionData
    from graphcl.data.rec_formats import read_lastfm

    n_u, n_i = opt.get("num_users"), opt.get("num_items")
    train_path = folder / opt.get("train", "data1.txt")
    train = read_lastfm(train_path, n_u, n_i)
    test = read_lastfm(folder / opt.get("test", "test1.txt"), n_u, n_i)
    return InteractionData.from_pairs(train, test=test, num_users=n_u, num_items=n_i, name=name, source=str(train_path))


def _load_lightgcl_pkl(folder: Path, opt: Dict[str, Any], split: Dict[str, Any], name: str):
    from graphcl.data.interaction import InteractionData
    from graphcl.data.rec_formats import read_lightgcl_matrix

    train_path, test_path = folder / opt.get("train", "trnMat.pkl"), folder / opt.get("test", "tstMat.pkl")
    train = read_lightgcl_matrix(train_path)
    test = read_lightgcl_matrix(test_path)
    if train.shape != test.shape:
        raise DataError(test_path, f"shape {test.shape} differs from the training matrix's {train.shape} ({train_path})")
    return InteractionData(train.shape[0], train.shape[1], train, None, test, name=name, source=str(train_path))


def _load_recbole_inter(folder: Path, opt: Dict[str, Any], split: Dict[str, Any], name: str):
    from graphcl.data.interaction import InteractionData

    path = folder / opt["file"] if opt.get("file") else folder
    return InteractionData.from_recbole_inter(path, split=split["split"], seed=split["seed"],
                                              order=split["order"], name=name)


def _graph_loader(module: str, function: str) -> Callable:
    def load(folder: Path, opt: Dict[str, Any], split: Dict[str, Any], name: str):
        try:
            fn = getattr(importlib.import_module(module), function)
        except (ModuleNotFoundError, AttributeError):
            raise DataError(folder, f"the {module}.{function} loader is not available in this build of graphcl") from None
        return fn(folder, opt["name"])
    return load


FORMATS: Dict[str, Callable] = {
    "lightgcn": _load_lightgcn,
    "selfrec_pairs": _load_selfrec_pairs,
    "lastfm": _load_lastfm,
    "lightgcl_pkl": _load_lightgcl_pkl,
    "recbole_inter": _load_recbole_inter,
    "planetoid": _graph_loader("graphcl.data.planetoid", "load_planetoid"),
    "sdcn": _graph_loader("graphcl.data.sdcn", "load_sdcn"),
    "heco": _graph_loader("graphcl.data.hetero", "load_heco"),
    "meow": _graph_loader("graphcl.data.hetero", "load_meow"),
}


# ---------------------------------------------------------------------------------------
# user paths: format detection
# ---------------------------------------------------------------------------------------
def detect_format(path: Path) -> Tuple[str, Path, Dict[str, Any]]:
    """Guess (format, folder, options) for a user folder or file; :class:`DataError` if unsure.

    Recognised: a ``.inter`` file or a folder with one (RecBole); ``trnMat.pkl`` (LightGCL);
    ``data1.txt`` + ``test1.txt`` (LastFM); ``ind.<name>.graph`` (Planetoid); ``labels.npy``
    with ``nei_*.npy`` (HeCo) or ``nei_*.npz`` (MEOW); ``train.txt`` with one line per user
    (LightGCN ``user item item ...``) or repeated users / commas (SELFRec/SGL pairs).
    """
    if path.is_file():
        if path.suffix == ".inter":
            return "recbole_inter", path.parent, {"file": path.name}
        raise DataError(path, "cannot tell the format of a single file (give a .inter file, a folder, or --format)")
    if not path.is_dir():
        raise DataError(path, "no such file or folder, and not a registered dataset name")
    inter = sorted(path.glob("*.inter"))
    if inter:
        return "recbole_inter", path, {"file": inter[0].name}
    if (path / "trnMat.pkl").is_file():
        return "lightgcl_pkl", path, {}
    if (path / "data1.txt").is_file() and (path / "test1.txt").is_file():
        return "lastfm", path, {}
    graphs = sorted(g.name.split(".")[1] for g in path.glob("ind.*.graph"))
    if len(graphs) > 1:
        raise DataError(path, f"holds several Planetoid datasets ({', '.join(graphs)}); use a registered name")
    if graphs:
        return "planetoid", path.parent, {"name": graphs[0]}
    if (path / "labels.npy").is_file():
        fmt = "meow" if any(path.glob("nei_*.npz")) else "heco"
        return fmt, path.parent, {"name": path.name}
    train = path / "train.txt"
    if train.is_file():
        return _sniff_pairs(train), path, {"train": "train.txt", "test": "test.txt"}
    raise DataError(path, "no recognised dataset layout (expected train.txt, *.inter, trnMat.pkl, data1.txt, "
                          "ind.<name>.graph or labels.npy); pass --format")


def _sniff_pairs(train: Path) -> str:
    """LightGCN gives each user one line; SELFRec/SGL pair files repeat users (or use commas)."""
    with open(train, encoding="utf-8", errors="replace") as fh:
        head = [line for _, line in zip(range(2000), fh) if line.strip()]
    if any("," in line for line in head):
        return "selfrec_pairs"
    users = [line.split()[0] for line in head]
    return "lightgcn" if len(set(users)) == len(users) else "selfrec_pairs"


# ---------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------
def load_dataset(name_or_path: PathLike, data_dir: Optional[PathLike] = None, format: Optional[str] = None,
                 split: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 2020, order: str = "RO",
                 download: bool = True, use_cache: bool = True, progress: bool = True) -> Any:
    """Load a registered dataset or a user folder/file.

    Returns :class:`~graphcl.data.interaction.InteractionData` (recommendation),
    ``torch_geometric.data.Data`` (node graphs) or ``HeteroData`` (heterogeneous graphs).
    ``split``/``seed``/``order`` only apply to single-file datasets (RecBole ``.inter``).
    With ``download=False`` a missing file raises :class:`DataError` naming it and its URL.
    """
    split_args = {"split": tuple(split), "seed": int(seed), "order": order}
    text = str(name_or_path)
    is_name = not any(sep in text for sep in ("/", os.sep)) and (has_card(text) or not Path(text).exists())
    cache = ParsedCache(cache_root() / "parsed")
    card: Optional[Card] = None
    if is_name:
        card = get_card(text)
        if format is not None and format != card.format:
            raise ConfigError(f"dataset {card.name!r} has format {card.format!r}; --format {format!r} only applies to paths")
        folder = _resolve_card(card, data_dir, download, progress)
        sources = [p for _, p in _sources(card, folder)]
        fmt, opts, label, data_name = card.format, card.options, card.name, card.name
        expected = {f.path: f.sha256 or f.git_blob_sha1 for f in card.files}
    else:
        path = Path(text).expanduser()
        fmt, folder, opts = _resolve_path(path, format)
        sources = sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
        label, data_name, expected = "path-" + _short_hash(str(path.resolve())), path.stem, {}
    params = {"format": fmt, "options": opts, "expected": expected,
              "split": split_args if fmt == "recbole_inter" else None}
    key = cache.key(sources, params) if use_cache else ""
    if use_cache:
        hit = cache.load(label, key)
        if hit is not None:
            return hit  # the key holds the sources' sha256, checked against the card when it was written
    if card is not None:
        in_cache = folder.resolve().is_relative_to((cache_root() / "datasets").resolve())
        _verify_sources(card, folder, cache, in_cache)
    data = FORMATS[fmt](folder, opts, split_args, data_name)
    if use_cache:
        cache.save(label, key, data)
    return data


def _resolve_card(card: Card, data_dir: Optional[PathLike], download: bool, progress: bool) -> Path:
    """The folder holding ``card``'s required files, downloading them if allowed."""
    st = status(card, data_dir)
    if st.present:
        return st.folder  # type: ignore[return-value]
    if card.location.startswith("package:"):
        return _package_folder(card)  # raises naming the package
    if download:
        return fetch(card, data_dir, progress=progress)
    roots = [r / card.folder for _, r in data_roots(data_dir)]
    raise _missing_error(card, st.missing[0], next((r for r in roots if r.is_dir()), roots[0]))


def _resolve_path(path: Path, format: Optional[str]) -> Tuple[str, Path, Dict[str, Any]]:
    """(format, folder, options) for a user path, detected or forced with ``format``."""
    if format is None:
        return detect_format(path)
    if format not in FORMATS:
        raise ConfigError(f"unknown format {format!r} (known: {', '.join(sorted(FORMATS))})")
    if format in ("planetoid", "heco", "meow", "sdcn"):
        raise ConfigError(f"--format {format} is auto-detected from the folder layout; pass the dataset folder without --format")
    if not path.exists():
        raise DataError(path, "no such file or folder")
    if format == "recbole_inter" and path.is_file():
        return format, path.parent, {"file": path.name}
    return format, (path if path.is_dir() else path.parent), {}


def has_card(name: str) -> bool:
    return any((folder / f"{name}.yaml").is_file() for folder in cards_dirs())


def _short_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------
def dataset_stats(data: Any) -> Dict[str, Any]:
    """Statistics in the vocabulary of the cards.

    Recommendation: ``users, items, train, [valid], test, interactions``. Node graphs:
    ``nodes, edges`` (unique undirected non-self-loop edges), ``self_loops``, ``features``,
    ``classes``. Heterogeneous graphs: ``nodes`` per type, ``relations`` (edges per
    ``src-dst`` type pair), ``classes``.
    """
    from graphcl.data.interaction import InteractionData

    if isinstance(data, InteractionData):
        return {k: v for k, v in data.stats().items() if k != "density"}
    from torch_geometric.data import HeteroData

    if isinstance(data, HeteroData):
        out: Dict[str, Any] = {"nodes": {t: int(data[t].num_nodes) for t in data.node_types}}
        # Relation edge types are named by two letters (``pa``); meta-paths, neighbour and
        # positive-pair edge types are reported separately or not at all.
        out["relations"] = {f"{src}-{dst}": int(data[src, rel, dst].edge_index.size(1))
                            for src, rel, dst in data.edge_types if len(rel) == 2}
        target = getattr(data, "target", None)
        if target is not None:
            out["metapaths"] = {mp: int(data[target, mp, target].edge_index.size(1))
                                for mp in getattr(data, "metapaths", [])}
            if "y" in data[target]:
                out["classes"] = int(data[target].y.unique().numel())
        return out
    import torch

    row, col = data.edge_index
    off = row != col
    out = {"nodes": int(data.num_nodes),
           "edges": int(torch.unique(torch.stack([torch.minimum(row[off], col[off]),
                                                   torch.maximum(row[off], col[off])]), dim=1).size(1)),
           "self_loops": int(torch.unique(row[~off]).numel())}
    if getattr(data, "x", None) is not None:
        out["features"] = int(data.x.size(1))
    if getattr(data, "y", None) is not None:
        out["classes"] = int(getattr(data, "num_classes", None) or data.y.unique().numel())
    return out


def compare_stats(expected: Dict[str, Any], actual: Dict[str, Any], prefix: str = "") -> List[Tuple[str, Any, Any]]:
    """Flattened (key, expected, actual) for every key of ``expected``; actual is None when not computed."""
    rows: List[Tuple[str, Any, Any]] = []
    for key, want in expected.items():
        got = actual.get(key) if isinstance(actual, dict) else None
        if isinstance(want, dict):
            rows.extend(compare_stats(want, got if isinstance(got, dict) else {}, f"{prefix}{key}."))
        else:
            rows.append((f"{prefix}{key}", want, got))
    return rows


__all__ = ["Card", "FileSpec", "Status", "FORMATS", "load_dataset", "get_card", "list_cards", "status", "fetch",
           "detect_format", "has_card", "dataset_stats", "compare_stats", "cache_root", "data_roots"]
