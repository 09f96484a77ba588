"""The final booster on every labelled snapshot, with its threshold from cross-fitted margins.

Training the final booster only on the calibration split's early side throws most
positives away: labels arrive days after the snapshots, so few are known before the
calibration cutoff (demo world, a held-out campaign fold: ~1,000 of ~6,000 rows). Here
the final booster trains on all of them, and the calibration and the threshold come from
out-of-fold margins of the same configuration: organisation-grouped folds, so a
legitimate snapshot is always scored by a booster that never saw its organisation.
The threshold is set on legitimate rows only, so it stays honest; positives' out-of-fold
margins are optimistic (their campaign sits on both sides of a fold), so calibration-split
metrics in this mode do not measure unseen campaigns: the held-out campaign folds of the
Optuna study (and the gate's floor on them) and `distillguard evaluate` do.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from training.booster import train_booster
from training.config import TrainConfig
from training.splits import org_keys, unit_hash

log = logging.getLogger(__name__)


def crossfit_margins(
    data: pd.DataFrame, X: pd.DataFrame, y: np.ndarray, params: dict[str, Any], cfg: TrainConfig
) -> np.ndarray:
    """Out-of-fold raw margins over ``cfg.final.crossfit_folds`` organisation-grouped folds.

    Rows of a fold whose training side lacks a class stay NaN.
    """
    k = cfg.final.crossfit_folds
    fold = np.minimum((unit_hash(org_keys(data), cfg.seed) * k).astype(int), k - 1)
    out = np.full(len(y), np.nan)
    for i in range(k):
        te, tr = np.flatnonzero(fold == i), np.flatnonzero(fold != i)
        if len(te) == 0 or len(np.unique(y[tr])) < 2:
            continue
        booster = train_booster(X, y, tr, params, cfg, cfg.seed)
        out[te] = booster.predict(X.iloc[te], raw_score=True)
    log.info("cross-fitted margins: %d folds, %d rows scored", k, int(np.isfinite(out).sum()))
    return out
