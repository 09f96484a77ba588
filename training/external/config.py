"""configs/cresci2015.yaml as typed models: adapter, fold protocol, threshold, training.

See docs/external-validation.md for the reasoning behind every value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, PrivateAttr, ValidationError

from distillguard.adapters.cresci2015 import Cresci2015Config
from distillguard.config import ROOT, ConfigError, StrictModel
from training.config import TrainConfig


class FeatureSet(StrictModel):
    """One column of the side-by-side table.

    Attributes:
        name: short key. title: what the report calls it.
        account_age: keep the account-age features (else they are removed).
        population: `all` accounts with a feature row, or only `with_account_age`
            (accounts whose sign-up time is known: no sentinel).
    """

    name: str
    title: str
    account_age: bool
    population: str = Field(pattern="^(all|with_account_age)$")


class Published(StrictModel):
    """A published figure on the same data (the dataset README), for the comparison table."""

    method: str
    protocol: str
    mcc: float
    f1: float | None = None


class RunConfig(StrictModel):
    """The fold protocol (the `run` section)."""

    as_of: AwareDatetime
    window: str
    vendors: list[str] = Field(min_length=2)
    human_test_share: float = Field(gt=0, lt=1)
    internal_human_share: float = Field(gt=0, lt=1)
    calibration_share: float = Field(gt=0, lt=1)
    neutral_created_at: AwareDatetime
    excluded_features: dict[str, str]
    sensitivity_fprs: list[float] = Field(default_factory=list)
    shap_top: int = Field(ge=1)
    target_mcc: float = Field(gt=-1, le=1)


class ThresholdConfig(StrictModel):
    """How fit_static sets the flag threshold (the `threshold` section).

    Attributes:
        policy: `target_fpr` flags at most ``TrainConfig.target_fpr`` of the calibration
            humans (the product's rule); `max_mcc_grouped_oof` chooses that rate on the
            pooled leave-one-training-vendor-out scores of tuning
            (training.external.threshold.choose_fpr).
        criterion: what the chosen rate maximises on the pooled out-of-fold counts.
        max_fpr: highest human false-positive rate the policy may choose.
        balance_classes: weigh fakes and humans equally in the criterion (prevalence 0.5)
            instead of the pool's own class mix.
    """

    policy: Literal["target_fpr", "max_mcc_grouped_oof"] = "target_fpr"
    criterion: Literal["mcc", "f1"] = "mcc"
    max_fpr: float = Field(default=0.1, gt=0, le=1)
    balance_classes: bool = True


class TrainSection(StrictModel):
    """Training config = `base` (configs/train.yaml, TrainConfig) with `overrides` merged in."""

    base: str
    overrides: dict[str, Any] = Field(default_factory=dict)


def merge(base: dict, over: dict) -> dict:
    """Nested dict merge: `over`'s keys win, dicts merge key by key."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class ExternalConfig(StrictModel):
    """configs/cresci2015.yaml: adapter constants, fold protocol, threshold, feature sets."""

    adapter: Cresci2015Config
    run: RunConfig
    threshold: ThresholdConfig = Field(default_factory=ThresholdConfig)
    feature_sets: list[FeatureSet] = Field(min_length=1)
    published: list[Published]
    train: TrainSection
    _train_config: TrainConfig | None = PrivateAttr(default=None)

    def train_config(self) -> TrainConfig:
        """The product's TrainConfig (train.base, relative to the repository) plus overrides.

        Read once per config object: a run, its report and its MLflow record all see the
        same training config even if train.base changes on disk meanwhile.
        """
        from distillguard.config import read_yaml

        if self._train_config is not None:
            return self._train_config
        path = Path(self.train.base)
        path = path if path.is_absolute() else ROOT / path
        try:
            raw = read_yaml(path)
            self._train_config = TrainConfig.model_validate(merge(raw, self.train.overrides))
        except (OSError, ValidationError) as exc:
            raise ConfigError(f"train.base {path} with train.overrides: {exc}") from exc
        return self._train_config

    def with_seed(self, seed: int) -> ExternalConfig:
        """A copy whose training seed (folds, splits, Optuna, booster) is `seed`."""
        over = {**self.train.overrides, "seed": seed}
        train = TrainSection(base=self.train.base, overrides=over)
        out = self.model_copy(update={"train": train})
        out._train_config = None
        return out
