"""DistillGuardModel: LightGBM booster + probability calibrator + threshold + reference stats.

One picklable object that scoring, evaluation and the MLflow pyfunc wrapper share.
Categorical levels are fixed at training time: at prediction a level never seen in
training becomes missing (LightGBM's "other" branch), never a new code that would
silently shift every other level.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.catalogue import feature_columns as catalogue_columns

log = logging.getLogger(__name__)


def feature_columns(df: pd.DataFrame) -> list[str]:
    """The model inputs of a snapshot/feature frame: the features catalogue's one definition."""
    return catalogue_columns(df)


def categorical_levels(df: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Categorical columns of `df` (category, str or object dtype) and their sorted levels."""
    levels: dict[str, list[str]] = {}
    for c in columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            vals = s.cat.categories.astype(str)
        elif pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            vals = pd.Index(s.dropna().astype(str).unique())
        else:
            continue
        levels[c] = sorted(set(vals))
    return levels


def prepare_frame(
    X: pd.DataFrame, feature_names: list[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    """Select `feature_names` in order and give every column its training-time type.

    Raises:
        KeyError: naming every missing feature column.
    """
    missing = [c for c in feature_names if c not in X.columns]
    if missing:
        raise KeyError(f"feature frame lacks {len(missing)} model feature(s): {missing[:10]}")
    out = {}
    for c in feature_names:
        s = X[c]
        if c in categories:
            text = s.astype(str).where(s.notna())
            out[c] = pd.Categorical(text, categories=categories[c])
        else:
            out[c] = pd.to_numeric(s, errors="coerce").astype("float64")
    return pd.DataFrame(out, index=X.index)


@dataclass
class PlattCalibrator:
    """Maps a raw margin to a probability: p = 1 / (1 + exp(-(a * margin + b))).

    Strictly increasing (for a > 0), so a threshold on the margin and one on the
    probability flag exactly the same accounts.
    """

    a: float = 1.0
    b: float = 0.0

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        z = self.a * np.asarray(margin, dtype=float) + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


@dataclass
class DistillGuardModel:
    """A trained detector.

    Attributes:
        booster: the LightGBM booster (binary objective).
        calibrator: margin -> calibrated probability.
        margin_threshold: flag when the raw margin is >= this (target FPR on legit);
            `threshold` is the same cut on the calibrated probability, derived from it.
        feature_names: model inputs in order.
        categories: categorical feature -> levels fixed at training.
        metadata: feature_set_version, trained window, target_fpr, params, ...
        reference: per-feature statistics of legitimate training accounts (see
            training.reference.build_reference): median, quantile bin edges and
            proportions for drift, per-campaign centroids.
    """

    booster: lgb.Booster
    calibrator: PlattCalibrator
    margin_threshold: float
    feature_names: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def threshold(self) -> float:
        """The flag threshold on the calibrated probability: calibrator(margin_threshold)."""
        return float(self.calibrator(np.array([self.margin_threshold]))[0])

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's view of `X`: its features in order with training-time types."""
        return prepare_frame(X, self.feature_names, self.categories)

    def margin(self, X: pd.DataFrame) -> np.ndarray:
        """Raw LightGBM margin (log-odds before calibration), shape (n,)."""
        if len(X) == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(self.prepare(X), raw_score=True), dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of campaign membership, shape (n,)."""
        return self.calibrator(self.margin(X))

    def flag(self, X: pd.DataFrame) -> np.ndarray:
        """Boolean flags at the trained threshold, shape (n,)."""
        return self.margin(X) >= self.margin_threshold

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """TreeSHAP contributions on the raw margin, shape (n, n_features + 1).

        The last column is the expected value; each row sums to `margin(X)`.
        """
        if len(X) == 0:
            return np.zeros((0, len(self.feature_names) + 1))
        return np.asarray(
            self.booster.predict(self.prepare(X), pred_contrib=True), dtype=float
        ).reshape(len(X), len(self.feature_names) + 1)

    def importance(self, kind: str = "gain") -> pd.Series:
        """Feature importance from the booster (`gain` or `split`), sorted descending."""
        values = self.booster.feature_importance(importance_type=kind)
        return pd.Series(values, index=self.feature_names, name=kind).sort_values(ascending=False)
