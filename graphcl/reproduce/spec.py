"""Table specifications (``experiments/tables/<name>.yaml``) and their expansion into runs.

A table names a task, its cells (one model/setting each, with the task config to run and
the published numbers with their source), the seeds, the metrics, the protocols, and a
relative tolerance. :func:`expand_runs` turns it into :class:`RunSpec` s, one per
``cell x protocol x seed``, whose ``config`` is ``base <- cell.config <- quick.config (with
--quick) <- overrides (--set)``; the task adapter then writes the protocol and seed in.
Cells that cannot run here (data folder absent, model not registered yet) are returned as
skip notes instead of failing the table.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple

from graphcl.config import from_dict, load_yaml, merge
from graphcl.errors import ConfigError

PROTOCOLS = ("honest", "paper")


@dataclass
class CellSpec:
    """One row of a table: the config to run and what the paper published for it."""

    id: str
    config: Dict[str, Any] = field(default_factory=dict)
    label: str = ""
    protocols: Optional[List[str]] = None  # defaults to the table's
    published: Dict[str, float] = field(default_factory=dict)
    source: str = ""  # where ``published`` comes from (paper, table)
    requires: List[str] = field(default_factory=list)  # dataset folders under GRAPHCL_DATA
    note: str = ""
    run: bool = True  # False: a reference row (e.g. another paper's method), published numbers only

    def __post_init__(self) -> None:
        if not self.id or any(c in self.id for c in "/\\ ") or "__" in self.id:
            raise ConfigError(f"cell id {self.id!r}: use letters, digits, '-' and single '_'")
        self.label = self.label or self.id


@dataclass
class QuickSpec:
    """What ``--quick`` changes: config merged over every cell, and the cells to keep."""

    config: Dict[str, Any] = field(default_factory=dict)
    cells: Optional[List[str]] = None


@dataclass
class ClaimSpec:
    """A qualitative claim checked on our numbers (a paper's claim, or one cell against another).

    ``beats``: ``cell``'s mean ``metric`` exceeds ``baseline``'s. ``not_worse``: ``cell``'s mean
    ``metric`` is at most ``margin_pct`` % (relative) below ``baseline``'s (non-inferiority, e.g. a
    cheaper method keeping a costly one's quality), both judged on the seeds both
    finished when they share at least two (a seed fixes shared inputs such as a pretrained
    autoencoder, so paired runs differ by the method alone). ``best_epoch_within``: ``cell``'s
    mean best epoch (1-based) is at most ``epochs``.
    """

    kind: Literal["beats", "not_worse", "best_epoch_within"]
    cell: str
    text: str = ""
    baseline: Optional[str] = None
    metric: Optional[str] = None
    epochs: Optional[int] = None
    margin_pct: Optional[float] = None
    protocol: str = "honest"

    def __post_init__(self) -> None:
        if self.kind in ("beats", "not_worse") and (self.baseline is None or self.metric is None):
            raise ConfigError(f"claim on {self.cell!r}: kind {self.kind!r} needs baseline and metric")
        if self.kind == "not_worse" and (self.margin_pct is None or self.margin_pct < 0):
            raise ConfigError(f"claim on {self.cell!r}: kind 'not_worse' needs margin_pct >= 0")
        if self.kind == "best_epoch_within" and self.epochs is None:
            raise ConfigError(f"claim on {self.cell!r}: kind 'best_epoch_within' needs epochs")


@dataclass
class TableSpec:
    """A whole table; see ``experiments/tables/README.md`` for the YAML layout."""

    name: str
    title: str
    task: str
    metrics: List[str]
    cells: List[CellSpec]
    source: str = ""
    seeds: List[int] = field(default_factory=lambda: [2020])
    protocols: List[str] = field(default_factory=lambda: ["honest"])
    base: Dict[str, Any] = field(default_factory=dict)
    quick: QuickSpec = field(default_factory=QuickSpec)
    tolerance_pct: float = 5.0
    # "match": ours within ±tolerance of the published value (a reproduction); "meet_or_beat":
    # not below it by more than the tolerance (a target to reach, e.g. a baseline's row).
    target: Literal["match", "meet_or_beat"] = "match"
    main_metric: str = ""
    requires: List[str] = field(default_factory=list)
    status: Literal["ready", "pending"] = "ready"
    notes: str = ""
    claims: List[ClaimSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.cells:
            raise ConfigError(f"table {self.name!r}: no cells")
        if not self.seeds:
            raise ConfigError(f"table {self.name!r}: seeds must not be empty")
        ids = [c.id for c in self.cells]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ConfigError(f"table {self.name!r}: duplicate cell id {dup[0]!r}")
        for proto in list(self.protocols) + [p for c in self.cells for p in (c.protocols or [])]:
            if proto not in PROTOCOLS:
                raise ConfigError(f"table {self.name!r}: protocol {proto!r} is not one of {list(PROTOCOLS)}")
        for c in self.cells:
            bad = [m for m in c.published if m not in self.metrics]
            if bad:
                raise ConfigError(f"table {self.name!r}, cell {c.id!r}: published metric {bad[0]!r} is not in metrics")
        for claim in self.claims:
            for ref in (claim.cell, claim.baseline):
                if ref is not None and ref not in ids:
                    raise ConfigError(f"table {self.name!r}: claim names unknown cell {ref!r}")
        if self.quick.cells:
            missing = [c for c in self.quick.cells if c not in ids]
            if missing:
                raise ConfigError(f"table {self.name!r}: quick.cells names unknown cell {missing[0]!r}")
        if self.tolerance_pct < 0:
            raise ConfigError(f"table {self.name!r}: tolerance_pct must be >= 0")
        if self.target not in ("match", "meet_or_beat"):
            raise ConfigError(f"table {self.name!r}: target must be 'match' or 'meet_or_beat', got {self.target!r}")
        self.main_metric = self.main_metric or self.metrics[0]

    def cell(self, cell_id: str) -> CellSpec:
        for c in self.cells:
            if c.id == cell_id:
                return c
        raise ConfigError(f"table {self.name!r} has no cell {cell_id!r}")

    def cell_config(self, cell: CellSpec, quick: bool = False) -> Dict[str, Any]:
        """``base <- cell.config`` (``<- quick.config`` with ``quick``), before overrides."""
        config = merge(self.base, cell.config)
        return merge(config, self.quick.config) if quick else config

    def protocols_of(self, cell: CellSpec) -> List[str]:
        return list(cell.protocols or self.protocols)


@dataclass(frozen=True)
class RunSpec:
    """One training run: a cell under one protocol with one seed."""

    table: str
    cell: str
    protocol: str
    seed: int
    task: str
    config: Dict[str, Any] = field(hash=False, compare=False)

    @property
    def run_id(self) -> str:
        return f"{self.cell}__{self.protocol}__seed{self.seed}"

    def to_dict(self) -> Dict[str, Any]:
        return {"table": self.table, "cell": self.cell, "protocol": self.protocol, "seed": self.seed,
                "task": self.task, "config": self.config}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "RunSpec":
        return cls(d["table"], d["cell"], d["protocol"], int(d["seed"]), d["task"], d["config"])


def config_key(config: Dict[str, Any], volatile: Sequence[Tuple[str, ...]] = ()) -> str:
    """A short hash of ``config`` without the ``volatile`` paths (settings a resume may change)."""
    stripped = json.loads(json.dumps(config, sort_keys=True, default=str))
    for path in volatile:
        node = stripped
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    text = json.dumps(stripped, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tables_dir() -> Path:
    """``experiments/tables`` of the source checkout graphcl is installed from."""
    return Path(__file__).resolve().parents[2] / "experiments" / "tables"


def list_tables(directory: Optional[Path] = None) -> List[TableSpec]:
    directory = directory or tables_dir()
    if not directory.is_dir():
        raise ConfigError(f"{directory}: table folder not found (pass --tables DIR)")
    return [load_table(p) for p in sorted(directory.glob("*.yaml"))]


def load_table(name_or_path: str | os.PathLike, directory: Optional[Path] = None) -> TableSpec:
    """A table by name (``experiments/tables/<name>.yaml``) or by the path of its YAML."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        directory = directory or tables_dir()
        path = directory / f"{name_or_path}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []
            raise ConfigError(f"unknown table {str(name_or_path)!r} (known: {', '.join(known) or 'none'}; "
                              f"see `graphcl reproduce --list`)")
    raw = load_yaml(path)
    raw.setdefault("name", path.stem)
    return from_dict(TableSpec, raw, str(path))


def seed_list(table: TableSpec, n: Optional[int]) -> List[int]:
    """The first ``n`` of the table's seeds, extended with consecutive ones when ``n`` is larger."""
    seeds = list(table.seeds)
    if n is None:
        return seeds
    if n < 1:
        raise ConfigError(f"--seeds must be >= 1, got {n}")
    while len(seeds) < n:
        seeds.append(max(seeds) + 1)
    return seeds[:n]


def missing_data(requires: Sequence[str]) -> Optional[str]:
    """Why the dataset folders ``requires`` are unavailable under GRAPHCL_DATA, or None."""
    if not requires:
        return None
    root = os.environ.get("GRAPHCL_DATA")
    if not root:
        return f"needs {', '.join(requires)} under GRAPHCL_DATA, which is not set"
    absent = [r for r in requires if not (Path(root) / r).is_dir()]
    if absent:
        return f"needs {', '.join(absent)} under GRAPHCL_DATA={root}, not found"
    return None


def expand_runs(table: TableSpec, seeds: Optional[int] = None, quick: bool = False,
                overrides: Optional[Dict[str, Any]] = None, only: Sequence[str] = ()
                ) -> Tuple[List[RunSpec], List[str]]:
    """All runs of ``table`` and notes for the cells skipped here.

    ``seeds``: how many seeds (default: all of the table's; ``quick`` uses one). ``only``:
    keep cells whose id, or ``cell/protocol``, is listed. Raises on an unknown ``only`` entry.
    """
    from graphcl.reproduce.tasks import get_task

    task = get_task(table.task)
    seed_values = seed_list(table, 1 if quick and seeds is None else seeds)
    ids = {c.id for c in table.cells}
    for item in only:
        if item.split("/")[0] not in ids:
            raise ConfigError(f"--only {item!r}: table {table.name!r} has no such cell (cells: {', '.join(sorted(ids))})")
    runs: List[RunSpec] = []
    notes: List[str] = []
    for cell in table.cells:
        if not cell.run:
            continue
        if quick and table.quick.cells is not None and cell.id not in table.quick.cells:
            continue
        protocols = [p for p in table.protocols_of(cell) if not only or cell.id in only or f"{cell.id}/{p}" in only]
        if not protocols:
            continue
        config = merge(table.cell_config(cell, quick), overrides or {})
        reason = missing_data(list(table.requires) + list(cell.requires)) or task.unavailable(config)
        if reason:
            notes.append(f"{cell.id}: skipped, {reason}")
            continue
        for protocol in protocols:
            for seed in seed_values:
                runs.append(RunSpec(table.name, cell.id, protocol, seed, table.task,
                                    task.prepare(config, protocol, seed)))
    return runs, notes
