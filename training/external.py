"""Leave one vendor out on an imported outside dataset (Cresci-2015), same code as training.

Protocol (configs/cresci2015.yaml, docs/external-validation.md):

1. features.build_features as of the data's end, over a window covering every timeline.
   The account-age features are those the catalogue declares as reading
   `accounts.created_at`; the tests check on real data that they are exactly the columns
   that change when every sign-up time is made one constant.
2. For each vendor V: train on the other vendors' fakes and a seeded share of the humans
   (split by account), test on V's fakes and the remaining humans.
3. Per fold, :func:`fit_static` = training.pipeline.fit with account-level internal splits:
   the pipeline's splits are by time with a label delay, which a static labelled dataset
   does not have. Optuna (training.tuning.tune) runs on leave-one-training-vendor-out
   folds; the final booster, Platt calibration and the threshold at ``target_fpr`` come
   from a stratified account split of the training side. Nothing is chosen on the test side.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, Field, ValidationError

from distillguard.adapters.cresci2015 import Cresci2015Config
from distillguard.config import ROOT, ConfigError, StrictModel
from models.detector import DistillGuardModel, categorical_levels, feature_columns, prepare_frame
from training.booster import train_booster
from training.config import TrainConfig
from training.metrics import threshold_at_fpr
from training.pipeline import platt
from training.reference import build_reference
from training.splits import Split, is_usable
from training.tuning import tune

log = logging.getLogger(__name__)


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


class TrainSection(StrictModel):
    """Training config = `base` (configs/train.yaml, TrainConfig) with `overrides` merged in."""

    base: str
    overrides: dict[str, Any] = Field(default_factory=dict)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class ExternalConfig(StrictModel):
    """configs/cresci2015.yaml: adapter constants, fold protocol, feature sets, training."""

    adapter: Cresci2015Config
    run: RunConfig
    feature_sets: list[FeatureSet] = Field(min_length=1)
    published: list[Published]
    train: TrainSection

    def train_config(self) -> TrainConfig:
        """The product's TrainConfig (train.base, relative to the repository) plus overrides."""
        import yaml

        path = Path(self.train.base)
        path = path if path.is_absolute() else ROOT / path
        try:
            raw = yaml.safe_load(path.read_text()) or {}
            return TrainConfig.model_validate(_merge(raw, self.train.overrides))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"train.base {path} with train.overrides: {exc}") from exc


@dataclass(frozen=True)
class Fold:
    """One held-out vendor: the accounts on each side (disjoint by construction)."""

    vendor: str
    train: frozenset[str]
    test: frozenset[str]


def vendor_folds(labels: pd.DataFrame, vendors: list[str], human_test_share: float, seed: int):
    """Leave-one-vendor-out folds, split by account.

    Args:
        labels: account_id, label (0/1), campaign_id.
        vendors: campaign ids, one fold each.
        human_test_share: share of humans on the test side of each fold.
        seed: seed of the human split (each fold draws its own).

    Returns:
        One :class:`Fold` per vendor. Raises ValueError on an unknown vendor.
    """
    lab = labels.dropna(subset=["label"])
    humans = sorted(lab.loc[lab["label"] == 0, "account_id"].astype(str))
    fakes = lab[lab["label"] == 1]
    known = set(fakes["campaign_id"].dropna().astype(str))
    unknown = [v for v in vendors if v not in known]
    if unknown:
        raise ValueError(f"labels.campaign_id: vendor(s) {unknown} not found; have {sorted(known)}")
    folds = []
    for i, vendor in enumerate(vendors):
        rng = np.random.default_rng([seed, i])
        shuffled = [humans[j] for j in rng.permutation(len(humans))]
        n_test = round(human_test_share * len(humans))
        test_h, train_h = shuffled[:n_test], shuffled[n_test:]
        camp = fakes["campaign_id"].astype(str)
        held = fakes.loc[camp == vendor, "account_id"].astype(str)
        others = fakes.loc[camp.isin([v for v in vendors if v != vendor]), "account_id"]
        fold = Fold(
            vendor, frozenset(train_h) | set(others.astype(str)), frozenset(test_h) | set(held)
        )
        if fold.train & fold.test:
            raise AssertionError(f"fold {vendor}: an account is on both sides")
        folds.append(fold)
    return folds


def _pick(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: round(share * n)]] = True
    return mask


