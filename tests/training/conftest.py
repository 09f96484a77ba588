"""Fixtures of the training tests: a small, fast training config and synthetic snapshots."""

from __future__ import annotations

import pytest

from training.config import TrainConfig, load_train_config
from training.synthetic import synthetic_snapshots


def fast_config(**top) -> TrainConfig:
    """configs/train.yaml with a tiny Optuna budget (and no timeout in practice)."""
    cfg = load_train_config()
    space = cfg.tuning.space.model_copy(
        update={
            "num_boost_round": cfg.tuning.space.num_boost_round.model_copy(
                update={"low": 30, "high": 60}
            )
        }
    )
    tuning = cfg.tuning.model_copy(
        update={"n_trials": 2, "timeout_s": 3600, "n_startup_trials": 2, "space": space}
    )
    splits = cfg.splits.model_copy(update={"max_cv_folds": 2})
    return cfg.model_copy(update={"tuning": tuning, "splits": splits, **top})


@pytest.fixture(scope="session")
def cfg() -> TrainConfig:
    return fast_config()


@pytest.fixture(scope="session")
def snaps():
    """Planted-signal snapshots: 4 campaigns, ~3,300 snapshots, 40% of legitimate unlabelled."""
    return synthetic_snapshots(
        n_legit=700, campaign_size=40, signal=2.5, seed=1, unlabelled_share=0.4
    )
