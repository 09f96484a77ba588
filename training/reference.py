"""Reference statistics stored with the model, from the final booster's training side.

Format of ``DistillGuardModel.reference`` (a plain, JSON-serialisable dict)::

    {
      "n_legit": int,                      # legitimate snapshots summarised
      "features": {
        name: {                            # numeric feature
          "kind": "numeric", "median": float | None, "q25": ..., "q75": ...,
          "bin_edges": [e1, ..., ek],      # interior edges; bin i = searchsorted(edges, v, "right")
          "proportions": [p0, ..., pk],    # share of non-missing legit values per bin
          "missing_share": float,
        },
        name: {                            # categorical feature
          "kind": "categorical", "proportions": {level: share}, "other_share": float,
          "missing_share": float,
        },
      },
      "campaign_centroids": {campaign_id: {numeric feature: median over its snapshots}},
    }

Population stability (PSI) for a scored batch: bin its values with the same edges,
compare proportions (missing share as one more bin).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from training.config import ReferenceConfig


def _numeric(s: pd.Series, n_bins: int) -> dict[str, Any]:
    v = s.dropna().to_numpy(dtype=float)
    missing = float(s.isna().mean()) if len(s) else 0.0
    if len(v) == 0:
        return {
            "kind": "numeric",
            "median": None,
            "q25": None,
            "q75": None,
            "bin_edges": [],
            "proportions": [1.0],
            "missing_share": missing,
        }
    edges = np.unique(np.quantile(v, np.linspace(0, 1, n_bins + 1)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1)
    return {
        "kind": "numeric",
        "median": float(np.median(v)),
        "q25": float(np.quantile(v, 0.25)),
        "q75": float(np.quantile(v, 0.75)),
        "bin_edges": [float(e) for e in edges],
        "proportions": [float(c) for c in counts / counts.sum()],
        "missing_share": missing,
    }


def _categorical(s: pd.Series, max_levels: int) -> dict[str, Any]:
    shares = s.astype(object).dropna().astype(str).value_counts(normalize=True)
    top = shares.head(max_levels)
    return {
        "kind": "categorical",
        "proportions": {str(k): float(v) for k, v in top.items()},
        "other_share": float(shares.iloc[max_levels:].sum()),
        "missing_share": float(s.isna().mean()) if len(s) else 0.0,
    }


def build_reference(
    X: pd.DataFrame,
    y: np.ndarray,
    campaign: pd.Series,
    categories: dict[str, list[str]],
    cfg: ReferenceConfig,
) -> dict[str, Any]:
    """Summaries of legitimate rows of the prepared frame `X` plus campaign centroids.

    Args:
        X: prepared feature frame of the final model's training side.
        y: labels aligned with X.
        campaign: campaign_id aligned with X.
        categories: categorical feature levels.
        cfg: number of bins and of categorical levels kept.
    """
    y = np.asarray(y)
    legit = X[y == 0]
    feats = {}
    for c in X.columns:
        feats[c] = (
            _categorical(legit[c], cfg.max_levels)
            if c in categories
            else _numeric(legit[c], cfg.n_bins)
        )
    numeric = [c for c in X.columns if c not in categories]
    pos = X.loc[y == 1, numeric]
    centroids = {}
    if len(pos):
        camp = campaign.to_numpy()[y == 1].astype(str)
        med = pos.groupby(camp).median()
        centroids = {
            str(k): {c: (None if pd.isna(v) else float(v)) for c, v in row.items()}
            for k, row in med.iterrows()
        }
    return {"n_legit": int(len(legit)), "features": feats, "campaign_centroids": centroids}
