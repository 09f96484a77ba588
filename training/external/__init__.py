"""Leave one vendor out on an imported outside dataset (Cresci-2015), same code as training.

Modules: config (configs/cresci2015.yaml), folds (outer and internal splits, by account),
threshold (threshold policies), fit (fit_static), columns (account-age and excluded
features), scoring (test metrics, SHAP), runner (run_external), mlflow_run (log_to_mlflow).
The names below are the package's public interface.
"""

from training.external.columns import (
    age_feature_columns,
    declared_age_columns,
    excluded_columns,
    with_constant_created_at,
)
from training.external.config import ExternalConfig, FeatureSet, RunConfig, ThresholdConfig
from training.external.fit import fit_static
from training.external.folds import Fold, internal_splits, vendor_folds
from training.external.mlflow_run import log_to_mlflow
from training.external.runner import ExternalResult, run_external
from training.external.scoring import best_mcc
from training.external.threshold import ThresholdChoice, choose_rate, threshold_at_rate

__all__ = [
    "ExternalConfig",
    "ExternalResult",
    "FeatureSet",
    "Fold",
    "RunConfig",
    "ThresholdChoice",
    "ThresholdConfig",
    "age_feature_columns",
    "best_mcc",
    "choose_rate",
    "declared_age_columns",
    "excluded_columns",
    "fit_static",
    "internal_splits",
    "log_to_mlflow",
    "run_external",
    "threshold_at_rate",
    "vendor_folds",
    "with_constant_created_at",
]
