"""SHAP plots of a scoring run: one waterfall per top flag, a beeswarm of the flagged set.

Both show contributions to the raw margin (log-odds), before calibration; the titles say so.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def _numeric_view(X: pd.DataFrame) -> np.ndarray:
    """Feature values as floats for colouring (categoricals become NaN: drawn grey)."""
    cols = []
    for c in X.columns:
        s = X[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
            cols.append(np.full(len(s), np.nan))
        else:
            cols.append(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float))
    return np.column_stack(cols) if cols else np.zeros((len(X), 0))


def _label(name: str, value: object) -> str:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        v = float(value)
        text = "missing" if np.isnan(v) else f"{v:.3g}"
    else:
        text = "missing" if value is None else str(value)
    return f"{name} = {text}"


def waterfall_png(
    contrib_row: np.ndarray,
    values: pd.Series,
    feature_names: list[str],
    title: str,
    path: Path,
    max_display: int,
) -> Path:
    """One account's SHAP waterfall (margin units) saved as PNG at `path`.

    Bars run from the expected margin (the base value) through the `max_display - 1` largest
    contributions and the sum of the rest to the account's margin; red pushes towards the flag.
    Drawn with matplotlib directly (shap's waterfall is ~10x slower for the same picture).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phi = np.asarray(contrib_row[:-1], dtype=float)
    base = float(contrib_row[-1])
    order = np.argsort(-np.abs(phi))[: max_display - 1]
    rest = phi.sum() - phi[order].sum()
    labels = [_label(feature_names[j], values.iloc[j]) for j in order]
    steps = list(phi[order])
    if len(phi) > len(order):
        labels.append(f"{len(phi) - len(order)} other features")
        steps.append(rest)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(steps) + 1.6))
    left = base
    for i, step in enumerate(steps):
        y = len(steps) - 1 - i
        ax.barh(y, step, left=left, color="#d62728" if step > 0 else "#1f77b4", height=0.6)
        ax.text(
            left + step,
            y,
            f" {step:+.2f} ",
            va="center",
            ha="left" if step > 0 else "right",
            fontsize=8,
        )
        left += step
    ax.margins(x=0.12)
    ax.set_yticks(range(len(steps)))
    ax.set_yticklabels(labels[::-1], fontsize=8)
    ax.axvline(base, color="grey", lw=0.8, ls="--")
    ax.axvline(left, color="black", lw=0.8)
    ax.set_xlabel(f"raw margin (log-odds): base {base:.2f} -> {left:.2f}; before calibration")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def beeswarm_png(contrib: np.ndarray, X: pd.DataFrame, title: str, path: Path) -> Path:
    """Beeswarm of the flagged accounts' SHAP values (margin units) saved as PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    expl = shap.Explanation(
        values=np.asarray(contrib[:, :-1], dtype=float),
        base_values=np.asarray(contrib[:, -1], dtype=float),
        data=_numeric_view(X),
        feature_names=list(X.columns),
    )
    with warnings.catch_warnings():  # all-missing features (e.g. no org) warn inside shap
        warnings.simplefilter("ignore", RuntimeWarning)
        shap.plots.beeswarm(expl, max_display=20, show=False)
    fig = plt.gcf()
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path
