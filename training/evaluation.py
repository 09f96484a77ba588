"""The honest evaluation: held-out campaigns and forward in time, model vs baselines.

Each fold re-runs the whole of fit() (its own Optuna study, calibration and threshold)
on the fold's training side only, so nothing about the held-out campaign or the future
reaches the model, not even through hyperparameters. Baselines are fit and scored on
exactly the same rows.

Test labels: where the world ships ground truth (DIR/truth.parquet, not part of the
contract) the test side is labelled by it, including accounts nobody reviewed; the
training side only ever sees the contract's labels. Without truth, test sides hold
reviewed accounts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.detector import DistillGuardModel
from training.baselines import baseline_scores
from training.config import TrainConfig
from training.metrics import average_precision, recall_at_fpr
from training.pipeline import fit, label_frame
from training.splits import Split, forward_folds, holdout_campaign_folds

log = logging.getLogger(__name__)

OUTER_SALT = 7919


@dataclass
class FoldResult:
    """One evaluation fold: its test rows with every method's score, and the fold model."""

    kind: str  # "held-out campaign" or "forward"
    split: Split
    test: pd.DataFrame  # account_id, as_of, first_seen, y, campaign, archetype, scores...
    model: DistillGuardModel
    methods: list[str] = field(default_factory=list)


def attach_truth(data: pd.DataFrame, truth_path: Path | None) -> tuple[pd.DataFrame, bool]:
    """Add ``y_eval``, ``campaign_eval``, ``archetype`` for test-side labelling.

    With truth: from DIR/truth.parquet. Without: the reviewed labels (presumed rows get
    y_eval NaN and never reach a test side).
    """
    d = data.copy()
    if truth_path is not None and Path(truth_path).exists():
        t = pd.read_parquet(truth_path, columns=["account_id", "archetype", "campaign_id"])
        t = t.drop_duplicates("account_id").set_index("account_id")
        camp = d["account_id"].map(t["campaign_id"])
        d["campaign_eval"] = camp.astype(object)
        d["y_eval"] = camp.notna().astype(float)
        d["archetype"] = d["account_id"].map(t["archetype"]).astype(object)
        unknown = d["archetype"].isna()
        d.loc[unknown, "y_eval"] = np.where(
            d.loc[unknown, "presumed"], np.nan, d.loc[unknown, "label"]
        )
        d.loc[unknown, "archetype"] = "unknown"
        return d, True
    d["y_eval"] = np.where(d["presumed"], np.nan, d["label"])
    d["campaign_eval"] = d["campaign_id"].astype(object)
    d["archetype"] = np.where(d["label"] == 1, "campaign", "reviewed legitimate")
    return d, False


def _test_rows(d: pd.DataFrame, split: Split) -> pd.DataFrame:
    """Test rows of `split` with a defined evaluation label; for held-out campaign folds only
    legitimate rows and the held-out campaign's members (other campaigns are on neither side)."""
    te = d.iloc[split.test]
    te = te[te["y_eval"].notna()]
    if split.held_out_campaigns:
        keep = (te["y_eval"] == 0) | te["campaign_eval"].isin(split.held_out_campaigns)
        te = te[keep]
    return te


def run_fold(
    d: pd.DataFrame, split: Split, kind: str, cfg: TrainConfig, feature_names: list[str]
) -> FoldResult:
    """Fit the model (nested tuning) and the baselines on `split.train`; score its test rows."""
    train = d.iloc[split.train]
    train_df = train.drop(columns=["y_eval", "campaign_eval", "archetype"])
    model = fit(
        train_df,
        cfg,
        n_trials=cfg.evaluation.n_trials,
        timeout_s=cfg.evaluation.timeout_s,
        metadata={"evaluation_fold": split.name},
    )
    te = _test_rows(d, split)
    out = te[["account_id", "as_of", "first_seen", "campaign_eval", "archetype", "presumed"]].copy()
    out["y"] = te["y_eval"].to_numpy().astype(int)
    out["model"] = model.margin(te)
    out["model_flag"] = out["model"] >= model.margin_threshold
    base = baseline_scores(
        model.prepare(train),
        train["label"].to_numpy(),
        model.prepare(te),
        cfg.evaluation.baselines,
        cfg.seed,
    )
    for k, v in base.items():
        out[k] = v
    log.info(
        "%s: %d test rows (%d positive), model recall at threshold %.3f",
        split.name,
        len(out),
        int(out["y"].sum()),
        out.loc[out["y"] == 1, "model_flag"].mean() if out["y"].any() else float("nan"),
    )
    return FoldResult(kind, split, out, model, ["model", *base])


