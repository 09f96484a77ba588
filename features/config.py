"""Typed configuration of the feature builders (configs/features.yaml)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from distillguard.config import CONFIGS, StrictModel, load_config

DEFAULT_PATH = CONFIGS / "features.yaml"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

LINK_KINDS = (
    "ip_prefix",
    "tls_fingerprint",
    "header_fingerprint",
    "payment_fingerprint",
    "signup_wave",
    "prompt_band",
)


def parse_duration(text: str | timedelta) -> timedelta:
    """Parse '7d', '30m', '1h', '2w' or '45s' into a timedelta.

    Raises:
        ValueError: the text is not an integer followed by one of s, m, h, d, w.
    """
    if isinstance(text, timedelta):
        return text
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"not a duration (expected e.g. '7d', '1h', '30m'): {text!r}")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def window_label(window: str | timedelta) -> str:
    """The suffix used in feature names for a window: '7d', '36h', ..."""
    td = parse_duration(window)
    secs = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs % size == 0:
            return f"{secs // size}{unit}"
    return f"{secs}s"


class VolumeConfig(StrictModel):
    error_status_min: int = 400


class CadenceConfig(StrictModel):
    sub_second_ms: int = 1000
    iat_log2_bins: int = 24
    session_gap: str = "30m"
    regular_tolerance: float = 0.1
    night_start_hour: int = Field(0, ge=0, le=23)
    night_end_hour: int = Field(6, ge=1, le=24)
    country_utc_offset: dict[str, int] = {}


class ContentConfig(StrictModel):
    focus_categories: list[str] = ["coding", "agentic"]
    reasoning_phrases: list[str] = []


class AdoptionConfig(StrictModel):
    horizons_hours: list[int] = [24, 72]
    min_log_history: str = "2d"


class CohortConfig(StrictModel):
    simhash_bands: int = Field(4, ge=1, le=64)
    signup_bucket: str = "1h"
    max_value_population_share: float = Field(0.01, gt=0, le=1)
    min_value_population_cap: int = Field(50, ge=2)
    prompt_shared_min_accounts: int = Field(2, ge=1)
    link_kinds: list[str] = list(LINK_KINDS)
    edge_mode: Literal["star", "clique"] = "star"

    @field_validator("link_kinds")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        bad = sorted(set(v) - set(LINK_KINDS))
        if bad:
            raise ValueError(f"unknown link kinds {bad}; known: {list(LINK_KINDS)}")
        return v

    @field_validator("simhash_bands")
    @classmethod
    def _divides_64(cls, v: int) -> int:
        if 64 % v:
            raise ValueError("simhash_bands must divide 64")
        return v


class SnapshotConfig(StrictModel):
    offsets_days: list[float] = [1, 2, 3, 7, 14]
    cutoff_grain: str = "1d"
    unlabelled_sample: float = Field(0.25, ge=0, le=1)
    unlabelled_max: int = Field(20000, ge=0)
    seed: int = 17
    drop_after_log_end: bool = True


class SparkConfig(StrictModel):
    master: str = "local[2]"
    shuffle_partitions: int = 8
    driver_memory: str = "4g"


class FeatureConfig(StrictModel):
    """Everything the feature builders read from configs/features.yaml."""

    window: str = "7d"
    volume: VolumeConfig = VolumeConfig()
    cadence: CadenceConfig = CadenceConfig()
    content: ContentConfig = ContentConfig()
    adoption: AdoptionConfig = AdoptionConfig()
    cohort: CohortConfig = CohortConfig()
    snapshots: SnapshotConfig = SnapshotConfig()
    spark: SparkConfig = SparkConfig()


def load_feature_config(
    path: str | Path | None = None, overrides: dict | None = None
) -> FeatureConfig:
    """Load configs/features.yaml (or `path`) into a FeatureConfig."""
    return load_config(path or DEFAULT_PATH, FeatureConfig, overrides)


def resolve(config: FeatureConfig | str | Path | None) -> FeatureConfig:
    """A FeatureConfig from an instance, a path, or None (the default file)."""
    if isinstance(config, FeatureConfig):
        return config
    return load_feature_config(config)
