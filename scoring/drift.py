"""Feature drift: population stability index (PSI) of a scored batch against the training reference.

PSI = sum over bins of (batch share - reference share) * ln(batch share / reference share), with
the reference's own bins (quantile edges of legitimate training accounts, from
``DistillGuardModel.reference``) plus a bin for missing values. Above ~0.25 the population has
moved enough that scores and thresholds should be rechecked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def _shares(counts: np.ndarray, eps: float) -> np.ndarray:
    total = counts.sum()
    p = counts / total if total else np.zeros_like(counts, dtype=float)
    return np.clip(p, eps, None)


def psi(expected: np.ndarray, actual: np.ndarray, eps: float) -> float:
    """PSI of two vectors of bin shares (or counts), each floored at `eps`."""
    e = _shares(np.asarray(expected, dtype=float), eps)
    a = _shares(np.asarray(actual, dtype=float), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def _numeric_bins(values: pd.Series, ref: Mapping) -> tuple[np.ndarray, np.ndarray] | None:
    edges = ref.get("bin_edges", ref.get("edges"))
    props = ref.get("proportions", ref.get("props"))
    if edges is None or props is None or isinstance(props, Mapping):
        return None
    edges = np.asarray(edges, dtype=float)
    props = np.asarray(props, dtype=float)
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    present = x[~np.isnan(x)]
    if props.size == edges.size + 1:  # open-ended outer bins
        idx = np.searchsorted(edges, present, side="right")
        counts = np.bincount(idx, minlength=props.size)
    elif props.size == edges.size - 1:  # closed bins; values outside fall in the end bins
        inner = edges[1:-1]
        idx = np.searchsorted(inner, present, side="right")
        counts = np.bincount(idx, minlength=props.size)
    else:
        return None
    missing_ref = float(ref.get("missing_share", ref.get("missing", 0.0)) or 0.0)
    n = x.size
    expected = np.append(props * (1 - missing_ref) / max(props.sum(), 1e-12), missing_ref)
    actual = np.append(counts, n - present.size) / max(n, 1)
    return expected, actual


def _categorical_bins(values: pd.Series, ref: Mapping) -> tuple[np.ndarray, np.ndarray] | None:
    cats = ref.get("proportions", ref.get("categories"))
    if not isinstance(cats, Mapping) or not cats:
        return None
    names = [str(c) for c in cats]
    missing_ref = float(ref.get("missing_share", 0.0) or 0.0)
    present = np.array([float(cats[c]) for c in cats] + [float(ref.get("other_share", 0.0) or 0)])
    present = present / max(present.sum(), 1e-12)
    expected = np.append(present * (1 - missing_ref), missing_ref)
    text = values.astype("object").where(values.notna())
    counts = text.dropna().astype(str).value_counts()
    known = np.array([counts.get(c, 0) for c in names], dtype=float)
    n_present = float(counts.sum())
    actual = np.append(known, [n_present - known.sum(), len(values) - n_present])
    return expected, actual / max(len(values), 1)


def feature_drift(
    features: pd.DataFrame, reference: Mapping[str, Mapping], eps: float
) -> pd.Series:
    """PSI per feature of `features` against `reference` (feature -> reference statistics).

    Features without usable reference bins are skipped (and logged at debug level).

    Returns:
        A Series feature -> PSI, sorted descending.
    """
    out: dict[str, float] = {}
    for name, ref in reference.items():
        if name not in features.columns or not isinstance(ref, Mapping):
            continue
        col = features[name]
        categorical = ref.get("kind") == "categorical" or isinstance(col.dtype, pd.CategoricalDtype)
        numeric = pd.api.types.is_numeric_dtype(col) and not categorical
        bins = _numeric_bins(col, ref) if numeric else _categorical_bins(col, ref)
        if bins is None:
            log.debug("drift: no reference bins for %s", name)
            continue
        out[name] = psi(*bins, eps=eps)
    return pd.Series(out, dtype=float).sort_values(ascending=False)


def drifted(psi_by_feature: pd.Series, warn: float) -> pd.Series:
    """The features whose PSI exceeds `warn`, logged as a warning."""
    over = psi_by_feature[psi_by_feature > warn]
    if len(over):
        top = ", ".join(f"{k} {v:.2f}" for k, v in over.head(10).items())
        log.warning("drift: %d feature(s) with PSI above %.2f: %s", len(over), warn, top)
    return over
