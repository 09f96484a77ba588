"""SHAP plots of a scoring run: one waterfall per top flag, a beeswarm of the flagged set.

Both show contributions to the raw margin (log-odds), before calibration; the titles say so.
"""

from __future__ import annotations

import logging
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


def waterfall_png(
    contrib_row: np.ndarray,
    values: pd.Series,
    feature_names: list[str],
    title: str,
    path: Path,
    max_display: int,
) -> Path:
    """One account's SHAP waterfall (margin units) saved as PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    data = np.array(
        [v if isinstance(v, (int, float, np.number)) else str(v) for v in values], dtype=object
    )
    expl = shap.Explanation(
        values=np.asarray(contrib_row[:-1], dtype=float),
        base_values=float(contrib_row[-1]),
        data=data,
        feature_names=feature_names,
    )
    shap.plots.waterfall(expl, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90, bbox_inches="tight")
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
    shap.plots.beeswarm(expl, max_display=20, show=False)
    fig = plt.gcf()
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path
