"""fit_static: training.pipeline.fit on account-level splits, with a configurable threshold.

Same tuning, booster, imbalance strategy, Platt calibration and reference statistics as
the product's pipeline; the internal splits are by account (training.external.folds)
and the flag threshold follows the configured policy (training.external.threshold).
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pandas as pd

from models.detector import DistillGuardModel, categorical_levels, feature_columns, prepare_frame
from training.booster import train_booster
from training.config import TrainConfig
from training.external.config import RunConfig, ThresholdConfig
from training.external.folds import internal_splits
from training.external.threshold import choose_rate, oof_folds, threshold_at_rate
from training.pipeline import platt
from training.reference import build_reference
from training.splits import is_usable
from training.tuning import tune

log = logging.getLogger(__name__)


def _rate(policy: ThresholdConfig, cfg: TrainConfig, y, folds, tuning, name: str) -> dict:
    """The human false-positive rate the threshold is set at, and how it was chosen."""
    if policy.policy == "max_mcc_grouped_oof":
        oof = oof_folds(y, folds, tuning.fold_margins if tuning else {})
        if oof:
            choice = choose_rate(oof, policy)
            log.info(
                "%s: threshold at human FPR %.4f (pooled OOF %s %.3f over %d folds)",
                name,
                choice.rate,
                policy.criterion,
                choice.value,
                choice.n_folds,
            )
            return {
                "threshold_policy": policy.policy,
                "threshold_rate": choice.rate,
                "threshold_oof_criterion": choice.value,
                "threshold_oof_rows": choice.n_positive + choice.n_negative,
            }
        log.warning("%s: no out-of-fold scores; threshold falls back to target_fpr", name)
    return {"threshold_policy": "target_fpr", "threshold_rate": cfg.target_fpr}


def fit_static(
    train_df: pd.DataFrame,
    cfg: TrainConfig,
    run: RunConfig,
    name: str,
    threshold: ThresholdConfig | None = None,
) -> DistillGuardModel:
    """training.pipeline.fit with :func:`internal_splits` instead of time-based splits.

    Args:
        train_df: one fold's training side (label, campaign_id, features).
        cfg: the product's TrainConfig (with the external overrides).
        run: fold protocol (internal shares, sensitivity rates).
        name: for the log.
        threshold: threshold policy (default: `target_fpr`, the product's rule).

    Returns:
        DistillGuardModel; metadata holds the policy, the chosen human FPR and the margin
        thresholds at `target_fpr` and every `run.sensitivity_fprs` (for the report).
    """
    policy = threshold or ThresholdConfig()
    data = train_df.reset_index(drop=True)
    y = data["label"].to_numpy().astype(int)
    names = feature_columns(data)
    categories = categorical_levels(data, names)
    X = prepare_frame(data, names, categories)
    folds, cal = internal_splits(data, run, cfg.seed)
    folds = [f for f in folds if is_usable(data, f, cfg.splits)]
    tuning = None
    if folds:
        tuning = tune(X, y, folds, cfg, study_name=None)
        params = tuning.best_params
    else:
        log.warning("%s: no usable internal vendor fold; lightgbm.defaults, untuned", name)
        params = dict(cfg.lightgbm.defaults)
    chosen = _rate(policy, cfg, y, folds, tuning, name)
    booster = train_booster(X, y, cal.train, params, cfg, cfg.seed)
    cal_margin = np.asarray(booster.predict(X.iloc[cal.test], raw_score=True))
    y_cal = y[cal.test]
    neg = cal_margin[y_cal == 0]
    calibrator = platt(cal_margin, y_cal)
    margin_thr = threshold_at_rate(neg, chosen["threshold_rate"], deployable=True)
    reference = build_reference(
        X.iloc[cal.train],
        y[cal.train],
        data["campaign_id"].iloc[cal.train],
        categories,
        cfg.reference,
    )
    rates = dict.fromkeys([cfg.target_fpr, *run.sensitivity_fprs])
    meta = {
        **chosen,
        "margin_thresholds_at_fpr": {f: threshold_at_rate(neg, f, deployable=True) for f in rates},
        "target_fpr": cfg.target_fpr,
        "params": {k: (v if isinstance(v, str) else float(v)) for k, v in params.items()},
        "internal_folds": [f.name for f in folds],
        "n_train": len(cal.train),
        "n_calibration": len(cal.test),
        "n_calibration_negative": int((y_cal == 0).sum()),
        "trained_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    return DistillGuardModel(
        booster=booster,
        calibrator=calibrator,
        margin_threshold=margin_thr,
        feature_names=names,
        categories=categories,
        metadata=meta,
        reference=reference,
    )
