"""The evaluation's folds: held-out campaigns and forward in time, with large test sides.

Built on :func:`training.splits.make_split` (same hygiene rules, checked by check_split),
with the test side chosen by evaluation labels (:func:`test_labels`): where the world ships
ground truth, every snapshotted account is labelled by it, so the legitimate test side is
every legitimate account of the picked organisations, reviewed or not, not only the few
reviewed ones. The training side still sees only the contract's labels.

Legitimate test organisations are picked per archetype (stratified): for each archetype,
the ``legit_test_share`` of its organisations with the lowest hash, at least one, so rare
hard negatives (a dozen resellers in a few organisations) are always on the test side.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from training.config import EvaluationConfig, SplitConfig
from training.split_rules import Split, is_usable, make_split, org_keys, unit_hash

log = logging.getLogger(__name__)


def legit_test_orgs(d: pd.DataFrame, share: float, seed: int) -> set[str]:
    """Organisations of the legitimate test side, stratified by ``archetype``.

    Args:
        d: evaluation frame with account_id, org_id, y_eval, archetype.
        share: share of each archetype's organisations to pick (at least one).
        seed: salt of the organisation hash.
    """
    legit = d[d["y_eval"] == 0]
    orgs = org_keys(legit)
    picked: set[str] = set()
    for _, g in orgs.groupby(legit["archetype"].astype(str)):
        uniq = pd.Series(g.unique())
        rank = uniq.iloc[np.argsort(unit_hash(uniq, seed), kind="stable")]
        picked |= set(rank.iloc[: max(1, math.ceil(share * len(uniq)))])
    return picked


def test_labels(d: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """Evaluation labels for make_split: ``y``, ``campaign`` and ``legit_test`` per row."""
    picked = legit_test_orgs(d, share, seed)
    return pd.DataFrame(
        {
            "y": d["y_eval"].to_numpy(dtype=float),
            "campaign": d["campaign_eval"].astype(object).to_numpy(),
            "legit_test": org_keys(d).isin(picked).to_numpy(),
        },
        index=d.index,
    )


def holdout_folds(
    d: pd.DataFrame, labels: pd.DataFrame, cfg: SplitConfig, seed: int
) -> tuple[list[Split], list[dict]]:
    """Leave one campaign out (not time-ordered), one fold per campaign with test members.

    Returns (usable folds, skipped folds as {fold, reason}).
    """
    t0 = pd.to_datetime(d["as_of"], utc=True).min()
    camps = sorted(labels.loc[labels["y"] == 1, "campaign"].dropna().astype(str).unique())
    folds, skipped = [], []
    for camp in camps:
        split = make_split(
            d,
            t0,
            cfg,
            seed,
            held_out=[camp],
            time_ordered=False,
            name=f"held out {camp}",
            test_labels=labels,
        )
        if is_usable(d, split, cfg, test_labels=labels):
            folds.append(split)
        else:
            skipped.append({"fold": split.name, "reason": "too few rows on a side"})
    return folds, skipped


def forward_cutoffs(d: pd.DataFrame, cfg: SplitConfig, ev: EvaluationConfig) -> list[pd.Timestamp]:
    """Forward cutoffs: the configured dates, else every ``forward_step_days`` from the first
    day on which ``forward_min_train_positives`` positive labels were known (after the gap)."""
    if ev.forward_cutoff_dates:
        return [pd.Timestamp(x, tz="UTC") for x in ev.forward_cutoff_dates]
    pos = d[d["label"] == 1]
    if len(pos) < ev.forward_min_train_positives:
        return []
    known = pd.Series(
        np.maximum(
            pd.to_datetime(pos["as_of"], utc=True), pd.to_datetime(pos["labelled_at"], utc=True)
        )
    ).sort_values()
    ready = pd.Timestamp(known.iloc[ev.forward_min_train_positives - 1])
    first = (ready + pd.Timedelta(days=cfg.gap_days)).ceil("D")
    return [first + pd.Timedelta(days=ev.forward_step_days * i) for i in range(ev.forward_cutoffs)]


def forward_folds(
    d: pd.DataFrame, labels: pd.DataFrame, cfg: SplitConfig, ev: EvaluationConfig, seed: int
) -> tuple[list[Split], list[dict]]:
    """Forward in time: train on labels known before each cutoff (minus the gap), test on
    every campaign member and legitimate test snapshot of the next ``forward_test_days``.

    Returns (usable folds, skipped folds as {fold, reason}).
    """
    last = pd.to_datetime(d["as_of"], utc=True).max()
    folds, skipped = [], []
    for cutoff in forward_cutoffs(d, cfg, ev):
        name = f"forward {cutoff:%Y-%m-%d}"
        if cutoff > last:
            skipped.append({"fold": name, "reason": "cutoff after the last snapshot"})
            continue
        split = make_split(
            d,
            cutoff,
            cfg,
            seed,
            test_end=cutoff + pd.Timedelta(days=ev.forward_test_days),
            name=name,
            test_labels=labels,
        )
        if is_usable(d, split, cfg, test_labels=labels):
            folds.append(split)
        else:
            skipped.append({"fold": name, "reason": "too few rows on a side"})
    return folds, skipped
