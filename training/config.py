"""Typed configuration of training and evaluation (configs/train.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from distillguard.config import CONFIGS, StrictModel, load_config

DEFAULT_PATH = CONFIGS / "train.yaml"

Imbalance = Literal["class_weight", "undersample", "oversample", "none"]


class SnapshotConfig(StrictModel):
    """Which feature snapshots make the training set (features.build_snapshots)."""

    offsets_days: list[int] = Field(min_length=1)
    window: str


class SplitConfig(StrictModel):
    """Time- and campaign-aware splits (training/splits.py)."""

    gap_days: float = Field(ge=0)
    legit_test_share: float = Field(gt=0, lt=1)
    min_train_positives: int = Field(ge=1)
    min_test_positives: int = Field(ge=1)
    min_test_negatives: int = Field(ge=1)
    max_cv_folds: int = Field(ge=1)
    calibration_quantile: float = Field(gt=0, lt=1)
    calibration_legit_share: float = Field(gt=0, lt=1)
    min_history_quantile: float = Field(ge=0, lt=1)


class RangeF(StrictModel):
    """A float search range; `log` samples on a log scale."""

    low: float
    high: float
    log: bool = False


class RangeI(StrictModel):
    """An integer search range."""

    low: int
    high: int
    log: bool = False


class SearchSpace(StrictModel):
    """Optuna's search space over LightGBM's parameters and the imbalance strategy."""

    num_boost_round: RangeI
    learning_rate: RangeF
    num_leaves: RangeI
    min_child_samples: RangeI
    feature_fraction: RangeF
    bagging_fraction: RangeF
    lambda_l2: RangeF
    imbalance: list[Imbalance] = Field(min_length=1)
    pos_weight_power: RangeF
    resample_ratio: RangeF


class TuningConfig(StrictModel):
    """Optuna study: budget, objective, pruning."""

    n_trials: int = Field(ge=1)
    timeout_s: float = Field(gt=0)
    objective: Literal["recall_at_fpr", "partial_auc", "average_precision"]
    objective_fpr: float = Field(gt=0, lt=1)
    n_startup_trials: int = Field(ge=0)
    pruning_warmup_steps: int = Field(ge=0)
    pruning_report_interval: int = Field(ge=1)
    space: SearchSpace


class LightGBMConfig(StrictModel):
    """Fixed LightGBM parameters (not tuned) and the defaults used when nothing is tuned."""

    num_threads: int = Field(ge=1)
    bagging_freq: int = Field(ge=0)
    max_bin: int = Field(ge=8)
    # how LightGBM enforces inputs.monotone_increasing (basic, intermediate, advanced)
    monotone_method: Literal["basic", "intermediate", "advanced"] = "intermediate"
    defaults: dict[str, float | int | str]


class InputsConfig(StrictModel):
    """Which feature columns the model may use."""

    # Columns kept out of the model (configs/train.yaml says why for each).
    exclude_features: list[str] = []
    # Columns whose learned effect may only raise the score as they grow (LightGBM
    # monotone constraints); absent columns (e.g. a producer without them) are skipped.
    monotone_increasing: list[str] = []


class FinalConfig(StrictModel):
    """What the final booster trains on (training/refit.py)."""

    # calibration_train: the calibration split's early side; the threshold and Platt
    # calibration on its later side. all_labelled: every labelled snapshot; threshold and
    # calibration on organisation-grouped out-of-fold margins.
    train_on: Literal["calibration_train", "all_labelled"] = "calibration_train"
    crossfit_folds: int = Field(5, ge=2)


class GateConfig(StrictModel):
    """When the `champion` alias may move to a new version."""

    metric: Literal["average_precision", "recall_at_fpr"]
    tolerance: float = Field(ge=0)
    campaign_recall_floor: float = Field(ge=0, le=1)
    min_campaign_positives: int = Field(ge=1)
    min_fresh_per_class: int = Field(ge=1)


class ReferenceConfig(StrictModel):
    """Reference statistics stored with the model (reasons, drift, nearest campaign)."""

    n_bins: int = Field(ge=2)
    max_levels: int = Field(ge=1)


class BaselineConfig(StrictModel):
    """Baselines evaluated on the same splits as the model."""

    rate_feature: str
    isolation_forest_trees: int = Field(ge=10)
    logistic_c: float = Field(gt=0)
    logistic_max_iter: int = Field(ge=10)


class EvaluationConfig(StrictModel):
    """The honest evaluation (distillguard evaluate)."""

    fprs: list[float] = Field(min_length=1)
    n_trials: int = Field(ge=1)
    timeout_s: float = Field(gt=0)
    legit_test_share: float = Field(gt=0, lt=1)
    forward_cutoffs: int = Field(ge=1)
    forward_test_days: float = Field(gt=0)
    forward_step_days: float = Field(gt=0)
    forward_min_train_positives: int = Field(ge=1)
    forward_cutoff_dates: list[str] = []
    ttd_step_hours: float = Field(gt=0)
    ttd_accounts_per_campaign: int = Field(ge=1)
    hard_negatives: list[str]
    hard_negative_fpr_target: float = Field(gt=0, lt=1)
    baselines: BaselineConfig
    # the evaluation is rerun at each of these seeds too; the page adds the spread (section 5)
    repeat_seeds: list[int] = []


class UnlabelledConfig(StrictModel):
    """Unlabelled snapshots (most accounts: never reviewed)."""

    as_negative: bool


class TrainConfig(StrictModel):
    """Everything `distillguard train` and `distillguard evaluate` need."""

    seed: int
    target_fpr: float = Field(gt=0, lt=1)
    experiment: str
    snapshots: SnapshotConfig
    unlabelled: UnlabelledConfig
    splits: SplitConfig
    tuning: TuningConfig
    lightgbm: LightGBMConfig
    inputs: InputsConfig = InputsConfig()
    final: FinalConfig = FinalConfig()
    gate: GateConfig
    reference: ReferenceConfig
    evaluation: EvaluationConfig


def load_train_config(
    path: str | Path = DEFAULT_PATH, overrides: dict | None = None
) -> TrainConfig:
    """Load configs/train.yaml (or `path`) into a TrainConfig."""
    return load_config(path, TrainConfig, overrides)
