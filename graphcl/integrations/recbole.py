"""RecBole interoperability: RecBole datasets in graphcl, graphcl models in RecBole.

Three pieces, none of which is imported by graphcl's core (``import recbole`` happens only
inside the functions below, when they are called):

* :func:`read_recbole_dataset` reads a RecBole atomic dataset folder (``<name>.inter`` with a
  typed header, optional ``<name>.user`` / ``<name>.item``) into :class:`InteractionData`,
  applying RecBole 1.2's filtering (``val_interval``, ``user_inter_num_interval``,
  ``item_inter_num_interval``, ``filter_inter_by_user_or_item``) and its ``RS`` split grouped
  by user with ``RO`` or ``TO`` ordering. Ids follow RecBole's remapping: graphcl id ``k`` is
  RecBole internal id ``k + 1`` (RecBole reserves 0 for ``[PAD]``).
* :func:`recbole_model` (and attributes such as ``GraphclLightGCN`` of this module) turns any
  recommender in :mod:`graphcl.models.registry` into a RecBole ``GeneralRecommender``, so it
  trains with RecBole's own ``Config``, ``data_preparation`` and ``Trainer``.
* :func:`recbole_compat` makes RecBole 1.2.1 run on numpy 2, scipy >= 1.12, torch >= 2.6 and
  pandas 3 while it is active, and undoes every change on exit.

Same split as RecBole
---------------------
RecBole's ``RO`` ordering is ``torch.randperm(n)`` on the global generator right after
``init_seed(seed)``; the ``TO`` ordering is a stable sort by the float32 timestamp (min-max
normalised first when ``normalize_all`` is set, as RecBole's bundled ``ml-100k.yaml`` does:
pass ``normalize_all: True`` for it). Both keep the row
order of the filtered ``.inter`` file, then each user's interactions (in that order) are cut
with ``_calcu_split_ids``. :func:`read_recbole_dataset` draws the same permutation from a
private generator seeded with ``seed``, so it reproduces RecBole's split exactly **when the
RecBole run calls** ``init_seed(config['seed'], ...)`` **immediately before**
``create_dataset``/``data_preparation`` (as ``run_recbole`` does) and nothing consumes the global
torch generator in between. Differences that remain:

* tokens equal to pandas' default missing-value strings (``NA``, ``null``, ``nan``, ...) are
  missing ids for RecBole (it reads with pandas' default ``na_values``) but ordinary tokens
  here; only empty fields count as missing;
* an illegal interval string is a :class:`ConfigError` here, a logged warning in RecBole;
* ``rm_dup_inter``, ``LS``/``TS`` splits, ``group_by: none``, benchmark files and
  ``val_interval`` on ``.user``/``.item`` fields are not supported (a :class:`ConfigError`
  says so); duplicates are kept, as with RecBole's default, and collapse to one entry of the
  binary matrices (RecBole trains on each copy).
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from graphcl.config import from_dict, load_yaml
from graphcl.data.interaction import InteractionData, ratio_split_counts
from graphcl.data.readers import read_atomic_inter
from graphcl.data.sampler import BPRBatch
from graphcl.errors import ConfigError, DataError
from graphcl.models.registry import available_models, get_model

PathLike = Union[str, os.PathLike]

__all__ = ["RecboleDataOptions", "RecboleDataset", "read_recbole_dataset", "recbole_compat", "recbole_model"]


# ----------------------------------------------------------------------------------------
# Compatibility shims
# ----------------------------------------------------------------------------------------

# numpy 2 removed the first four; RecBole's Config.compatibility_settings reads them to set
# the old aliases (np.float, ...) that its metric and dataset code use. The shim sets both
# groups, so RecBole's metric classes also work without a Config having been built.
_NUMPY_REMOVED = {"float_": np.float64, "complex_": np.complex128, "unicode_": np.str_, "bool8": np.bool_,
                  "float": np.float64, "int": np.int_, "complex": np.complex128, "object": np.object_,
                  "str": np.str_, "unicode": np.str_}
_NUMPY_SET_BY_RECBOLE = ("bool", "long")  # exist in numpy 2; RecBole's Config reassigns them
_MISSING = object()


def _dok_update(self: sp.dok_matrix, mapping: Mapping[Tuple[int, int], Any]) -> None:
    """``dok_matrix._update`` as scipy < 1.12 had it: a raw dict update of the entries."""
    self._dict.update(mapping)


def _fill_nan_assigning(self) -> None:
    """RecBole's missing-value imputation, assigning results (pandas 3 ignores chained inplace).

    TOKEN fields get 0 (``[PAD]``), FLOAT fields their column mean, sequence fields an empty
    array, exactly what ``Dataset._fill_nan`` intends.
    """
    from recbole.utils import FeatureType

    for feat_name in self.feat_name_list:
        feat = getattr(self, feat_name)
        for name in list(feat.columns):
            ftype = self.field2type[name]
            if ftype == FeatureType.TOKEN:
                feat[name] = feat[name].fillna(0)
            elif ftype == FeatureType.FLOAT:
                feat[name] = feat[name].fillna(feat[name].mean())
            else:
                dtype = np.int64 if ftype == FeatureType.TOKEN_SEQ else np.float64
                feat[name] = [np.array([], dtype=dtype) if isinstance(v, float) else v for v in feat[name]]


@contextlib.contextmanager
def recbole_compat() -> Iterator[None]:
    """Run RecBole 1.2.1 on today's numpy/scipy/torch/pandas; everything is undone on exit.

    Inside the ``with`` block:

    1. numpy 2: ``np.float_``, ``np.complex_``, ``np.unicode_``, ``np.bool8`` and the pre-1.24
       aliases RecBole uses (``np.float``, ``np.int``, ...) exist; on exit they, and the
       ``np.bool``/``np.long`` that RecBole's ``Config`` reassigns, return to their prior state;
    2. scipy >= 1.12: ``dok_matrix._update`` exists (RecBole's LightGCN/NCL/... adjacency);
    3. torch >= 2.6: ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` so ``Trainer.evaluate(...,
       load_best_model=True)`` can reload RecBole's own checkpoints (they pickle the config;
       only load checkpoints you wrote);
    4. pandas 3: ``Dataset._fill_nan`` assigns its results instead of relying on chained
       ``fillna(inplace=True)``, which copy-on-write turns into a silent no-op.

    ``recbole.quick_start`` (``run_recbole``) is not covered: it imports ray 2.6, which needs
    ``pkg_resources`` (``setuptools < 81``). Use ``Config``/``data_preparation``/``Trainer``.
    Not thread-safe: it patches module attributes process-wide while active.
    """
    saved_np = {name: vars(np).get(name, _MISSING) for name in (*_NUMPY_REMOVED, *_NUMPY_SET_BY_RECBOLE)}
    saved_env = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    had_update = "_update" in vars(sp.dok_matrix)
    try:
        for name, value in _NUMPY_REMOVED.items():
            if saved_np[name] is _MISSING:
                setattr(np, name, value)
        if not had_update and not hasattr(sp.dok_matrix, "_update"):
            sp.dok_matrix._update = _dok_update
        os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
        from recbole.data.dataset import Dataset

        saved_fill = Dataset.__dict__["_fill_nan"]
        Dataset._fill_nan = _fill_nan_assigning
        try:
            yield
        finally:
            Dataset._fill_nan = saved_fill
    finally:
        for name, value in saved_np.items():
            if value is _MISSING:
                if name in vars(np):
                    delattr(np, name)
            elif vars(np).get(name, _MISSING) is not value:
                setattr(np, name, value)
        if not had_update and vars(sp.dok_matrix).get("_update") is _dok_update:
            del sp.dok_matrix._update
        if saved_env is None:
            os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
        else:
            os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = saved_env


# ----------------------------------------------------------------------------------------
# RecBole atomic dataset folders
# ----------------------------------------------------------------------------------------

Interval = Tuple[str, float, float, str]
_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,]+?)\s*,\s*([^,]+?)\s*([\])])\s*$")


def parse_intervals(text: Optional[str], where: str) -> Optional[List[Interval]]:
    """RecBole interval syntax ``"[10,inf)"`` or ``"(0,1];[3,4)"`` as (bracket, lo, hi, bracket)."""
    if text is None:
        return None
    out = []
    for part in str(text).split(";"):
        m = _INTERVAL.match(part)
        try:
            lo, hi = float(m.group(2)), float(m.group(3))
        except (ValueError, AttributeError):  # AttributeError: no match
            raise ConfigError(f"{where}: {part.strip()!r} is not an interval like '[10,inf)'") from None
        if lo > hi:
            raise ConfigError(f"{where}: interval {part.strip()!r} is empty (left end above right end)")
        out.append((m.group(1), lo, hi, m.group(4)))
    return out


def within_intervals(values: np.ndarray, intervals: Sequence[Interval]) -> np.ndarray:
    """Boolean mask: is each value inside at least one interval (NaN is in none)."""
    values = np.asarray(values, dtype=np.float64)
    keep = np.zeros(values.shape, dtype=bool)
    for left, lo, hi, right in intervals:
        above = values >= lo if left == "[" else values > lo
        below = values <= hi if right == "]" else values < hi
        keep |= above & below
    return keep


@dataclass
class RecboleDataOptions:
    """The RecBole data options graphcl honours; names and meaning as in RecBole's config.

    ``val_interval`` maps an ``.inter`` field to an interval string (float fields) or a list
    of allowed tokens. ``load_user``/``load_item``: the ``.user``/``.item`` file is loaded (in
    RecBole: ``load_col`` names it), which removes interactions of unknown users/items when
    ``filter_inter_by_user_or_item`` is on and gives feature-only users/items ids.
    """

    user_inter_num_interval: Optional[str] = None
    item_inter_num_interval: Optional[str] = None
    val_interval: Optional[Dict[str, Any]] = None
    split: Tuple[float, ...] = (0.8, 0.1, 0.1)
    order: Literal["RO", "TO"] = "RO"
    seed: int = 2020
    load_user: bool = False
    load_item: bool = False
    filter_inter_by_user_or_item: bool = True
    normalize_timestamp: bool = False  # RecBole normalize_all / normalize_field names timestamp

    def __post_init__(self) -> None:
        if len(self.split) not in (2, 3) or any(r < 0 for r in self.split) or sum(self.split) <= 0:
            raise ConfigError(f"split must be 2 or 3 non-negative ratios, got {list(self.split)}")
        parse_intervals(self.user_inter_num_interval, "user_inter_num_interval")
        parse_intervals(self.item_inter_num_interval, "item_inter_num_interval")
        for name, spec in (self.val_interval or {}).items():
            if isinstance(spec, str):
                parse_intervals(spec, f"val_interval.{name}")

    @classmethod
    def from_recbole(cls, config: Union[Mapping[str, Any], PathLike]) -> "RecboleDataOptions":
        """Options from a RecBole config mapping or YAML file (other keys are ignored).

        Reads ``user_inter_num_interval``, ``item_inter_num_interval``, ``val_interval``,
        ``seed``, ``eval_args`` (``split: {RS: [...]}``, ``order``, ``group_by: user``),
        ``load_col`` and ``filter_inter_by_user_or_item``; a data option graphcl cannot
        reproduce (``rm_dup_inter``, ``LS``/``TS`` splits, ``benchmark_filename``) is an error.
        """
        where = "RecBole config"
        if not isinstance(config, Mapping):
            where = str(config)
            config = load_yaml(config) or {}
        for key in ("rm_dup_inter", "benchmark_filename"):
            if config.get(key) is not None:
                raise ConfigError(f"{where}: {key} is not supported by graphcl's RecBole reader")
        kw: Dict[str, Any] = {}
        for key in ("user_inter_num_interval", "item_inter_num_interval", "val_interval", "seed",
                    "filter_inter_by_user_or_item"):
            if config.get(key) is not None:
                kw[key] = config[key]
        eval_args = config.get("eval_args") or {}
        split = eval_args.get("split")
        if split is not None:
            if not isinstance(split, Mapping) or list(split) != ["RS"]:
                raise ConfigError(f"{where}: eval_args.split {split!r} is not supported (only {{'RS': [...]}})")
            kw["split"] = tuple(float(r) for r in split["RS"])
        if eval_args.get("group_by", "user") != "user":
            raise ConfigError(f"{where}: eval_args.group_by {eval_args['group_by']!r} is not supported (only 'user')")
        if "order" in eval_args:
            kw["order"] = eval_args["order"]
        normalize_field = config.get("normalize_field") or ()
        kw["normalize_timestamp"] = bool(config.get("normalize_all")) or "timestamp" in normalize_field
        load_col = config.get("load_col")
        if isinstance(load_col, Mapping):
            kw["load_user"] = "user" in load_col
            kw["load_item"] = "item" in load_col
        return from_dict(cls, kw, where)


@dataclass
class RecboleDataset:
    """A RecBole dataset as graphcl data, with the token of every graphcl id."""

    data: InteractionData
    user_tokens: np.ndarray  # graphcl user id -> RecBole token (RecBole id = graphcl id + 1)
    item_tokens: np.ndarray
    filtered: pd.DataFrame = field(repr=False)  # the .inter rows kept, in file order


def _read_feature_ids(path: Path, id_field: str) -> Optional[np.ndarray]:
    """Ids listed in a ``.user``/``.item`` file (only the id column is needed)."""
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n\r").split("\t")
    names = [h.split(":", 1)[0] for h in header]
    if id_field not in names:
        raise DataError(path, f"no {id_field!r} column in the header", line=1)
    col = pd.read_csv(path, sep="\t", header=None, skiprows=1, usecols=[names.index(id_field)],
                      dtype=str, keep_default_na=False, engine="c").iloc[:, 0].to_numpy()
    return col[col != ""]


def read_recbole_dataset(folder: PathLike, name: Optional[str] = None,
                         options: Union[RecboleDataOptions, Mapping[str, Any], None] = None) -> RecboleDataset:
    """Read ``folder/<name>.inter`` (and ``.user``/``.item`` if the options load them).

    ``name`` defaults to the folder name. ``options`` is a :class:`RecboleDataOptions` or a
    RecBole config mapping (see :meth:`RecboleDataOptions.from_recbole`). Filtering follows
    RecBole 1.2's order: missing ids, ``val_interval``, unknown users/items, then the
    user/item interaction-count intervals repeated until nothing changes. The result has
    train/valid/test (3 ratios) or train/test (2 ratios) splits.
    """
    folder = Path(folder)
    name = name or folder.name
    if options is None:
        options = RecboleDataOptions()
    elif isinstance(options, Mapping):
        options = RecboleDataOptions.from_recbole(options)
    inter_path = folder / f"{name}.inter"
    df = read_atomic_inter(inter_path)
    for col in ("user_id", "item_id") + (("timestamp",) if options.order == "TO" else ()):
        if col not in df.columns:
            raise DataError(inter_path, f"column {col!r} not found (columns: {', '.join(df.columns)})", line=1)
    keep = (df["user_id"] != "").to_numpy() & (df["item_id"] != "").to_numpy()

    for fname, spec in (options.val_interval or {}).items():
        if fname not in df.columns:
            raise ConfigError(f"val_interval: field {fname!r} is not a column of {inter_path}")
        if isinstance(spec, str):
            if not pd.api.types.is_numeric_dtype(df[fname]):
                raise ConfigError(f"val_interval: field {fname!r} of {inter_path} is not a float field")
            keep &= within_intervals(df[fname].to_numpy(dtype=np.float64), parse_intervals(spec, f"val_interval.{fname}"))
        else:
            keep &= df[fname].isin([str(v) for v in spec]).to_numpy()

    known: Dict[str, Optional[np.ndarray]] = {"user_id": None, "item_id": None}
    for col, load, suffix in (("user_id", options.load_user, "user"), ("item_id", options.load_item, "item")):
        if load:
            known[col] = _read_feature_ids(folder / f"{name}.{suffix}", col)
            if known[col] is not None and options.filter_inter_by_user_or_item:
                keep &= df[col].isin(known[col]).to_numpy()

    user_codes, user_uniq = pd.factorize(df["user_id"])
    item_codes, item_uniq = pd.factorize(df["item_id"])
    u_iv = parse_intervals(options.user_inter_num_interval, "user_inter_num_interval")
    i_iv = parse_intervals(options.item_inter_num_interval, "item_inter_num_interval")
    while u_iv is not None or i_iv is not None:
        # one round bans every user and item out of range under the current counts
        bad = np.zeros(len(df), dtype=bool)
        for codes, n, iv in ((user_codes, len(user_uniq), u_iv), (item_codes, len(item_uniq), i_iv)):
            if iv is None:
                continue
            counts = np.bincount(codes[keep], minlength=n)
            banned = (counts > 0) & ~within_intervals(counts, iv)
            bad |= banned[codes]
        bad &= keep
        if not bad.any():
            break
        keep &= ~bad

    kept = df.loc[keep].reset_index(drop=True)
    if len(kept) == 0:
        raise DataError(inter_path, "no interaction is left after filtering; check the intervals")
    ids = {}
    for col, iv in (("user_id", u_iv), ("item_id", i_iv)):
        tokens = kept[col].to_numpy()
        extra = known[col]
        if extra is not None:
            # feature-only ids keep an id unless the count interval's lower end excludes 0
            min_count = iv[0][1] if iv else -1
            if min_count > 0:
                extra = extra[np.isin(extra, tokens)]
            tokens = np.concatenate([tokens, extra])
        codes, uniq = pd.factorize(tokens)
        ids[col] = (codes[:len(kept)].astype(np.int64), np.asarray(uniq, dtype=object))
    users, user_tokens = ids["user_id"]
    items, item_tokens = ids["item_id"]

    order = _recbole_order(len(kept), options, kept)
    parts = _split_by_user(users[order], items[order], options.split)
    pairs = dict(num_users=len(user_tokens), num_items=len(item_tokens), name=name, source=str(inter_path))
    if len(parts) == 3:
        data = InteractionData.from_pairs(parts[0], valid=parts[1], test=parts[2], **pairs)
    else:
        data = InteractionData.from_pairs(parts[0], test=parts[1], **pairs)
    return RecboleDataset(data, user_tokens, item_tokens, kept)


def _recbole_order(n: int, options: RecboleDataOptions, kept: pd.DataFrame) -> np.ndarray:
    """RecBole's ordering of the filtered rows: ``randperm`` after ``init_seed`` or by time.

    RecBole sorts the timestamp as stored in its ``Interaction``: missing values filled with
    the mean, optionally min-max normalised, then cast to float32. The cast merges nearby
    times (about one minute apart for raw Unix seconds), which then keep file order; the same
    key is used here so the split matches.
    """
    if options.order == "RO":
        gen = torch.Generator().manual_seed(int(options.seed))
        return torch.randperm(n, generator=gen).numpy()
    ts = kept["timestamp"].to_numpy(dtype=np.float64)
    ts = np.where(np.isnan(ts), np.nanmean(ts), ts)
    if options.normalize_timestamp:
        lo, hi = ts.min(), ts.max()
        ts = np.ones_like(ts) if hi == lo else (ts - lo) / (hi - lo)
    return np.argsort(ts.astype(np.float32), kind="stable")


def _split_by_user(users: np.ndarray, items: np.ndarray, ratios: Sequence[float]) -> Tuple[Tuple[np.ndarray, np.ndarray], ...]:
    """Cut each user's interactions, in the given order, by RecBole's ``_calcu_split_ids``."""
    by_user = np.argsort(users, kind="stable")
    u, i = users[by_user], items[by_user]
    starts = np.r_[0, np.flatnonzero(np.diff(u)) + 1]
    totals = np.diff(np.r_[starts, len(u)])
    rank = np.arange(len(u)) - np.repeat(starts, totals)
    bounds = np.cumsum(ratio_split_counts(totals, ratios), axis=1)
    which = (rank[:, None] >= np.repeat(bounds, totals, axis=0)).sum(axis=1)
    return tuple((u[which == k], i[which == k]) for k in range(len(ratios)))


# ----------------------------------------------------------------------------------------
# graphcl models as RecBole GeneralRecommenders
# ----------------------------------------------------------------------------------------

_ADAPTERS: Dict[str, type] = {}


def _adapter_base() -> type:
    """The shared ``GeneralRecommender`` subclass (built on first use: imports recbole)."""
    if "" in _ADAPTERS:
        return _ADAPTERS[""]
    from recbole.model.abstract_recommender import GeneralRecommender
    from recbole.utils import InputType

    class GraphclRecommender(GeneralRecommender):
        """A graphcl recommender driven by RecBole (pairwise BPR batches, full-sort ranking).

        Hyperparameters come from the RecBole config key ``graphcl`` (a mapping checked
        against the model's ``Config``; unknown keys are errors). The graphcl model is built
        on RecBole's training split (``dataset.inter_matrix()``, id 0 = ``[PAD]`` has no
        interactions). RecBole's ``Trainer`` calls ``model.train()`` once at the start of each
        epoch and ``model.eval()`` before evaluating, so ``train()`` opens an epoch
        (``on_epoch_start``) and ``train()``/``eval()`` close the open one (``on_epoch_end``).
        """

        input_type = InputType.PAIRWISE
        graphcl_name = ""

        def __init__(self, config, dataset) -> None:
            super().__init__(config, dataset)
            cls = get_model(self.graphcl_name)
            params = from_dict(cls.Config, config["graphcl"] or {}, "RecBole config 'graphcl'")
            inter = dataset.inter_matrix(form="csr").astype(np.float32)
            inter.data[:] = 1.0
            data = InteractionData(self.n_users, self.n_items, sp.csr_matrix(inter),
                                   name=str(config["dataset"]))
            self.graphcl_model = cls(data, params, device=self.device)
            self.epoch = -1
            self._epoch_open = False

        def train(self, mode: bool = True):  # noqa: D102 - nn.Module API
            model = self.graphcl_model
            if self._epoch_open:
                if hasattr(model, "on_epoch_end"):
                    model.on_epoch_end(self.epoch)
                self._epoch_open = False
            if mode:
                self.epoch += 1
                self._epoch_open = True
                if hasattr(model, "on_epoch_start"):
                    model.on_epoch_start(self.epoch)
            return super().train(mode)

        def calculate_loss(self, interaction) -> torch.Tensor:
            batch = BPRBatch(interaction[self.USER_ID], interaction[self.ITEM_ID], interaction[self.NEG_ITEM_ID])
            return self.graphcl_model.loss(batch)["loss"]

        @torch.no_grad()
        def predict(self, interaction) -> torch.Tensor:
            users, items = interaction[self.USER_ID], interaction[self.ITEM_ID]
            model = self.graphcl_model
            if type(model).score is _base_score():
                user_emb, item_emb = model.embeddings()
                return (user_emb[users] * item_emb[items]).sum(-1)
            return model.score(users).gather(1, items.view(-1, 1)).view(-1)

        @torch.no_grad()
        def full_sort_predict(self, interaction) -> torch.Tensor:
            return self.graphcl_model.score(interaction[self.USER_ID]).reshape(-1)

    GraphclRecommender.__qualname__ = "GraphclRecommender"  # importable by name, for pickled RecBole configs
    _ADAPTERS[""] = GraphclRecommender
    return GraphclRecommender


def _base_score():
    from graphcl.models.base import Recommender

    return Recommender.score


def recbole_model(name: str) -> type:
    """A RecBole ``GeneralRecommender`` class running graphcl model ``name`` (registry key).

    The class is named ``Graphcl<ClassName>`` (e.g. ``GraphclLightGCN``), so RecBole does not
    confuse it with, or load the YAML defaults of, its own model of the same name.
    """
    key = name.lower()
    if key not in _ADAPTERS:
        cls = get_model(key)
        if getattr(cls, "task", None) != "recommendation" or not getattr(cls, "trainable", True):
            raise ConfigError(f"model {name!r} is not a trainable recommender; RecBole adapters need one")
        base = _adapter_base()
        _ADAPTERS[key] = type(f"Graphcl{cls.__name__}", (base,), {
            "graphcl_name": key, "__module__": __name__,
            "__doc__": f"graphcl's {cls.__name__} as a RecBole GeneralRecommender (see GraphclRecommender)."})
    return _ADAPTERS[key]


def __getattr__(attr: str):
    """``GraphclLightGCN``, ``GraphclSGL``, ...: adapters for the registered recommenders."""
    if attr == "GraphclRecommender":
        return _adapter_base()
    if attr.startswith("Graphcl"):
        for key in available_models("recommendation"):
            if f"Graphcl{get_model(key).__name__}" == attr:
                return recbole_model(key)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
