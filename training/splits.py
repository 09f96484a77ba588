"""Honest splits of labelled snapshots: by time and by campaign, with a gap; never random.

The rules and one split: training/split_rules.py; the training's fold families:
training/folds.py; the evaluation's: training/eval_splits.py. This module re-exports the
first two (the names the pipeline, the external runner and the tests import).
"""

from __future__ import annotations

from training.folds import (
    calibration_split,
    campaign_folds,
    cv_folds,
    forward_folds,
    holdout_campaign_folds,
)
from training.split_rules import (
    Split,
    SplitError,
    check_split,
    is_usable,
    make_split,
    org_keys,
    unit_hash,
)

__all__ = [
    "Split",
    "SplitError",
    "calibration_split",
    "campaign_folds",
    "check_split",
    "cv_folds",
    "forward_folds",
    "holdout_campaign_folds",
    "is_usable",
    "make_split",
    "org_keys",
    "unit_hash",
]
