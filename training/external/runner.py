"""run_external: features once, then every (feature set, held-out vendor) fit and its metrics.

Protocol (configs/cresci2015.yaml, docs/external-validation.md):

1. features.build_features as of the data's end, over a window covering every timeline,
   built once and shared by every feature set (a set only drops columns or accounts).
2. For each vendor V: train on the other vendors' fakes and a seeded share of the humans
   (split by account), test on V's fakes and the remaining humans.
3. Per fold, training.external.fit.fit_static; the threshold follows the configured policy,
   chosen on the training side only. Nothing is chosen on the test side.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pandas as pd

from models.detector import feature_columns
from training.external.columns import declared_age_columns, excluded_columns
from training.external.config import ExternalConfig
from training.external.fit import fit_static
from training.external.folds import vendor_folds
from training.external.scoring import score_fold, shap_rows

log = logging.getLogger(__name__)


@dataclass
class ExternalResult:
    """Everything the report needs.

    Attributes:
        metrics: one row per (feature_set, vendor): counts, threshold, precision, recall,
            f1, mcc, average_precision, ...
        shap: one row per (feature_set, vendor, feature): mean |SHAP| on the test side and
            the feature's median among test fakes and test humans.
        age_features: feature columns that change when `created_at` is neutralised.
        excluded: excluded feature -> reason.
        population: counts of accounts with/without a feature row and a known sign-up.
        seconds: wall time per stage.
    """

    metrics: pd.DataFrame
    shap: pd.DataFrame
    age_features: list[str]
    excluded: dict[str, str]
    population: dict[str, int]
    seconds: dict[str, float]


@dataclass
class Prepared:
    """The feature frame of every labelled account with a feature row, and its bookkeeping."""

    frame: pd.DataFrame
    meta: pd.DataFrame
    known_age: set[str]
    age_cols: list[str]
    excluded: dict[str, str]
    population: dict[str, int]


def prepare(world, cfg: ExternalConfig, seconds: dict[str, float]) -> Prepared:
    """Load the world, build the features once, attach labels; record stage seconds."""
    from distillguard.contract import load_world
    from features import build_features

    run, t0 = cfg.run, time.perf_counter()
    inputs = load_world(world)
    if inputs.labels is None:
        raise ValueError("external validation needs labels: the world has no labels.parquet")
    labels = inputs.labels.to_pyarrow().to_pandas()
    accounts = inputs.accounts.select("account_id", "created_at").to_pyarrow().to_pandas()
    seconds["load"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    real = build_features(inputs, pd.Timestamp(run.as_of), window=run.window)
    seconds["features"] = time.perf_counter() - t1
    age_cols = declared_age_columns(feature_columns(real))
    excluded = excluded_columns(feature_columns(real), run.excluded_features)
    log.info("account-age features: %s; excluded: %s", age_cols, sorted(excluded))

    sentinel = pd.Timestamp(cfg.adapter.missing_created_at)
    known_age = set(accounts.loc[accounts["created_at"] != sentinel, "account_id"].astype(str))
    meta = labels[["account_id", "label", "campaign_id", "labelled_at"]].copy()
    meta["account_id"] = meta["account_id"].astype(str)
    frame = real.drop(columns=list(excluded)).merge(meta, on="account_id", how="inner")
    frame["org_id"] = None
    # build_features' row order is the engine's; LightGBM's bagging depends on row order
    frame = frame.sort_values("account_id", kind="stable").reset_index(drop=True)
    scored = set(frame["account_id"])
    population = {
        "accounts": len(accounts),
        "labelled": len(meta),
        "with_feature_row": len(scored),
        "without_feature_row": len(set(meta["account_id"]) - scored),
        "without_account_age": len(set(accounts["account_id"].astype(str)) - known_age),
    }
    return Prepared(frame, meta, known_age, age_cols, excluded, population)


def run_external(world, cfg: ExternalConfig) -> ExternalResult:
    """Import-independent runner: features, leave-one-vendor-out folds, fits, metrics, SHAP.

    Args:
        world: world directory written by `distillguard import cresci2015` (any world
            whose labels carry the configured vendors as campaign_id works).
        cfg: the external config.
    """
    seconds: dict[str, float] = {}
    p = prepare(world, cfg, seconds)
    train_cfg = cfg.train_config()
    t0 = time.perf_counter()
    folds = vendor_folds(p.meta, cfg.run.vendors, cfg.run.human_test_share, train_cfg.seed)
    metric_rows, shap_frames = [], []
    for fs in cfg.feature_sets:
        drop = [] if fs.account_age else [c for c in p.age_cols if c in p.frame.columns]
        data = p.frame.drop(columns=drop)
        if fs.population == "with_account_age":
            data = data[data["account_id"].isin(p.known_age)]
        for fold in folds:
            train = data[data["account_id"].isin(fold.train)]
            test = data[data["account_id"].isin(fold.test)]
            t1 = time.perf_counter()
            model = fit_static(
                train, train_cfg, cfg.run, f"{fs.name}/{fold.vendor}", threshold=cfg.threshold
            )
            held = p.meta[(p.meta["label"] == 1) & (p.meta["campaign_id"] == fold.vendor)]
            if fs.population == "with_account_age":
                held = held[held["account_id"].isin(p.known_age)]
            m = score_fold(model, test)
            metric_rows.append(
                {
                    "feature_set": fs.name,
                    "vendor": fold.vendor,
                    "n_train": len(train),
                    "n_train_fakes": int((train["label"] == 1).sum()),
                    "n_test_fakes": int((test["label"] == 1).sum()),
                    "n_test_humans": int((test["label"] == 0).sum()),
                    "vendor_not_scored": len(set(held["account_id"]) - set(test["account_id"])),
                    "n_features": len(model.feature_names),
                    "threshold": model.threshold,
                    "threshold_policy": model.metadata["threshold_policy"],
                    "threshold_rate": model.metadata["threshold_rate"],
                    "threshold_oof_criterion": model.metadata.get(
                        "threshold_oof_criterion", float("nan")
                    ),
                    **m,
                    "recall_all_vendor_accounts": m["tp"] / max(len(held), 1),
                    "fit_seconds": time.perf_counter() - t1,
                }
            )
            shap_frames.append(shap_rows(model, test, fs.name, fold.vendor))
            log.info(
                "%s / %s: MCC %.3f, AP %.3f", fs.name, fold.vendor, m["mcc"], m["average_precision"]
            )
    seconds["folds"] = time.perf_counter() - t0
    return ExternalResult(
        pd.DataFrame(metric_rows),
        pd.concat(shap_frames, ignore_index=True),
        p.age_cols,
        p.excluded,
        p.population,
        seconds,
    )