def internal_splits(data: pd.DataFrame, run: RunConfig, seed: int) -> tuple[list[Split], Split]:
    """Account-level splits inside one fold's training side (static data has no time axis).

    Optuna folds: each training vendor held out in turn, with `internal_human_share` of the
    humans; calibration: `calibration_share` of every (label, vendor) group, seeded.
    """
    rng = np.random.default_rng(seed)
    y = data["label"].to_numpy().astype(int)
    camp = data["campaign_id"].astype(object).where(y == 1, "").astype(str).to_numpy()
    human_val = (y == 0) & _pick(len(data), run.internal_human_share, rng)
    cutoff = pd.Timestamp(run.as_of)
    folds = []
    for vendor in sorted(set(camp[y == 1])):
        test = (camp == vendor) | human_val
        train = ((y == 1) & (camp != vendor)) | ((y == 0) & ~human_val)
        folds.append(
            Split(
                f"vendor {vendor}", cutoff, np.flatnonzero(train), np.flatnonzero(test), (vendor,)
            )
        )
    cal_mask = np.zeros(len(data), dtype=bool)
    for key in sorted(set(zip(y, camp, strict=True))):
        idx = np.flatnonzero((y == key[0]) & (camp == key[1]))
        cal_mask[idx[_pick(len(idx), run.calibration_share, rng)]] = True
    cal = Split("calibration", cutoff, np.flatnonzero(~cal_mask), np.flatnonzero(cal_mask))
    return folds, cal


