"""Class imbalance: class weights, or imbalanced-learn samplers applied inside training folds.

Samplers resample row *indices* of the training side only (never the test side), so
they work on frames with categoricals and missing values. SMOTE-style synthesis is
not offered: it needs complete numeric rows, and our features have categoricals and
legitimate missing values.
"""

from __future__ import annotations

import numpy as np
from imblearn.over_sampling import RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler


def resample_indices(
    idx: np.ndarray, y: np.ndarray, strategy: str, ratio: float, seed: int
) -> np.ndarray:
    """Row indices after resampling `idx` (labels `y`) with `strategy`.

    Args:
        idx: training-side row indices.
        y: their labels (0/1).
        strategy: "undersample" or "oversample"; anything else returns `idx` unchanged.
        ratio: minority/majority ratio after resampling (no-op if already above it).
        seed: sampler seed.
    """
    y = np.asarray(y).astype(int)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if strategy not in ("undersample", "oversample") or n_pos == 0 or n_neg == 0:
        return idx
    lo, hi = min(n_pos, n_neg), max(n_pos, n_neg)
    if lo / hi >= ratio:
        return idx
    if strategy == "oversample" and int(hi * ratio - lo) <= 0:
        # less than one row short of the ratio: imbalanced-learn would refuse ("required to
        # remove samples from the minority class"), and there is nothing to add
        return idx
    cls = RandomUnderSampler if strategy == "undersample" else RandomOverSampler
    sampler = cls(sampling_strategy=ratio, random_state=seed)
    res, _ = sampler.fit_resample(np.asarray(idx).reshape(-1, 1), y)
    return np.sort(res.ravel())


def scale_pos_weight(y: np.ndarray, strategy: str, power: float) -> float:
    """LightGBM's scale_pos_weight: (neg/pos)^power for "class_weight", else 1."""
    y = np.asarray(y).astype(int)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if strategy != "class_weight" or n_pos == 0:
        return 1.0
    return float((n_neg / n_pos) ** power)
