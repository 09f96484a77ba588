"""SHAP reasons for flagged accounts: TreeSHAP on the raw margin, top contributions as sentences.

Contributions come from ``DistillGuardModel.contributions`` (LightGBM's own ``pred_contrib``,
TreeSHAP; shap's TreeExplainer gives the same values and measured slower here, see
docs/benchmarks.md "Scoring"). They explain the raw margin (log-odds), before the Platt
calibration that turns it into the score: the calibration is monotone, so the order of reasons
is the order of their effect on the score.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.reasons import format_value, parse_feature_name, sentence, value_kind

REASON_FIELDS = ("feature", "value", "shap", "text")


def reason_columns(top: int) -> list[str]:
    """Flat output columns: reason_1_feature, reason_1_value, reason_1_shap, reason_1_text, ..."""
    return [f"reason_{i}_{f}" for i in range(1, top + 1) for f in REASON_FIELDS]


def feature_reference(reference: Mapping | None) -> dict[str, Mapping]:
    """Per-feature reference statistics from a model's ``reference`` (nested or flat layout)."""
    if not isinstance(reference, Mapping):
        return {}
    nested = reference.get("features")
    if isinstance(nested, Mapping):
        return {k: v for k, v in nested.items() if isinstance(v, Mapping)}
    skip = {"campaign_centroids", "campaigns", "centroids", "meta"}
    return {k: v for k, v in reference.items() if k not in skip and isinstance(v, Mapping)}


def top_reasons(
    contributions: np.ndarray,
    values: pd.DataFrame,
    feature_names: list[str],
    reference: Mapping[str, Mapping],
    *,
    top: int,
    min_contribution: float,
) -> pd.DataFrame:
    """The `top` features pushing each row's margin up, with value, contribution and sentence.

    Args:
        contributions: (n, n_features + 1) SHAP values on the margin; last column the base value.
        values: the same n rows' feature values (raw, as built), columns include feature_names.
        feature_names: names of the contribution columns, in order.
        reference: feature -> reference statistics for the comparison in the sentence.
        top: reasons per row.
        min_contribution: a reason's contribution must exceed this (margin units).

    Returns:
        DataFrame indexed like `values` with :func:`reason_columns` (empty slots are null).
    """
    n = len(values)
    phi = np.asarray(contributions, dtype=float)[:, : len(feature_names)]
    k = min(top, len(feature_names))
    order = np.argsort(-phi, axis=1, kind="stable")[:, :k]
    out: dict[str, list] = {c: [None] * n for c in reason_columns(top)}
    raw = values[feature_names]
    cols = [raw.iloc[:, j].tolist() for j in range(len(feature_names))]
    kinds = [value_kind(parse_feature_name(f)) for f in feature_names]
    for i in range(n):
        for slot, j in enumerate(order[i], start=1):
            c = float(phi[i, j])
            if not c > min_contribution:
                break
            name, v = feature_names[j], cols[j][i]
            out[f"reason_{slot}_feature"][i] = name
            out[f"reason_{slot}_value"][i] = format_value(v, kinds[j])
            out[f"reason_{slot}_shap"][i] = c
            out[f"reason_{slot}_text"][i] = sentence(name, v, reference.get(name))
    df = pd.DataFrame(out, index=values.index)
    for i in range(1, top + 1):
        df[f"reason_{i}_shap"] = df[f"reason_{i}_shap"].astype("float64")
        for f in ("feature", "value", "text"):
            df[f"reason_{i}_{f}"] = df[f"reason_{i}_{f}"].astype("object")
    return df
