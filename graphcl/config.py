"""Typed configuration: dataclasses loaded from YAML and overridden with ``key=value``.

Configs are plain dataclasses. :func:`from_dict` builds one from a mapping, checking every
key against the dataclass fields (an unknown key is an error that names it and lists the
valid ones) and converting values to the annotated types. :func:`apply_overrides` applies
command-line ``--set section.key=value`` strings the same way. Validation of values lives
in each dataclass's ``__post_init__`` so that a config can never exist in an invalid state.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import typing
from pathlib import Path
from typing import Any, Iterable, Mapping, Type, TypeVar, Union

import yaml

from graphcl.errors import ConfigError

T = TypeVar("T")

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _convert(value: Any, tp: Any, where: str) -> Any:
    """Convert ``value`` to type ``tp`` or raise :class:`ConfigError` naming ``where``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is Union:
        if value is None or (isinstance(value, str) and value.lower() in {"none", "null"}):
            if type(None) in args:
                return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: cannot interpret {value!r} as {_type_name(tp)}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise ConfigError(f"{where}: {value!r} is not one of {list(args)}")
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("[") or text.startswith("("):
                text = text[1:-1]
            value = [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            value = [value]
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}")
            return tuple(_convert(v, a, where) for v, a in zip(value, args))
        inner = args[0] if args else Any
        out = [_convert(v, inner, where) for v in value]
        return tuple(out) if (origin is tuple or tp is tuple) else out
    if origin in (dict, typing.Mapping) or tp is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping of {tp.__name__} fields, got {value!r}")
        return from_dict(tp, value, where)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.replace("_", ""))
            except ValueError:
                try:
                    f = float(value)
                except ValueError:
                    pass
                else:
                    if f.is_integer():
                        return int(f)
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if tp is Path:
        return Path(value)
    return value


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def field_types(cls: type) -> dict:
    """The resolved annotations of a dataclass's fields."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def _field_default(cls: type, name: str) -> Any:
    """The default value of field ``name`` of dataclass ``cls`` (a fresh one for a factory), or None."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            return None if f.default is dataclasses.MISSING else f.default
    return None


def from_dict(cls: Type[T], data: Mapping[str, Any], where: str = "config", base: Any = None) -> T:
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys and converting types.

    Keys missing from ``data`` keep the values of ``base`` (an instance of ``cls``) or, without
    one, the field defaults. A nested section fills in from its parent's default for that
    field, not from the section class's own defaults: ``{"train": {"epochs": 5}}`` for a
    config whose ``train`` defaults to ``TrainConfig(lr=8e-4, ...)`` keeps ``lr=8e-4``.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    types = field_types(cls)
    unknown = sorted(set(data) - set(types))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} for {cls.__name__} "
            f"(valid keys: {', '.join(sorted(types))})"
        )
    kwargs = {}
    for k, v in data.items():
        tp = types[k]
        if dataclasses.is_dataclass(tp) and isinstance(v, Mapping):
            parent = getattr(base, k) if base is not None else _field_default(cls, k)
            kwargs[k] = from_dict(tp, v, f"{where}.{k}", parent if isinstance(parent, tp) else None)
        else:
            kwargs[k] = _convert(v, tp, f"{where}.{k}")
    if base is not None:
        for k in types:
            if k not in kwargs:
                kwargs[k] = copy.deepcopy(getattr(base, k))
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def to_dict(obj: Any) -> Any:
    """A plain (YAML/JSON serialisable) dict of a dataclass, recursively."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def load_yaml(path: Union[str, os.PathLike]) -> dict:
    """Read a YAML mapping, with errors that name the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def parse_overrides(items: Iterable[str]) -> dict:
    """Turn ``["train.lr=0.01", "model=simgcl"]`` into a nested dict of strings.

    Values stay strings here; :func:`from_dict` converts them to the field types, so
    ``--set train.epochs=abc`` fails with the field's name and expected type.
    """
    out: dict = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        if not all(parts):
            raise ConfigError(f"--set {item!r}: empty key")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {part!r} is not a section")
        node[parts[-1]] = yaml.safe_load(value) if value.strip() else ""
    return out


def merge(base: Mapping, override: Mapping) -> dict:
    """Recursive dict merge; ``override`` wins."""
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def check_positive(name: str, value: float, allow_zero: bool = False) -> None:
    """Raise :class:`ConfigError` unless ``value`` is finite and > 0 (or >= 0)."""
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")


def check_choice(name: str, value: Any, choices: Any) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of the ``Literal`` type ``choices``: the
    check the loader makes, for configs built in Python rather than read from YAML."""
    _convert(value, choices, name)


def check_fraction(name: str, value: float, closed: bool = False) -> None:
    """Raise :class:`ConfigError` unless 0 <= value < 1 (or <= 1 if ``closed``)."""
    if not (0 <= value < 1 or (closed and value == 1)):
        raise ConfigError(f"{name} must be in [0, 1{']' if closed else ')'}, got {value}")
