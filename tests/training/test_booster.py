"""train_booster: monotone constraints from inputs.monotone_increasing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.training.conftest import fast_config
from training.booster import monotone_constraints, train_booster
from training.pipeline import fit_with_report

PARAMS = {
    "num_boost_round": 80,
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_child_samples": 10,
    "feature_fraction": 1.0,
    "bagging_fraction": 1.0,
    "lambda_l2": 1.0,
    "imbalance": "none",
    "pos_weight_power": 0.0,
    "resample_ratio": 1.0,
}


def _planted(n: int = 4000, seed: int = 0):
    """Positives share a card with 1-5 others; large sharing groups are mostly legitimate.

    The unconstrained model learns "shared with 20 = legitimate" (the enterprise-invoice
    shortcut); the constraint forbids the score from falling as sharing grows.
    """
    rng = np.random.default_rng(seed)
    share = rng.integers(0, 25, n).astype(float)
    other = rng.normal(size=n)
    p = np.where((share >= 1) & (share <= 5), 0.8, 0.1)
    p = np.where(share >= 15, 0.02, p)
    y = (rng.random(n) < p).astype(int)
    X = pd.DataFrame({"cohort_payment_accounts_asof": share, "noise": other})
    return X, y


def _curve(booster, grid):
    X = pd.DataFrame({"cohort_payment_accounts_asof": grid, "noise": np.zeros(len(grid))})
    return booster.predict(X, raw_score=True)


def test_monotone_vector_follows_columns_and_skips_absent():
    cfg = fast_config()
    cfg = cfg.model_copy(
        update={"inputs": cfg.inputs.model_copy(update={"monotone_increasing": ["b", "zz"]})}
    )
    assert monotone_constraints(["a", "b", "c"], cfg) == [0, 1, 0]
    assert monotone_constraints(["a", "c"], cfg) is None


def test_constraint_makes_the_score_non_decreasing_in_the_feature():
    X, y = _planted()
    idx = np.arange(len(y))
    grid = np.arange(0, 25, dtype=float)
    free = _curve(train_booster(X, y, idx, PARAMS, fast_config(), 7), grid)
    # the planted shortcut is learned without the constraint: large groups score lower
    assert free[20] < free[3] - 1.0
    cfg = fast_config()
    cfg = cfg.model_copy(
        update={
            "inputs": cfg.inputs.model_copy(
                update={"monotone_increasing": ["cohort_payment_accounts_asof"]}
            )
        }
    )
    tied = _curve(train_booster(X, y, idx, PARAMS, cfg, 7), grid)
    assert np.all(np.diff(tied) >= -1e-9)
    # and it still learns the rise from no sharing to a small group
    assert tied[3] > tied[0] + 0.5


def test_fit_refuses_a_monotone_name_that_is_not_a_feature(snaps):
    cfg = fast_config()
    cfg = cfg.model_copy(
        update={"inputs": cfg.inputs.model_copy(update={"monotone_increasing": ["no_such_x"]})}
    )
    with pytest.raises(ValueError, match="no_such_x"):
        fit_with_report(snaps, cfg)
