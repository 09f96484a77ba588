"""Training one LightGBM booster on the training side of a split (imbalance handled inside)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from training.config import TrainConfig
from training.imbalance import resample_indices, scale_pos_weight

TUNED = (
    "num_boost_round",
    "learning_rate",
    "num_leaves",
    "min_child_samples",
    "feature_fraction",
    "bagging_fraction",
    "lambda_l2",
    "imbalance",
    "pos_weight_power",
    "resample_ratio",
)


def monotone_constraints(columns: Sequence[str], cfg: TrainConfig) -> list[int] | None:
    """LightGBM's per-column constraint vector (1 = non-decreasing), None without any.

    Columns of ``cfg.inputs.monotone_increasing`` that are not in `columns` are skipped:
    a feature set or a producer may lack them.
    """
    up = set(cfg.inputs.monotone_increasing)
    vec = [1 if c in up else 0 for c in columns]
    return vec if any(vec) else None


def lgb_params(
    p: dict[str, Any],
    cfg: TrainConfig,
    seed: int,
    pos_weight: float,
    columns: Sequence[str] = (),
) -> dict:
    """LightGBM parameters from tuned values `p` plus the fixed, deterministic settings.

    `columns`: the training frame's columns, for the monotone constraints.
    """
    out = {
        "objective": "binary",
        "learning_rate": float(p["learning_rate"]),
        "num_leaves": int(p["num_leaves"]),
        "min_child_samples": int(p["min_child_samples"]),
        "feature_fraction": float(p["feature_fraction"]),
        "bagging_fraction": float(p["bagging_fraction"]),
        "bagging_freq": cfg.lightgbm.bagging_freq,
        "lambda_l2": float(p["lambda_l2"]),
        "scale_pos_weight": pos_weight,
        "max_bin": cfg.lightgbm.max_bin,
        "num_threads": cfg.lightgbm.num_threads,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
        "feature_pre_filter": False,
    }
    mono = monotone_constraints(columns, cfg)
    if mono is not None:
        out["monotone_constraints"] = mono
        out["monotone_constraints_method"] = cfg.lightgbm.monotone_method
    return out


def train_booster(
    X: pd.DataFrame,
    y: np.ndarray,
    idx: np.ndarray,
    p: dict[str, Any],
    cfg: TrainConfig,
    seed: int,
    *,
    valid_idx: np.ndarray | None = None,
    callbacks: Sequence = (),
) -> lgb.Booster:
    """Fit a booster on rows `idx` of the prepared frame `X`.

    The imbalance strategy ``p["imbalance"]`` is applied here, to `idx` only: class
    weights through scale_pos_weight, or random under/over-sampling of training rows.
    `valid_idx` (optional) is monitored with average precision (for pruning callbacks).
    """
    y = np.asarray(y).astype(int)
    strategy = str(p["imbalance"])
    rows = resample_indices(idx, y[idx], strategy, float(p["resample_ratio"]), seed)
    pos_weight = scale_pos_weight(y[rows], strategy, p["pos_weight_power"])
    params = lgb_params(p, cfg, seed, pos_weight, list(X.columns))
    dtrain = lgb.Dataset(X.iloc[rows], label=y[rows], free_raw_data=True)
    valid_sets, valid_names = [], []
    if valid_idx is not None:
        params["metric"] = "average_precision"
        valid_sets = [lgb.Dataset(X.iloc[valid_idx], label=y[valid_idx], reference=dtrain)]
        valid_names = ["valid"]
    return lgb.train(
        params,
        dtrain,
        num_boost_round=int(p["num_boost_round"]),
        valid_sets=valid_sets,
        valid_names=valid_names,
        callbacks=list(callbacks),
    )
