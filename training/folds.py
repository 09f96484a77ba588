"""Fold families of training: leave one campaign out, forward in time, calibration.

Every fold is one :func:`training.split_rules.make_split`, so it obeys the split rules
(time, gap, label delay, no account or organisation on both sides), checked on creation.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from training.config import SplitConfig
from training.split_rules import Split, is_usable, make_split

log = logging.getLogger(__name__)


def campaign_folds(
    df: pd.DataFrame, cfg: SplitConfig, seed: int, include_presumed: bool = False
) -> list[Split]:
    """Leave one campaign out, forward in time: one usable split per campaign.

    Campaign C's test window starts when C's first snapshot appears, or later: not before
    ``min_history_quantile`` of snapshot time, and not before ``min_train_positives``
    snapshots of other campaigns were labelled (the training side must have something to
    learn from). C's snapshots before the cutoff are on neither side.
    """
    pos = df[df["label"] == 1]
    if pos.empty:
        return []
    as_of = pd.to_datetime(pos["as_of"], utc=True)
    known = np.maximum(as_of, pd.to_datetime(pos["labelled_at"], utc=True))
    gap = pd.Timedelta(days=cfg.gap_days)
    history = pd.to_datetime(df.loc[df["label"].notna(), "as_of"], utc=True).quantile(
        cfg.min_history_quantile
    )
    folds = []
    starts = as_of.groupby(pos["campaign_id"].astype(str)).min().sort_values()
    for camp, start in starts.items():
        others = np.sort(known[pos["campaign_id"].astype(str) != camp].to_numpy())
        if len(others) < cfg.min_train_positives:
            continue
        ready = pd.Timestamp(others[cfg.min_train_positives - 1]) + gap + pd.Timedelta(seconds=1)
        cutoff = max(start, ready, history)
        split = make_split(
            df,
            cutoff,
            cfg,
            seed,
            held_out=[camp],
            include_presumed=include_presumed,
            name=f"campaign {camp}",
        )
        if is_usable(df, split, cfg, count_presumed=include_presumed):
            folds.append(split)
        else:
            log.debug("fold for campaign %s unusable at cutoff %s", camp, cutoff)
    return folds


def holdout_campaign_folds(
    df: pd.DataFrame, cfg: SplitConfig, seed: int, include_presumed: bool = False
) -> list[Split]:
    """Leave one campaign out, not time-ordered: the evaluation's item 1.

    For each campaign C: the test side is C's members plus legitimate snapshots of a share
    of organisations, at any time; the training side is everything else (C absent, no
    test account or organisation), with every label known by the end of the history.
    The forward-in-time family (:func:`forward_folds`) is the time-ordered check.
    """
    pos = df[df["label"] == 1]
    t0 = pd.to_datetime(df["as_of"], utc=True).min()
    folds = []
    for camp in sorted(pos["campaign_id"].astype(str).unique()):
        split = make_split(
            df,
            t0,
            cfg,
            seed,
            held_out=[camp],
            include_presumed=include_presumed,
            time_ordered=False,
            name=f"held out {camp}",
        )
        if is_usable(df, split, cfg, count_presumed=include_presumed):
            folds.append(split)
    return folds


def forward_folds(
    df: pd.DataFrame,
    cfg: SplitConfig,
    seed: int,
    n_cutoffs: int,
    test_days: float,
    include_presumed: bool = False,
) -> list[Split]:
    """Forward in time: train on what was labelled before each cutoff, test on the next window.

    Cutoffs sit at evenly spaced quantiles of labelled snapshot time (excluding the first
    third, so every fold has a history to learn from).
    """
    t = pd.to_datetime(df.loc[df["label"].notna(), "as_of"], utc=True)
    if t.empty:
        return []
    qs = np.linspace(0.4, 0.85, n_cutoffs) if n_cutoffs > 1 else [0.6]
    folds = []
    for q in qs:
        cutoff = t.quantile(q).floor("D")
        end = cutoff + pd.Timedelta(days=test_days)
        split = make_split(
            df,
            cutoff,
            cfg,
            seed,
            test_end=end,
            include_presumed=include_presumed,
            name=f"forward {cutoff:%Y-%m-%d}",
        )
        if is_usable(df, split, cfg, count_presumed=include_presumed):
            folds.append(split)
    return folds


def cv_folds(df: pd.DataFrame, cfg: SplitConfig, seed: int) -> list[Split]:
    """Folds for Optuna inside fit(): campaign folds (largest test sides first), else forward."""
    folds = campaign_folds(df, cfg, seed)
    if not folds:
        folds = forward_folds(df, cfg, seed, n_cutoffs=cfg.max_cv_folds, test_days=14)
    folds.sort(key=lambda s: (-len(s.test), s.name))
    return folds[: cfg.max_cv_folds]


def calibration_split(df: pd.DataFrame, cfg: SplitConfig, seed: int) -> Split:
    """The final model's split: train before a time quantile, calibrate/threshold after it.

    Tries ``calibration_quantile`` first, then quantiles stepping away from it by 0.05. With
    little labelled history no time cut may be usable (every campaign starts on one side);
    then it splits by organisation instead (hash-share ``calibration_legit_share`` of
    organisations, positives and legitimate alike, on the calibration side; accounts and
    organisations still disjoint, not time-ordered). Returns the first usable split, or the
    configured one, unusable, for the caller to refuse.
    """
    t = pd.to_datetime(df.loc[df["label"].notna(), "as_of"], utc=True)
    q0 = cfg.calibration_quantile
    tries = [q0] + [q for k in range(1, 12) for q in (q0 - 0.05 * k, q0 + 0.05 * k)]
    first = None
    for q in tries:
        if not 0.2 <= q <= 0.9:
            continue
        split = make_split(
            df,
            t.quantile(q),
            cfg,
            seed,
            include_presumed=True,
            legit_test_share=cfg.calibration_legit_share,
            name=f"calibration q={q:.2f}",
        )
        if is_usable(df, split, cfg):
            return split
        first = first or split
    by_org = make_split(
        df,
        pd.to_datetime(df["as_of"], utc=True).min(),
        cfg,
        seed,
        include_presumed=True,
        legit_test_share=cfg.calibration_legit_share,
        pos_test_share=cfg.calibration_legit_share,
        time_ordered=False,
        name="calibration by organisation",
    )
    if is_usable(df, by_org, cfg):
        log.info("calibration: no usable time cut; split by organisation")
        return by_org
    return first
