from dataclasses import dataclass, field
from typing import Optional, Tuple

import pytest

from graphcl.config import ConfigError, from_dict, load_yaml, merge, parse_overrides, to_dict
from graphcl.train.trainer import TrainConfig


@dataclass
class Inner:
    lr: float = 0.1
    ks: Tuple[int, ...] = (10,)


@dataclass
class Outer:
    name: str = "x"
    layers: int = 2
    flag: bool = False
    opt: Optional[int] = None
    inner: Inner = field(default_factory=Inner)


def test_types_are_converted_from_strings():
    cfg = from_dict(Outer, merge({}, parse_overrides(["layers=3", "flag=true", "inner.lr=1e-3", "inner.ks=[5, 20]", "opt=none"])))
    assert cfg.layers == 3 and cfg.flag is True and cfg.inner.lr == pytest.approx(1e-3)
    assert cfg.inner.ks == (5, 20) and cfg.opt is None


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"config.inner: unknown key 'lrr'.*valid keys: ks, lr"):
        from_dict(Outer, {"inner": {"lrr": 1}})


def test_wrong_type_names_the_field():
    with pytest.raises(ConfigError, match=r"config.layers: expected an integer, got 'abc'"):
        from_dict(Outer, parse_overrides(["layers=abc"]))
    with pytest.raises(ConfigError, match="expected an integer"):
        from_dict(Outer, {"layers": 2.5})


def test_validation_runs_on_load():
    with pytest.raises(ConfigError, match="train.lr must be > 0"):
        from_dict(TrainConfig, {"lr": -1})


def test_yaml_roundtrip_and_bad_yaml(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("layers: 4\ninner:\n  lr: 0.5\n")
    cfg = from_dict(Outer, load_yaml(p))
    assert to_dict(cfg)["inner"] == {"lr": 0.5, "ks": [10]}
    p.write_text("layers: [1,\n")
    with pytest.raises(ConfigError, match=r"c.yaml, line \d+: invalid YAML"):
        load_yaml(p)


def test_override_without_equals():
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_overrides(["layers"])


@dataclass
class Tuned:
    """A parent whose nested section defaults differ from the section class's own defaults."""

    inner: Inner = field(default_factory=lambda: Inner(lr=0.5, ks=(1, 2)))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=7, lr=8e-4, patience=5))


def test_a_partial_nested_section_keeps_the_parents_defaults():
    cfg = from_dict(Tuned, {"inner": {"ks": [3]}, "train": {"epochs": 9}})
    assert cfg.inner == Inner(lr=0.5, ks=(3,))
    assert (cfg.train.epochs, cfg.train.lr, cfg.train.patience) == (9, 8e-4, 5)
    assert from_dict(Tuned, {}).train.lr == 8e-4  # and an absent section is the parent's default


def test_a_partial_nested_section_is_still_validated():
    with pytest.raises(ConfigError, match="train.patience must be >= 0"):
        from_dict(Tuned, {"train": {"patience": -1}})


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_rejected(value):
    with pytest.raises(ConfigError, match=f"train.lr must be > 0, got {value}$"):
        from_dict(TrainConfig, parse_overrides([f"lr={value}"]))
