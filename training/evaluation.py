"""The honest evaluation: held-out campaigns and forward in time, model vs baselines.

Each fold re-runs the whole of fit() (its own Optuna study, calibration and threshold)
on the fold's training side only, so nothing about the held-out campaign or the future
reaches the model, not even through hyperparameters. Baselines are fit and scored on
exactly the same rows.

Test labels: where the world ships ground truth (DIR/truth.parquet, not part of the
contract) the test side is labelled by it, including accounts nobody reviewed, so the
legitimate test side is every snapshotted legitimate account of the picked organisations
(training/eval_splits.py); the training side only ever sees the contract's labels.
Without truth, test sides hold reviewed accounts only. Tables: training/eval_tables.py.
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
from training.eval_splits import forward_folds, holdout_folds, test_labels
from training.pipeline import fit, label_frame
from training.splits import Split

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


EVAL_COLUMNS = ["y_eval", "campaign_eval", "archetype", "in_training_sample"]


def run_fold(
    d: pd.DataFrame, split: Split, kind: str, cfg: TrainConfig, feature_names: list[str]
) -> FoldResult:
    """Fit the model (nested tuning) and the baselines on `split.train`; score its test rows."""
    train = d.iloc[split.train]
    train_df = train.drop(columns=[c for c in EVAL_COLUMNS if c in train])
    model = fit(
        train_df,
        cfg,
        n_trials=cfg.evaluation.n_trials,
        timeout_s=cfg.evaluation.timeout_s,
        metadata={"evaluation_fold": split.name},
    )
    te = _test_rows(d, split)
    cols = ["account_id", "as_of", "first_seen", "campaign_eval", "archetype", "presumed"]
    out = te[cols].copy()
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


def eval_frame(snaps: pd.DataFrame, cfg: TrainConfig, truth_path: Path | None):
    """Every snapshot with its training label and its evaluation label.

    Rows build_snapshots would give `make retrain` (column ``in_training_sample``; all rows
    when absent) go through :func:`training.pipeline.label_frame` exactly as in training;
    every other row (unlabelled, or outside the training sample) gets ``label`` NaN and
    ``presumed`` True, so it can only ever be a test row. Returns (frame, truth used).
    """
    s = snaps.reset_index(drop=True)
    if "in_training_sample" not in s:
        s = s.assign(in_training_sample=True)
    sample = s["in_training_sample"].to_numpy(dtype=bool)
    trainable = label_frame(s[sample].drop(columns="in_training_sample"), cfg)
    trainable["in_training_sample"] = True
    key = ["account_id", "as_of"]
    rest = s.merge(trainable[key], on=key, how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
    rest = rest.assign(label=np.nan, presumed=True)
    d = pd.concat([trainable, rest[trainable.columns]], ignore_index=True)
    return attach_truth(d, truth_path)


def run_evaluation(
    snaps: pd.DataFrame, cfg: TrainConfig, truth_path: Path | None
) -> tuple[list[FoldResult], list[FoldResult], bool, pd.DataFrame]:
    """Held-out campaign folds and forward folds, each with model and baselines.

    Returns (held-out folds, forward folds, whether truth labelled the tests, skipped folds).
    """
    d, has_truth = eval_frame(snaps, cfg, truth_path)
    names = [c for c in d.columns if c not in ("presumed", *EVAL_COLUMNS)]
    # the outer folds hash organisations with another salt than fit()'s inner splits: with the
    # same salt, every inner test organisation would already sit on the outer test side
    outer_seed = cfg.seed + OUTER_SALT
    labels = test_labels(d, cfg.evaluation.legit_test_share, outer_seed)
    loco, skip1 = holdout_folds(d, labels, cfg.splits, outer_seed)
    fwd, skip2 = forward_folds(d, labels, cfg.splits, cfg.evaluation, outer_seed)
    log.info(
        "evaluation: %d snapshots (%d trainable), %d legitimate test-side snapshots; "
        "%d held-out campaign folds, %d forward folds",
        len(d),
        int(d["label"].notna().sum()),
        int(((labels["y"] == 0) & labels["legit_test"]).sum()),
        len(loco),
        len(fwd),
    )
    held, forward, skipped = [], [], [*skip1, *skip2]
    for kind, splits, sink in (("held-out campaign", loco, held), ("forward", fwd, forward)):
        for s in splits:
            try:
                sink.append(run_fold(d, s, kind, cfg, names))
            except ValueError as exc:  # too little training data on this fold's side
                log.warning("%s skipped: %s", s.name, exc)
                skipped.append({"fold": s.name, "reason": str(exc)})
    return held, forward, has_truth, pd.DataFrame(skipped, columns=["fold", "reason"])
