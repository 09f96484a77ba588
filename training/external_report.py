"""docs/external-validation.md: the measured part, regenerated between two markers.

The hand-written part of the page (the mapping, the leakage decisions, the reading of
the SHAP reasons) stays as it is; only the text between BEGIN and END is replaced.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import pandas as pd

from training.external import ExternalConfig, ExternalResult

log = logging.getLogger(__name__)

BEGIN = "<!-- BEGIN GENERATED: distillguard external -->"
END = "<!-- END GENERATED: distillguard external -->"


def _fmt(x, digits: int = 3) -> str:
    if isinstance(x, float):
        return "n/a" if pd.isna(x) else f"{x:.{digits}f}"
    return str(x)


def _table(df: pd.DataFrame, digits: int = 3) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v, digits) for v in row) + " |")
    return "\n".join(lines)


def _pct(rate: float) -> str:
    return "n/a" if pd.isna(rate) else f"{100 * rate:.2f}%"


def _metrics_table(res: ExternalResult, cfg: ExternalConfig) -> str:
    titles = {fs.name: fs.title for fs in cfg.feature_sets}
    m = res.metrics.copy()
    m["threshold_rate"] = m["threshold_rate"].map(_pct)
    m["test_fpr"] = (m["fp"] / m["n_test_humans"].clip(lower=1)).map(_pct)
    m["feature set"] = m["feature_set"].map(titles)
    cols = {
        "feature set": "feature set",
        "vendor": "held-out vendor",
        "n_test_fakes": "test fakes",
        "n_test_humans": "test humans",
        "vendor_not_scored": "vendor accounts in the population not scored (no tweet)",
        "precision": "precision",
        "recall": "recall",
        "f1": "F1",
        "mcc": "MCC",
        "average_precision": "AP",
        "fp": "FP",
        "fn": "FN",
        "threshold": "threshold (p)",
        "threshold_rate": "human FPR the threshold is set at (training side)",
        "test_fpr": "human FPR on the test side",
        "recall_all_vendor_accounts": "recall, counting unscored as missed",
        "best_threshold_mcc": "MCC at the test-best threshold (diagnostic only)",
    }
    return _table(m[list(cols)].rename(columns=cols))


def _sensitivity_table(res: ExternalResult, cfg: ExternalConfig) -> str:
    titles = {fs.name: fs.title for fs in cfg.feature_sets}
    cols = [c for c in res.metrics.columns if c.startswith("mcc_at_val_fpr_")]
    first = ["feature_set", "vendor", "threshold_rate", "threshold_oof_criterion", "mcc"]
    m = res.metrics[[*first, *cols, "best_threshold_mcc"]].copy()
    m["threshold_rate"] = m["threshold_rate"].map(_pct)
    m["feature_set"] = m["feature_set"].map(titles)
    target = cfg.train_config().target_fpr
    names = {}
    for c in cols:
        rate = float(c.rsplit("_", 1)[1])
        rule = " (target_fpr, the product's rule)" if rate == target else ""
        names[c] = f"MCC, threshold at {rate:g} calibration-human FPR{rule}"
    names.update(
        feature_set="feature set",
        vendor="held-out vendor",
        threshold_rate="human FPR chosen",
        threshold_oof_criterion=f"pooled inner-fold {cfg.threshold.criterion} at that rate",
        mcc=f"MCC, policy {cfg.threshold.policy} (the result)",
        best_threshold_mcc="MCC at the test-best threshold (diagnostic)",
    )
    return _table(m.rename(columns=names))


def _summary(res: ExternalResult, cfg: ExternalConfig) -> str:
    lines = []
    for fs in cfg.feature_sets:
        part = res.metrics[res.metrics["feature_set"] == fs.name]
        lines.append(
            f"- **{fs.title}**: MCC {_fmt(part['mcc'].min())} (worst vendor) to "
            f"{_fmt(part['mcc'].max())}; mean {_fmt(part['mcc'].mean())}; "
            f"AP {_fmt(part['average_precision'].min())} to "
            f"{_fmt(part['average_precision'].max())}."
        )
    age = [fs for fs in cfg.feature_sets if fs.account_age]
    for fs in age:
        worst = res.metrics.loc[res.metrics["feature_set"] == fs.name, "mcc"].min()
        verdict = "met" if worst >= cfg.run.target_mcc else "NOT met"
        lines.append(
            f"- Target (MCC >= {cfg.run.target_mcc} on every held-out vendor, {fs.title}): "
            f"**{verdict}** "
            f"(worst {_fmt(worst)})."
        )
    return "\n".join(lines)


def _shap_table(res: ExternalResult, cfg: ExternalConfig, fs_name: str) -> str:
    s = res.shap[res.shap["feature_set"] == fs_name]
    agg = (
        s.groupby("feature")
        .agg(
            mean_abs_shap=("mean_abs_shap", "mean"),
            mean_shap_fakes=("mean_shap_fakes", "mean"),
            median_fakes=("median_fakes", "median"),
            median_humans=("median_humans", "median"),
        )
        .sort_values("mean_abs_shap", ascending=False)
        .head(cfg.run.shap_top)
        .reset_index()
    )
    agg["pushes fakes toward"] = [
        "fake" if v > 0 else "human" for v in agg["mean_shap_fakes"].fillna(0)
    ]
    agg = agg.rename(
        columns={
            "mean_abs_shap": "mean abs SHAP (test, 3 folds)",
            "mean_shap_fakes": "mean SHAP on test fakes",
            "median_fakes": "median, test fakes",
            "median_humans": "median, test humans",
        }
    )
    return _table(agg)


def render(res: ExternalResult, cfg: ExternalConfig, command: str, manifest: dict | None) -> str:
    """The generated section of docs/external-validation.md (markdown)."""
    p = res.population
    published = pd.DataFrame(
        [
            {"method": x.method, "protocol": x.protocol, "MCC": x.mcc, "F1": x.f1}
            for x in cfg.published
        ]
    )
    excluded = "\n".join(f"- `{c}`: {r}" for c, r in sorted(res.excluded.items())) or "- none"
    age = ", ".join(f"`{c}`" for c in res.age_features) or "none"
    parts = [
        BEGIN,
        "## Measured (generated by `distillguard external`; do not edit by hand)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {platform.system()}, train.lightgbm.num_threads = "
        f"{cfg.train_config().lightgbm.num_threads}; seed {cfg.train_config().seed}; "
        f"{cfg.train_config().tuning.n_trials} Optuna trials per fit; stage seconds: "
        + ", ".join(f"{k} {v:.0f}" for k, v in res.seconds.items())
        + ".  ",
        f"Data: {manifest.get('start', '?')} to {manifest.get('end', '?')}; "
        f"features as of {cfg.run.as_of.isoformat()} over window {cfg.run.window}."
        if manifest
        else "",
        "",
        f"Accounts: {p['accounts']:,}; with a feature row (>= 1 tweet): {p['with_feature_row']:,}; "
        f"without (never scored, counted as missed where the table says so): "
        f"{p['without_feature_row']:,}; without a known sign-up time (excluded from the "
        f"'account age' rows): {p['without_account_age']:,}.",
        "",
        "### Leave one vendor out, at the threshold chosen on the training side",
        "",
        f"Threshold policy `{cfg.threshold.policy}` (configs/cresci2015.yaml `threshold`; "
        f"criterion {cfg.threshold.criterion}, max_fpr {cfg.threshold.max_fpr:g}, "
        f"balance_classes {cfg.threshold.balance_classes}): the human false-positive rate "
        "is chosen on the training side, then the final model flags that share of its "
        "calibration humans.",
        "",
        _metrics_table(res, cfg),
        "",
        _summary(res, cfg),
        "",
        "### Operating point: MCC at other thresholds, all chosen on the calibration humans",
        "",
        "Declared before they were measured (`train.overrides.target_fpr`, "
        "`run.sensitivity_fprs`); the first MCC column is the result, the others are fixed "
        "rates on the calibration humans, and the last one (threshold picked on the test set) "
        "only shows how much is ranking and how much is where the threshold lands.",
        "",
        _sensitivity_table(res, cfg),
        "",
        "### Published figures on the same accounts (dataset README)",
        "",
        _table(published),
        "",
        "Their protocol (10-fold cross-validation on a balanced 1,950 + 1,950 set, every vendor "
        "in every training fold, profile and follower-graph features) is easier than leaving a "
        "whole vendor out and scoring on behaviour.",
        "",
        "### Feature columns",
        "",
        f"Account-age features (change when every sign-up time is made equal): {age}.",
        "",
        "Excluded from every set:",
        excluded,
        "",
    ]
    for fs in cfg.feature_sets:
        parts += [
            f"### What separates the fakes: {fs.title} (top {cfg.run.shap_top} by mean |SHAP|)",
            "",
        ]
        parts += [_shap_table(res, cfg, fs.name), ""]
    parts.append(END)
    return "\n".join(x for x in parts if x is not None)


def write_report(path: str | Path, generated: str) -> Path:
    """Replace the generated section of `path` (append it if the page has no markers)."""
    path = Path(path)
    text = path.read_text() if path.exists() else "# External validation\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + generated + tail
    else:
        text = text.rstrip("\n") + "\n\n" + generated + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    log.info("wrote %s", path)
    return path
