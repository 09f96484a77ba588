"""The evaluation's tables: recall at each FPR per fold and method, false positives per archetype.

Every figure at an FPR comes with what it rests on: the number of legitimate test
snapshots and accounts, the number of false positives that FPR allows on them
(``FP@x%``; 0 means "above the highest legitimate snapshot", not an estimate of x%), and a
Wilson 95% interval of the model's recall at the target FPR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.config import TrainConfig
from training.evaluation import FoldResult
from training.metrics import average_precision, recall_at_fpr

Z95 = 1.959964


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (NaN, NaN when n is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(max(0.0, mid - half)), float(min(1.0, mid + half))


def _pct(fpr: float) -> str:
    return f"{fpr * 100:g}%"


def method_table(folds: list[FoldResult], cfg: TrainConfig, by_campaign: bool) -> pd.DataFrame:
    """Recall at each FPR (threshold set on the fold's legitimate test rows) and AP per method.

    One row per (fold, campaign) when `by_campaign`, else per fold. ``model_at_threshold``
    is the deployed model's recall at its own trained threshold, ``fpr_at_threshold`` and
    ``fp_at_threshold`` the false-positive rate and count that threshold gives on the fold's
    legitimate rows.
    """
    rows = []
    target = _pct(cfg.target_fpr)
    for f in folds:
        t = f.test
        neg = t[t["y"] == 0]
        groups = (
            t[t["y"] == 1].groupby("campaign_eval") if by_campaign else [("all", t[t["y"] == 1])]
        )
        for camp, pos in groups:
            seen = (getattr(f.model, "metadata", None) or {}).get("campaigns_trained")
            row = {
                "fold": f.split.name,
                "campaign": camp,
                **({"seen in training": camp in seen} if by_campaign and seen is not None else {}),
                "positives": len(pos),
                "positive accounts": pos["account_id"].nunique(),
                "legit": len(neg),
                "legit accounts": neg["account_id"].nunique(),
            }
            for fpr in cfg.evaluation.fprs:
                row[f"FP@{_pct(fpr)}"] = int(np.floor(fpr * len(neg)))
            yy = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
            for m in f.methods:
                s = np.r_[pos[m].to_numpy(), neg[m].to_numpy()]
                for fpr in cfg.evaluation.fprs:
                    row[f"{m} R@{_pct(fpr)}"] = recall_at_fpr(yy, s, fpr)
                row[f"{m} AP"] = average_precision(yy, s)
                if m == "model":
                    r = row[f"model R@{target}"]
                    lo, hi = wilson(int(round(r * len(pos))), len(pos)) if r == r else (r, r)
                    row[f"model R@{target} 95% CI"] = f"{lo:.3f}-{hi:.3f}"
            row["model_at_threshold"] = float(pos["model_flag"].mean()) if len(pos) else np.nan
            row["fpr_at_threshold"] = float(neg["model_flag"].mean()) if len(neg) else np.nan
            row["fp_at_threshold"] = int(neg["model_flag"].sum())
            rows.append(row)
    return pd.DataFrame(rows)


def archetype_table(folds: list[FoldResult]) -> pd.DataFrame:
    """False positives per legitimate archetype at each fold model's trained threshold.

    The folds share one legitimate test side (the same organisations), scored by each fold's
    model: ``snapshots`` and ``accounts`` count it once; ``fpr`` is the mean over fold models
    (flags / (snapshots x folds)), ``fpr_worst_fold`` the highest; ``fpr_95_upper`` the
    Wilson upper bound of the mean rate on the distinct snapshots (snapshots of one account
    are not independent, so it is optimistic); ``accounts_ever_flagged`` by any fold's model.
    """
    if not folds:
        return pd.DataFrame()
    parts = [f.test[f.test["y"] == 0].assign(fold=f.split.name) for f in folds]
    neg = pd.concat(parts, ignore_index=True)
    if neg.empty:
        return pd.DataFrame()
    rows = []
    for arch, g in neg.groupby("archetype"):
        snaps = g[["account_id", "as_of"]].drop_duplicates()
        per_fold = g.groupby("fold")["model_flag"].mean()
        flags, n, folds_n = int(g["model_flag"].sum()), len(g), g["fold"].nunique()
        ever = g.groupby("account_id")["model_flag"].any()
        rows.append(
            {
                "archetype": arch,
                "snapshots": len(snaps),
                "accounts": g["account_id"].nunique(),
                "folds": g["fold"].nunique(),
                "flags_all_folds": flags,
                "fpr": flags / n,
                "fpr_worst_fold": float(per_fold.max()),
                "fpr_95_upper": wilson(round(flags / folds_n), len(snaps))[1],
                "accounts_ever_flagged": int(ever.sum()),
            }
        )
    return pd.DataFrame(rows).sort_values("fpr", ascending=False).reset_index(drop=True)
