"""Per-fold test metrics and SHAP rows: what the report tabulates.

Everything here reads the held-out side after the model is fixed; nothing chooses anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.detector import DistillGuardModel


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


def score_fold(model: DistillGuardModel, test: pd.DataFrame) -> dict[str, float]:
    """Test-side metrics at the model's threshold, plus MCC at each rate in metadata.

    Args:
        model: a fitted model; metadata ``margin_thresholds_at_fpr`` (rate -> margin
            threshold, all set on the calibration humans) adds ``mcc_at_val_fpr_<rate>``.
        test: the held-out side (label, features).
    """
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


def shap_rows(model, test: pd.DataFrame, fs: str, vendor: str) -> pd.DataFrame:
    """Per feature: mean |SHAP| on the test side, mean SHAP on test fakes, medians per class."""
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
