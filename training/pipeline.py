"""fit(train_df, cfg): snapshots -> tuned, calibrated, thresholded DistillGuardModel.

Everything happens on splits internal to `train_df` (training/splits.py):

1. Optuna over LightGBM + imbalance strategy on time- and campaign-aware folds;
2. the final booster trains on the calibration split's training side (before a time
   quantile, minus the gap);
3. Platt calibration and the threshold at ``cfg.target_fpr`` on the calibration split's
   test side: accounts and organisations the booster never saw, after the gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from models.detector import (
    DistillGuardModel,
    PlattCalibrator,
    categorical_levels,
    feature_columns,
    prepare_frame,
)
from training.booster import train_booster
from training.config import TrainConfig
from training.gate import held_out_campaign_recall
from training.metrics import decision_threshold, summary
from training.reference import build_reference
from training.refit import crossfit_margins
from training.splits import Split, calibration_split, cv_folds, is_usable
from training.tuning import TuningResult, tune

log = logging.getLogger(__name__)

REQUIRED = ("account_id", "as_of", "label", "campaign_id", "labelled_at")


@dataclass
class FitReport:
    """The model plus what evaluation artifacts and the gate need."""

    model: DistillGuardModel
    data: pd.DataFrame  # labelled snapshots, positional index
    tuning: TuningResult
    folds: list[Split]
    calibration: Split
    cal_margin: np.ndarray  # final booster's margin on calibration.test
    campaign_recall: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def reviewed(self) -> np.ndarray:
        """Mask over calibration.test: reviewed (labelled) rows, the ones metrics use."""
        return ~self.data["presumed"].to_numpy(dtype=bool)[self.calibration.test]


def _check(df: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"training snapshots: missing column(s) {missing}")
    bad = df["label"].notna() & ~df["label"].isin([0, 1])
    if bad.any():
        raise ValueError(
            "training snapshots: column label: rule 'label in {0, 1}': "
            f"{int(bad.sum())} rows, e.g. "
            f"{df.loc[bad, ['account_id', 'label']].head(3).to_dict('records')}"
        )
    lab = df["label"]
    if (lab == 1).sum() == 0 or (lab == 0).sum() == 0:
        raise ValueError("training snapshots: need labelled positives and negatives")


def label_frame(train_df: pd.DataFrame, cfg: TrainConfig) -> pd.DataFrame:
    """Labelled snapshots plus, when configured, unlabelled ones as presumed legitimate.

    Adds a boolean ``presumed`` column; presumed rows get label 0, no campaign, and
    ``labelled_at = as_of`` (known as soon as they exist). Positional index.
    """
    df = train_df.copy()
    unl = df["label"].isna()
    already = df["presumed"].fillna(False).astype(bool) if "presumed" in df else False
    df["presumed"] = (unl | already).to_numpy()
    if cfg.unlabelled.as_negative:
        df.loc[unl, "label"] = 0.0
        df.loc[unl, "labelled_at"] = pd.to_datetime(df.loc[unl, "as_of"], utc=True)
        df.loc[unl, "campaign_id"] = None
    else:
        df = df[~unl]
    return df.reset_index(drop=True)


def platt(margin: np.ndarray, y: np.ndarray) -> PlattCalibrator:
    """Fit p = sigmoid(a * margin + b) by (nearly unregularised) logistic regression."""
    y = np.asarray(y).astype(int)
    if len(np.unique(y)) < 2:
        raise ValueError("calibration needs both classes")
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(np.asarray(margin).reshape(-1, 1), y)
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    if a <= 0:
        log.warning("calibration slope %.3g <= 0: margin carries no signal; using identity", a)
        return PlattCalibrator(1.0, 0.0)
    return PlattCalibrator(a, b)


def fit_with_report(
    train_df: pd.DataFrame,
    cfg: TrainConfig,
    *,
    study_name: str | None = None,
    callbacks: Sequence[Callable] = (),
    n_trials: int | None = None,
    timeout_s: float | None = None,
    metadata: dict[str, Any] | None = None,
) -> FitReport:
    """Fit a DistillGuardModel and keep the folds, margins and per-campaign recall.

    Args:
        train_df: snapshots (features.build_snapshots); unlabelled rows are ignored.
        cfg: training config.
        study_name: Optuna study name (default: unique).
        callbacks: Optuna callbacks (nested MLflow runs).
        n_trials, timeout_s: override the tuning budget (evaluation folds use smaller ones).
        metadata: extra metadata stored on the model (feature-set version, window, ...).
    """
    _check(train_df)
    data = label_frame(train_df, cfg)
    y = data["label"].to_numpy().astype(int)
    dropped = set(cfg.inputs.exclude_features) | {"presumed"}
    produced = feature_columns(train_df)
    unknown = sorted(set(cfg.inputs.monotone_increasing) - set(produced))
    if unknown:
        raise ValueError(f"inputs.monotone_increasing: not feature columns of the data: {unknown}")
    names = [c for c in produced if c not in dropped]
    categories = categorical_levels(data, names)
    X = prepare_frame(data, names, categories)
    log.info(
        "fit: %d snapshots (%d presumed legitimate, %d positive, %d campaigns), %d features",
        len(data),
        int(data["presumed"].sum()),
        int(y.sum()),
        data.loc[y == 1, "campaign_id"].nunique(),
        len(names),
    )

    folds = cv_folds(data, cfg.splits, cfg.seed)
    if folds:
        log.info("Optuna folds: %s", ", ".join(f"{f.name} ({len(f.test)} test)" for f in folds))
        tuning = tune(
            X,
            y,
            folds,
            cfg,
            study_name=study_name,
            callbacks=callbacks,
            n_trials=n_trials,
            timeout_s=timeout_s,
        )
    else:
        log.warning("no usable time/campaign fold: training with lightgbm.defaults, untuned")
        tuning = TuningResult(None, dict(cfg.lightgbm.defaults))
    params = tuning.best_params

    cal = calibration_split(data, cfg.splits, cfg.seed)
    if not is_usable(data, cal, cfg.splits):
        raise ValueError(
            f"calibration split at {cal.cutoff}: too few snapshots "
            f"(train {len(cal.train)}, test {len(cal.test)}; "
            f"test positives {int(y[cal.test].sum())}); adjust splits.calibration_quantile"
        )
    train_idx, rev_all = cal.train, ~data["presumed"].to_numpy(dtype=bool)
    if cfg.final.train_on == "all_labelled":
        train_idx = np.flatnonzero(np.isfinite(oof := crossfit_margins(data, X, y, params, cfg)))
        cal_margin = oof[cal.test]
        calibrator = platt(oof[train_idx], y[train_idx])
        neg = oof[train_idx][(y[train_idx] == 0) & rev_all[train_idx]]
    booster = train_booster(X, y, train_idx, params, cfg, cfg.seed)
    if cfg.final.train_on == "calibration_train":
        cal_margin = np.asarray(booster.predict(X.iloc[cal.test], raw_score=True))
        calibrator = platt(cal_margin, y[cal.test])
        neg = cal_margin[(y[cal.test] == 0) & rev_all[cal.test]]
    y_cal, reviewed = y[cal.test], rev_all[cal.test]
    margin_thr, n_neg = decision_threshold(neg, cfg.target_fpr), len(neg)
    if n_neg * cfg.target_fpr < 1:
        log.warning(
            "threshold: %d legitimate calibration snapshots resolve FPR only to %.2g (target %g)",
            n_neg,
            1 / max(n_neg, 1),
            cfg.target_fpr,
        )
    train_rows = data.iloc[train_idx]
    reference = build_reference(
        X.iloc[train_idx], y[train_idx], train_rows["campaign_id"], categories, cfg.reference
    )
    cal_metrics = summary(y_cal[reviewed], cal_margin[reviewed], [cfg.target_fpr, 0.01])
    meta = {
        "target_fpr": cfg.target_fpr,
        "seed": cfg.seed,
        "params": {k: (v if isinstance(v, str) else float(v)) for k, v in params.items()},
        "trained_from": str(pd.to_datetime(train_rows["as_of"], utc=True).min()),
        "trained_to": str(pd.to_datetime(train_rows["as_of"], utc=True).max()),
        "calibration_cutoff": str(cal.cutoff),
        "n_train": len(train_idx),
        "n_train_positive": int(y[train_idx].sum()),
        "final_train_on": cfg.final.train_on,
        "n_calibration": len(cal.test),
        "n_calibration_reviewed_legit": n_neg,
        "n_train_presumed": int(data["presumed"].to_numpy()[train_idx].sum()),
        "n_calibration_positive": int(y_cal.sum()),
        "calibration": {"method": "platt", "a": calibrator.a, "b": calibrator.b},
        "calibration_metrics": cal_metrics,
        "campaigns_trained": sorted(
            str(c) for c in train_rows.loc[y[train_idx] == 1, "campaign_id"].dropna().unique()
        ),
        "cv_folds": [f.name for f in folds],
        "cv_fold_metrics": tuning.fold_metrics,
        **(metadata or {}),
    }
    model = DistillGuardModel(
        booster=booster,
        calibrator=calibrator,
        margin_threshold=margin_thr,
        feature_names=names,
        categories=categories,
        metadata=meta,
        reference=reference,
    )
    recall = held_out_campaign_recall(data, tuning, folds, cfg.target_fpr)
    log.info(
        "fit done: calibration AP %.3f, recall at %.2g FPR %.3f",
        cal_metrics["average_precision"],
        cfg.target_fpr,
        cal_metrics[f"recall_at_{cfg.target_fpr * 100:g}pct"],
    )
    return FitReport(model, data, tuning, folds, cal, cal_margin, recall)


def fit(train_df: pd.DataFrame, cfg: TrainConfig, **kw: Any) -> DistillGuardModel:
    """Tuned LightGBM + imbalance strategy + calibration + threshold at the target FPR.

    See :func:`fit_with_report` for the arguments; this returns only the model.
    """
    return fit_with_report(train_df, cfg, **kw).model
