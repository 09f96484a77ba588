"""Baselines an operator has today, fit and scored on exactly the model's splits.

* rate limit: the per-account requests-per-day feature itself is the score (a rule
  "flag above N requests a day", N set at the same FPR as the model);
* IsolationForest (unsupervised) on the same features;
* logistic regression on the same features (numeric, median-imputed, standardised).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from training.config import BaselineConfig

NAMES = ("rate_limit", "isolation_forest", "logistic_regression")


def _numeric(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Numeric matrix: categoricals as level codes, missing values as the training median."""
    tr, te = train.copy(), test.copy()
    for c in tr.columns:
        if isinstance(tr[c].dtype, pd.CategoricalDtype):
            tr[c] = tr[c].cat.codes.astype(float)
            te[c] = te[c].cat.codes.astype(float)
    med = tr.median().fillna(0.0)
    return tr.fillna(med).to_numpy(float), te.fillna(med).to_numpy(float)


def baseline_scores(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    cfg: BaselineConfig,
    seed: int,
) -> dict[str, np.ndarray]:
    """Scores (higher = more suspicious) of each baseline on `X_test`.

    Args:
        X_train, X_test: prepared feature frames (DistillGuardModel.prepare) of a split.
        y_train: training labels (logistic regression only; the others ignore them).
        cfg: baseline settings.
        seed: random seed.
    """
    out: dict[str, np.ndarray] = {}
    if cfg.rate_feature in X_test:
        out["rate_limit"] = X_test[cfg.rate_feature].fillna(0.0).to_numpy(float)
    tr, te = _numeric(X_train, X_test)
    iso = IsolationForest(n_estimators=cfg.isolation_forest_trees, random_state=seed, n_jobs=1)
    iso.fit(tr)
    out["isolation_forest"] = -iso.score_samples(te)
    scaler = StandardScaler().fit(tr)
    lr = LogisticRegression(
        C=cfg.logistic_c, max_iter=cfg.logistic_max_iter, class_weight="balanced"
    )
    lr.fit(scaler.transform(tr), np.asarray(y_train).astype(int))
    out["logistic_regression"] = lr.decision_function(scaler.transform(te))
    return out