def fit_static(train_df: pd.DataFrame, cfg: TrainConfig, run: RunConfig, name: str):
    """training.pipeline.fit with :func:`internal_splits` instead of time-based splits.

    Same tuning, booster, imbalance strategy, Platt calibration, threshold at
    ``cfg.target_fpr`` and reference statistics as the pipeline.

    Returns:
        (DistillGuardModel, dict of internal diagnostics).
    """
    data = train_df.reset_index(drop=True)
    y = data["label"].to_numpy().astype(int)
    names = feature_columns(data)
    categories = categorical_levels(data, names)
    X = prepare_frame(data, names, categories)
    folds, cal = internal_splits(data, run, cfg.seed)
    folds = [f for f in folds if is_usable(data, f, cfg.splits)]
    if folds:
        params = tune(X, y, folds, cfg, study_name=None).best_params
    else:
        log.warning("%s: no usable internal vendor fold; lightgbm.defaults, untuned", name)
        params = dict(cfg.lightgbm.defaults)
    booster = train_booster(X, y, cal.train, params, cfg, cfg.seed)
    cal_margin = np.asarray(booster.predict(X.iloc[cal.test], raw_score=True))
    y_cal = y[cal.test]
    calibrator = platt(cal_margin, y_cal)
    margin_thr = threshold_at_fpr(cal_margin[y_cal == 0], cfg.target_fpr)
    reference = build_reference(
        X.iloc[cal.train],
        y[cal.train],
        data["campaign_id"].iloc[cal.train],
        categories,
        cfg.reference,
    )
    neg = cal_margin[y_cal == 0]
    meta = {
        "margin_thresholds_at_fpr": {f: threshold_at_fpr(neg, f) for f in run.sensitivity_fprs},
        "target_fpr": cfg.target_fpr,
        "params": {k: (v if isinstance(v, str) else float(v)) for k, v in params.items()},
        "internal_folds": [f.name for f in folds],
        "n_train": len(cal.train),
        "n_calibration": len(cal.test),
        "n_calibration_negative": int((y_cal == 0).sum()),
        "trained_at": datetime.now().astimezone().isoformat(timespec="seconds"),
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
    return model


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


def with_constant_created_at(inputs, ts: datetime):
    """A copy of `inputs` whose accounts all signed up at `ts` (no feature can see account age)."""
    import dataclasses

    import ibis

    lit = ibis.literal(pd.Timestamp(ts).tz_convert("UTC")).cast(inputs.accounts.created_at.type())
    return dataclasses.replace(inputs, accounts=inputs.accounts.mutate(created_at=lit))


def _differs(a: pd.Series, b: pd.Series) -> bool:
    if (
        isinstance(a.dtype, pd.CategoricalDtype)
        or a.dtype == object
        or pd.api.types.is_string_dtype(a)
    ):
        a, b = a.astype(str).where(a.notna(), None), b.astype(str).where(b.notna(), None)
        return not a.equals(b)
    x, z = (
        pd.to_numeric(a, errors="coerce").to_numpy(float),
        pd.to_numeric(b, errors="coerce").to_numpy(float),
    )
    return not np.allclose(x, z, equal_nan=True, rtol=1e-9, atol=1e-12)


def age_feature_columns(real: pd.DataFrame, neutral: pd.DataFrame) -> list[str]:
    """Feature columns whose values change when every `created_at` is the same constant."""
    r = real.set_index("account_id").sort_index()
    n = neutral.set_index("account_id").reindex(r.index)
    return [c for c in feature_columns(real) if c not in n.columns or _differs(r[c], n[c])]


def declared_age_columns(columns: list[str], created_at: str = "accounts.created_at") -> list[str]:
    """Feature columns the catalogue declares as reading `accounts.created_at` (account age).

    tests/external checks on real data that these are exactly the columns that change when
    every sign-up time is made equal (:func:`age_feature_columns`).
    """
    import re

    from features.catalogue import all_specs

    pats = [
        re.compile("^" + re.escape(s.name).replace(re.escape("{w}"), ".+") + "$")
        for s in all_specs()
        if created_at in s.needs
    ]
    return [c for c in columns if any(p.match(c) for p in pats)]


def excluded_columns(columns: list[str], patterns: dict[str, str]) -> dict[str, str]:
    """Columns matching an exclusion regex (config `excluded_features`) -> the reason."""
    import re

    out = {}
    for c in columns:
        for pat, reason in patterns.items():
            if re.search(pat, c):
                out[c] = reason
                break
    return out


def _labels_frame(inputs) -> pd.DataFrame:
    if inputs.labels is None:
        raise ValueError("external validation needs labels: the world has no labels.parquet")
    return inputs.labels.to_pyarrow().to_pandas()


def best_mcc(y: np.ndarray, scores: np.ndarray) -> float:
    """MCC at the best threshold on (y, scores): a diagnostic of ranking, never a result."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    y = np.asarray(y).astype(int)[order]
    s = np.asarray(scores, dtype=float)[order]
    last = np.r_[s[1:] != s[:-1], True]  # cut only between distinct scores
    tp, fp = np.cumsum(y)[last], np.cumsum(1 - y)[last]
    p, n = y.sum(), len(y) - y.sum()
    fn, tn = p - tp, n - fp
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        mcc = np.where(den > 0, (tp * tn - fp * fn) / den, 0.0)
    return float(mcc.max()) if len(mcc) else float("nan")


def _score_fold(model: DistillGuardModel, test: pd.DataFrame) -> dict[str, float]:
    from sklearn.metrics import f1_score, matthews_corrcoef, precision_score, recall_score

    from training.metrics import average_precision

    y = test["label"].to_numpy().astype(int)
    proba = model.predict_proba(test)
    flag = model.flag(test).astype(int)
    margin = model.margin(test)
    other = {
        f"mcc_at_val_fpr_{f:g}": float(matthews_corrcoef(y, (margin >= t).astype(int)))
        for f, t in model.metadata.get("margin_thresholds_at_fpr", {}).items()
    }
    return {
        **other,
        "precision": float(precision_score(y, flag, zero_division=0)),
        "recall": float(recall_score(y, flag, zero_division=0)),
        "f1": float(f1_score(y, flag, zero_division=0)),
        "mcc": float(matthews_corrcoef(y, flag)),
        "average_precision": average_precision(y, proba),
        "best_threshold_mcc": best_mcc(y, proba),
        "tp": int(((y == 1) & (flag == 1)).sum()),
        "fp": int(((y == 0) & (flag == 1)).sum()),
        "fn": int(((y == 1) & (flag == 0)).sum()),
        "tn": int(((y == 0) & (flag == 0)).sum()),
    }


def _shap_rows(model, test: pd.DataFrame, fs: str, vendor: str) -> pd.DataFrame:
    contrib = model.contributions(test)[:, :-1]
    y = test["label"].to_numpy().astype(int)
    X = model.prepare(test)
    rows = []
    for j, f in enumerate(model.feature_names):
        col = X[f]
        num = not isinstance(col.dtype, pd.CategoricalDtype)
        rows.append(
            {
                "feature_set": fs,
                "vendor": vendor,
                "feature": f,
                "mean_abs_shap": float(np.abs(contrib[:, j]).mean()),
                "mean_shap_fakes": float(contrib[y == 1, j].mean()) if (y == 1).any() else np.nan,
                "median_fakes": float(col[y == 1].median()) if num else np.nan,
                "median_humans": float(col[y == 0].median()) if num else np.nan,
            }
        )
    return pd.DataFrame(rows)


def run_external(world, cfg: ExternalConfig) -> ExternalResult:
    """Import-independent runner: features, leave-one-vendor-out folds, fits, metrics, SHAP.

    Args:
        world: world directory written by `distillguard import cresci2015` (any world
            whose labels carry the configured vendors as campaign_id works).
        cfg: the external config.
    """
    import time

    from distillguard.contract import load_world
    from features import build_features

    run, t0, seconds = cfg.run, time.perf_counter(), {}
    train_cfg = cfg.train_config()
    inputs = load_world(world)
    labels = _labels_frame(inputs)
    accounts = inputs.accounts.select("account_id", "created_at").to_pyarrow().to_pandas()
    seconds["load"] = time.perf_counter() - t0

    as_of = pd.Timestamp(run.as_of)
    real = build_features(inputs, as_of, window=run.window)
    seconds["features"] = time.perf_counter() - t0 - seconds["load"]
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

    folds = vendor_folds(meta, run.vendors, run.human_test_share, train_cfg.seed)
    metric_rows, shap_frames = [], []
    for fs in cfg.feature_sets:
        drop = [] if fs.account_age else [c for c in age_cols if c in frame.columns]
        data = frame.drop(columns=drop)
        if fs.population == "with_account_age":
            data = data[data["account_id"].isin(known_age)]
        for fold in folds:
            train = data[data["account_id"].isin(fold.train)]
            test = data[data["account_id"].isin(fold.test)]
            t1 = time.perf_counter()
            model = fit_static(train, train_cfg, run, f"{fs.name}/{fold.vendor}")
            held = meta[(meta["label"] == 1) & (meta["campaign_id"] == fold.vendor)]
            if fs.population == "with_account_age":
                held = held[held["account_id"].isin(known_age)]
            unscored = len(set(held["account_id"]) - set(test["account_id"]))
            m = _score_fold(model, test)
            metric_rows.append(
                {
                    "feature_set": fs.name,
                    "vendor": fold.vendor,
                    "n_train": len(train),
                    "n_train_fakes": int((train["label"] == 1).sum()),
                    "n_test_fakes": int((test["label"] == 1).sum()),
                    "n_test_humans": int((test["label"] == 0).sum()),
                    "vendor_not_scored": unscored,
                    "n_features": len(model.feature_names),
                    "threshold": model.threshold,
                    **m,
                    "recall_all_vendor_accounts": m["tp"] / max(len(held), 1),
                    "fit_seconds": time.perf_counter() - t1,
                }
            )
            shap_frames.append(_shap_rows(model, test, fs.name, fold.vendor))
            log.info(
                "%s / %s: MCC %.3f, AP %.3f", fs.name, fold.vendor, m["mcc"], m["average_precision"]
            )
    seconds["folds"] = time.perf_counter() - t0 - seconds["load"] - seconds["features"]
    return ExternalResult(
        pd.DataFrame(metric_rows),
        pd.concat(shap_frames, ignore_index=True),
        age_cols,
        excluded,
        population,
        seconds,
    )


def log_to_mlflow(res: ExternalResult, cfg: ExternalConfig, report: Path | None = None) -> str:
    """One MLflow run (experiment train.overrides.experiment) with every fold's metrics.

    Metric keys are ``<feature_set>/<vendor>/<metric>``; the report is attached as an
    artifact. Returns the run id.
    """
    import mlflow

    from distillguard import tracking

    train_cfg = cfg.train_config()
    exp = tracking.experiment(train_cfg.experiment)
    with mlflow.start_run(experiment_id=exp, run_name="cresci2015-leave-one-vendor-out") as run:
        mlflow.log_params(
            {
                "window": cfg.run.window,
                "as_of": cfg.run.as_of.isoformat(),
                "human_test_share": cfg.run.human_test_share,
                "target_fpr": train_cfg.target_fpr,
                "n_trials": train_cfg.tuning.n_trials,
                "age_features": ",".join(res.age_features),
                "excluded": ",".join(sorted(res.excluded)),
            }
        )
        keys = ["precision", "recall", "f1", "mcc", "average_precision", "best_threshold_mcc"]
        for row in res.metrics.to_dict("records"):
            mlflow.log_metrics({f"{row['feature_set']}/{row['vendor']}/{k}": row[k] for k in keys})
        if report is not None and Path(report).exists():
            mlflow.log_artifact(str(report))
        return run.info.run_id
