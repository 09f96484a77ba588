"""Typed configuration: every YAML file under configs/ is read into a pydantic model.

Each subsystem declares its own model (simulate.config.WorldConfig,
training.config.TrainConfig, ...) and loads it with :func:`load_config`, so a
typo in a YAML key fails loudly instead of being ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


class StrictModel(BaseModel):
    """Base for config models: unknown keys are an error, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(ValueError):
    """A config file that is missing, unreadable or does not match its schema."""


def read_yaml(path: Path) -> dict:
    """Read a YAML mapping; ConfigError if the file is missing, unreadable or not a mapping."""
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(raw).__name__}")
    return raw


def load_config(path: str | Path, model: type[M], overrides: dict | None = None) -> M:
    """Read YAML at `path` into `model`, applying shallow `overrides` on top.

    Raises ConfigError naming the file and every offending key.
    """
    p = Path(path)
    raw = read_yaml(p)
    raw.update(overrides or {})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{p}: invalid config:\n  " + "\n  ".join(lines)) from exc