def method_table(folds: list[FoldResult], cfg: TrainConfig, by_campaign: bool) -> pd.DataFrame:
    """Recall at each FPR (threshold set on the fold's legitimate test rows) and AP per method.

    One row per (fold, campaign) when `by_campaign`, else per fold. ``model_at_threshold``
    is the deployed model's recall at its own trained threshold, and ``fpr_at_threshold``
    the false-positive rate that threshold gives on the fold's legitimate rows.
    """
    rows = []
    for f in folds:
        t = f.test
        neg = t[t["y"] == 0]
        groups = (
            t[t["y"] == 1].groupby("campaign_eval") if by_campaign else [("all", t[t["y"] == 1])]
        )
        for camp, pos in groups:
            row = {
                "fold": f.split.name,
                "campaign": camp,
                "positives": len(pos),
                "legit": len(neg),
            }
            yy = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
            for m in f.methods:
                s = np.r_[pos[m].to_numpy(), neg[m].to_numpy()]
                for fpr in cfg.evaluation.fprs:
                    row[f"{m} R@{fpr * 100:g}%"] = recall_at_fpr(yy, s, fpr)
                row[f"{m} AP"] = average_precision(yy, s)
            row["model_at_threshold"] = float(pos["model_flag"].mean()) if len(pos) else np.nan
            row["fpr_at_threshold"] = float(neg["model_flag"].mean()) if len(neg) else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def archetype_table(folds: list[FoldResult]) -> pd.DataFrame:
    """False positives per legitimate archetype at each fold model's trained threshold."""
    if not folds:
        return pd.DataFrame()
    neg = pd.concat([f.test[f.test["y"] == 0] for f in folds], ignore_index=True)
    if neg.empty:
        return pd.DataFrame()
    g = neg.groupby("archetype")
    acct = neg.groupby(["archetype", "account_id"])["model_flag"].any().groupby("archetype")
    return (
        pd.DataFrame(
            {
                "snapshots": g.size(),
                "flagged": g["model_flag"].sum().astype(int),
                "fpr": g["model_flag"].mean(),
                "accounts": acct.size(),
                "accounts_ever_flagged": acct.sum().astype(int),
            }
        )
        .reset_index()
        .sort_values("fpr", ascending=False)
    )


def run_evaluation(
    snaps: pd.DataFrame, cfg: TrainConfig, truth_path: Path | None
) -> tuple[list[FoldResult], list[FoldResult], bool, pd.DataFrame]:
    """Held-out campaign folds and forward folds, each with model and baselines.

    Returns (held-out folds, forward folds, whether truth labelled the tests, skipped folds).
    """
    data = label_frame(snaps, cfg)
    d, has_truth = attach_truth(data, truth_path)
    names = [c for c in data.columns if c not in ("presumed",)]
    # the outer folds hash organisations with another salt than fit()'s inner splits: with the
    # same salt, every inner test organisation would already sit on the outer test side
    outer_seed = cfg.seed + OUTER_SALT
    loco = holdout_campaign_folds(data, cfg.splits, outer_seed, include_presumed=has_truth)
    fwd = forward_folds(
        data,
        cfg.splits,
        outer_seed,
        n_cutoffs=cfg.evaluation.forward_cutoffs,
        test_days=cfg.evaluation.forward_test_days,
        include_presumed=has_truth,
    )
    log.info("evaluation: %d held-out campaign folds, %d forward folds", len(loco), len(fwd))
    held, forward, skipped = [], [], []
    for kind, splits, sink in (("held-out campaign", loco, held), ("forward", fwd, forward)):
        for s in splits:
            try:
                sink.append(run_fold(d, s, kind, cfg, names))
            except ValueError as exc:  # too little training data on this fold's side
                log.warning("%s skipped: %s", s.name, exc)
                skipped.append({"fold": s.name, "reason": str(exc)})
    return held, forward, has_truth, pd.DataFrame(skipped)
