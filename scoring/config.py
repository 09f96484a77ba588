"""Typed configuration of batch scoring (configs/score.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from distillguard.config import CONFIGS, StrictModel, load_config

DEFAULT_PATH = CONFIGS / "score.yaml"

LINK_KINDS = (
    "prompt_band",
    "ip_prefix",
    "tls_fingerprint",
    "header_fingerprint",
    "payment_fingerprint",
    "signup_wave",
    "prompt_template",
)


def _duration(value: str) -> str:
    pd.Timedelta(value)  # raises ValueError on a malformed duration
    return value


class ReasonsConfig(StrictModel):
    """How many SHAP reasons each flag gets."""

    top: int = Field(ge=1, le=20)
    min_contribution: float


class DriftConfig(StrictModel):
    """Population-stability drift between training reference and the scored batch."""

    psi_warn: float = Field(gt=0)
    epsilon: float = Field(gt=0, lt=0.01)


class RingsConfig(StrictModel):
    """Grouping flagged accounts into rings through shared attributes."""

    min_size: int = Field(ge=2)
    linkage: Literal["scoring", "features"]
    strong_kinds: list[str]
    min_shared_kinds: int = Field(ge=1)
    kinds: list[str]
    max_value_population_share: float = Field(gt=0, le=1)
    min_value_population_cap: int = Field(ge=2)
    min_flagged_share: float = Field(ge=0, le=1)
    signup_wave_minutes: int = Field(ge=1)
    simhash_bands: int = Field(ge=1, le=8)
    min_prompt_accounts: int = Field(ge=2)
    shared_examples: int = Field(ge=1)
    campaign_z_clip: float = Field(gt=0)
    campaign_max_distance: float = Field(gt=0)

    @field_validator("kinds", "strong_kinds")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(LINK_KINDS))
        if unknown:
            raise ValueError(f"unknown link kinds {unknown}; known: {list(LINK_KINDS)}")
        return v


class ReviewConfig(StrictModel):
    """What goes to the terminal and to the MLflow review run."""

    console_top: int = Field(ge=0)
    waterfalls: int = Field(ge=0)
    waterfall_features: int = Field(ge=2)
    beeswarm_max_rows: int = Field(ge=1)
    table_max_rows: int = Field(ge=1)
    html_max_rows: int = Field(ge=1)


class ScoreConfig(StrictModel):
    """Everything `distillguard score` needs that is not an input path."""

    window: str
    as_of_future_tolerance: str
    reasons: ReasonsConfig
    drift: DriftConfig
    rings: RingsConfig
    review: ReviewConfig
    phrases: dict[str, tuple[Literal["share", "count", "number", "category"], str]]

    _check_window = field_validator("window", "as_of_future_tolerance")(_duration)


def load_score_config(path: str | Path | None = None, overrides: dict | None = None) -> ScoreConfig:
    """Load configs/score.yaml (or `path`) into a :class:`ScoreConfig`."""
    return load_config(path or DEFAULT_PATH, ScoreConfig, overrides)
