"""Optuna study over LightGBM's parameters and the imbalance strategy.

Seeded TPE sampler, median pruning fed by LightGBM's pruning callback (on each trial's
first fold), SQLite storage under the MLflow store, objective = recall at a target FPR
(or average precision) averaged over time- and campaign-aware folds. The objective
closes over the preloaded, prepared feature frame: no I/O inside a trial.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna_integration import LightGBMPruningCallback
from sklearn.metrics import roc_curve

from distillguard import tracking
from training.booster import train_booster
from training.config import TrainConfig
from training.metrics import average_precision, recall_at_fpr
from training.splits import Split

log = logging.getLogger(__name__)


@dataclass
class TuningResult:
    """The study, the best parameters, and the best trial's out-of-fold margins per fold."""

    study: optuna.Study | None
    best_params: dict[str, Any]
    fold_margins: dict[str, np.ndarray] = field(default_factory=dict)
    fold_metrics: dict[str, float] = field(default_factory=dict)


def storage_url() -> str:
    """SQLite storage of Optuna studies, beside the MLflow store."""
    d = tracking.mlruns_dir()
    d.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{d / 'optuna.db'}"


def suggest(trial: optuna.Trial, cfg: TrainConfig) -> dict[str, Any]:
    """Sample one parameter set from the configured search space."""
    s = cfg.tuning.space
    p: dict[str, Any] = {}
    for name in ("num_boost_round", "num_leaves", "min_child_samples"):
        r = getattr(s, name)
        p[name] = trial.suggest_int(name, r.low, r.high, log=r.log)
    for name in ("learning_rate", "feature_fraction", "bagging_fraction", "lambda_l2"):
        r = getattr(s, name)
        p[name] = trial.suggest_float(name, r.low, r.high, log=r.log)
    p["imbalance"] = trial.suggest_categorical("imbalance", list(s.imbalance))
    p["pos_weight_power"] = (
        trial.suggest_float("pos_weight_power", s.pos_weight_power.low, s.pos_weight_power.high)
        if p["imbalance"] == "class_weight"
        else 0.0
    )
    p["resample_ratio"] = (
        trial.suggest_float("resample_ratio", s.resample_ratio.low, s.resample_ratio.high)
        if p["imbalance"] in ("undersample", "oversample")
        else 1.0
    )
    return p


def partial_auc(y: np.ndarray, margin: np.ndarray, max_fpr: float) -> float:
    """Area under the ROC curve for FPR in [0, max_fpr], divided by max_fpr (1 = perfect).

    Unlike recall at one FPR, it rewards every positive ranked above the top of the
    legitimate tail, not only those above one cut; NaN without both classes.
    """
    y = np.asarray(y).astype(int)
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, margin)
    stop = np.searchsorted(fpr, max_fpr, side="right")
    xs = np.r_[fpr[:stop], max_fpr]
    ys = np.r_[tpr[:stop], np.interp(max_fpr, fpr, tpr)]
    return float(np.trapezoid(ys, xs) / max_fpr)


def fold_score(y: np.ndarray, margin: np.ndarray, cfg: TrainConfig) -> float:
    """The tuning objective on one fold's test side."""
    if cfg.tuning.objective == "average_precision":
        return average_precision(y, margin)
    if cfg.tuning.objective == "partial_auc":
        return partial_auc(y, margin, cfg.tuning.objective_fpr)
    return recall_at_fpr(y, margin, cfg.tuning.objective_fpr)


def tune(
    X: pd.DataFrame,
    y: np.ndarray,
    folds: Sequence[Split],
    cfg: TrainConfig,
    *,
    study_name: str | None = None,
    callbacks: Sequence[Callable] = (),
    n_trials: int | None = None,
    timeout_s: float | None = None,
) -> TuningResult:
    """Run the study; returns the best parameters and that trial's out-of-fold margins.

    Args:
        X: prepared feature frame (DistillGuardModel.prepare), all labelled snapshots.
        y: labels aligned with X.
        folds: splits with positional indices into X.
        cfg: training config (search space, budget, seed).
        study_name: name in the SQLite storage (default: a fresh unique one).
        callbacks: Optuna study callbacks (e.g. one that logs a nested MLflow run).
        n_trials, timeout_s: override the configured budget.
    """
    seed = cfg.seed
    best: dict[str, Any] = {"value": -np.inf, "margins": {}, "metrics": {}}

    def objective(trial: optuna.Trial) -> float:
        p = suggest(trial, cfg)
        margins, scores = {}, {}
        for i, f in enumerate(folds):
            cbs = []
            if i == 0:
                cbs = [
                    LightGBMPruningCallback(
                        trial,
                        "average_precision",
                        valid_name="valid",
                        report_interval=cfg.tuning.pruning_report_interval,
                    )
                ]
            booster = train_booster(
                X, y, f.train, p, cfg, seed, valid_idx=f.test if i == 0 else None, callbacks=cbs
            )
            m = booster.predict(X.iloc[f.test], raw_score=True)
            margins[f.name] = m
            scores[f.name] = fold_score(y[f.test], m, cfg)
            trial.set_user_attr(f"fold/{f.name}", scores[f.name])
        value = float(np.nanmean(list(scores.values()))) if scores else float("nan")
        if np.isnan(value):
            value = 0.0
        if value > best["value"]:
            best.update(value=value, margins=margins, metrics=scores)
        return value

    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=cfg.tuning.n_startup_trials)
    pruner = optuna.pruners.MedianPruner(
        n_startup_trials=cfg.tuning.n_startup_trials,
        n_warmup_steps=cfg.tuning.pruning_warmup_steps,
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=study_name or f"fit-{uuid.uuid4().hex[:12]}",
        storage=storage_url(),
        direction="maximize",
        sampler=sampler,
        pruner=pruner,
    )
    study.optimize(
        objective,
        n_trials=n_trials or cfg.tuning.n_trials,
        timeout=timeout_s or cfg.tuning.timeout_s,
        callbacks=list(callbacks),
        gc_after_trial=False,
    )
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise RuntimeError("Optuna finished without a complete trial; raise tuning.timeout_s")
    params = dict(study.best_params)
    params.setdefault("pos_weight_power", 0.0)
    params.setdefault("resample_ratio", 1.0)
    log.info(
        "Optuna: %d trials (%d pruned), best %s = %.4f",
        len(study.trials),
        sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        cfg.tuning.objective,
        study.best_value,
    )
    return TuningResult(study, params, best["margins"], best["metrics"])
