"""The rules of an honest split of labelled snapshots, and one split built by them.

The fold families built on it are in training/folds.py (training) and
training/eval_splits.py (evaluation); training/splits.py re-exports this module and folds.py.

Rules every split obeys (checked by :func:`check_split`):

* the test side is a time window ``[cutoff, test_end)`` of snapshot ``as_of``;
* the training side holds only snapshots with ``as_of < cutoff - gap`` whose label was
  known by then (``labelled_at < cutoff - gap``: the label delay is respected);
* held-out campaigns are absent from training altogether;
* an account and an organisation are never on both sides (accounts without an
  organisation are their own organisation);
* resampling happens later, inside the training side only (training/imbalance.py).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.config import SplitConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """One fold: positional row indices into the snapshot frame."""

    name: str
    cutoff: pd.Timestamp
    train: np.ndarray
    test: np.ndarray
    held_out_campaigns: tuple[str, ...] = ()
    time_ordered: bool = True


class SplitError(ValueError):
    """A split that breaks a hygiene rule (a bug, never data-dependent noise)."""


def org_keys(df: pd.DataFrame) -> pd.Series:
    """Organisation of each row; an account without one is its own organisation."""
    org = df["org_id"].astype(object) if "org_id" in df else pd.Series(None, index=df.index)
    acct = "account:" + df["account_id"].astype(str)
    return org.where(org.notna(), acct).astype(str)


def unit_hash(keys: pd.Series, seed: int) -> np.ndarray:
    """A stable pseudo-uniform number in [0, 1) per key (same key, same number)."""
    out = np.empty(len(keys))
    cache: dict[str, float] = {}
    for i, k in enumerate(keys.to_numpy()):
        v = cache.get(k)
        if v is None:
            h = hashlib.blake2b(f"{seed}:{k}".encode(), digest_size=8).digest()
            v = int.from_bytes(h, "little") / 2**64
            cache[k] = v
        out[i] = v
    return out


def make_split(
    df: pd.DataFrame,
    cutoff: pd.Timestamp,
    cfg: SplitConfig,
    seed: int,
    *,
    held_out: Iterable[str] = (),
    test_end: pd.Timestamp | None = None,
    legit_test_share: float | None = None,
    include_presumed: bool = False,
    time_ordered: bool = True,
    name: str = "",
    test_labels: pd.DataFrame | None = None,
    pos_test_share: float | None = None,
) -> Split:
    """Build one split of labelled snapshots at `cutoff`.

    Args:
        df: snapshot frame (account_id, as_of, label, campaign_id, labelled_at, org_id, ...).
        cutoff: start of the test window.
        cfg: gap and legitimate test share.
        seed: salt of the organisation hash that picks legitimate test organisations.
        held_out: campaigns kept out of training; when given, only their members are test
            positives (other campaigns' snapshots in the window are on neither side).
        test_end: end of the test window (exclusive); None = open.
        legit_test_share: override of cfg.legit_test_share.
        include_presumed: put presumed-legitimate (unlabelled, column ``presumed``) rows on the
            test side too (calibration only; never for measuring recall or FPR).
        time_ordered: False drops the time rules (training may be later than the test
            rows and use every label known by the end of the history): only for the
            evaluation's leave-one-campaign-out family, reported as such.
        name: a label for logs and reports.
        test_labels: evaluation labels of the test side (same index as `df`): ``y`` (1, 0,
            NaN = not usable), ``campaign`` and ``legit_test`` (the row's organisation was
            picked for the legitimate test side). When given, the test side is chosen by
            them (ground truth, unreviewed accounts included) instead of the contract's
            labels; the training side still uses only the contract's labels.
        pos_test_share: put only positives of this hash-share of organisations on the test
            side (None: every positive in the window), for splits without a time order.

    Returns:
        A Split; it may be empty on either side (callers check sizes).
    """
    held = tuple(sorted(set(held_out)))
    share = cfg.legit_test_share if legit_test_share is None else legit_test_share
    labelled = df["label"].notna().to_numpy()
    label = df["label"].fillna(-1).to_numpy()
    as_of = pd.to_datetime(df["as_of"], utc=True)
    labelled_at = pd.to_datetime(df["labelled_at"], utc=True)
    campaign = df["campaign_id"].astype(object)
    orgs = org_keys(df)
    train_end = cutoff - pd.Timedelta(days=cfg.gap_days)

    in_window = (as_of >= cutoff).to_numpy().copy()
    if test_end is not None:
        in_window &= (as_of < test_end).to_numpy()
    if test_labels is not None:
        y = test_labels["y"].to_numpy(dtype=float)
        pos = y == 1
        if held:
            pos &= test_labels["campaign"].isin(held).to_numpy()
        neg = (y == 0) & test_labels["legit_test"].to_numpy(dtype=bool)
    else:
        pos = labelled & (label == 1)
        if held:
            pos &= campaign.isin(held).to_numpy()
        neg = labelled & (label == 0) & (unit_hash(orgs, seed) < share)
        if "presumed" in df and not include_presumed:
            neg &= ~df["presumed"].to_numpy(dtype=bool)
    if pos_test_share is not None:
        pos &= unit_hash(orgs, seed) < pos_test_share
    test_mask = in_window & (pos | neg)

    test_accounts = set(df["account_id"].to_numpy()[test_mask])
    test_orgs = set(orgs.to_numpy()[test_mask])
    if time_ordered:
        timely = (as_of < train_end).to_numpy() & (labelled_at < train_end).fillna(False).to_numpy()
    else:
        timely = np.ones(len(df), dtype=bool)
    train_mask = (
        labelled
        & timely
        & ~campaign.isin(held).to_numpy()
        & ~df["account_id"].isin(test_accounts).to_numpy()
        & ~orgs.isin(test_orgs).to_numpy()
    )
    split = Split(
        name=name or f"cutoff {cutoff:%Y-%m-%d}",
        cutoff=cutoff,
        train=np.flatnonzero(train_mask),
        test=np.flatnonzero(test_mask),
        held_out_campaigns=held,
        time_ordered=time_ordered,
    )
    check_split(df, split, cfg.gap_days)
    return split


def check_split(df: pd.DataFrame, split: Split, gap_days: float) -> None:
    """Raise SplitError if `split` breaks a hygiene rule (account/org overlap, time, campaign)."""
    tr, te = df.iloc[split.train], df.iloc[split.test]
    orgs = org_keys(df)
    if set(tr["account_id"]) & set(te["account_id"]):
        raise SplitError(f"{split.name}: an account is on both sides")
    if set(orgs.iloc[split.train]) & set(orgs.iloc[split.test]):
        raise SplitError(f"{split.name}: an organisation is on both sides")
    limit = split.cutoff - pd.Timedelta(days=gap_days)
    if split.time_ordered and len(tr) and pd.to_datetime(tr["as_of"], utc=True).max() >= limit:
        raise SplitError(f"{split.name}: a training snapshot is inside the gap or test window")
    if len(te) and pd.to_datetime(te["as_of"], utc=True).min() < split.cutoff:
        raise SplitError(f"{split.name}: a test snapshot precedes the cutoff")
    if split.held_out_campaigns and tr["campaign_id"].isin(split.held_out_campaigns).any():
        raise SplitError(f"{split.name}: a held-out campaign is in training")


def is_usable(
    df: pd.DataFrame,
    split: Split,
    cfg: SplitConfig,
    count_presumed: bool = False,
    test_labels: pd.DataFrame | None = None,
) -> bool:
    """Whether both sides have enough positives and negatives to fit and measure.

    Presumed-legitimate test rows count as negatives only with `count_presumed` (evaluation
    with ground truth, which labels them). With `test_labels` (see :func:`make_split`) the
    test side is counted by their ``y``.
    """
    ytr = df["label"].to_numpy()[split.train]
    if test_labels is not None:
        yte = test_labels["y"].to_numpy(dtype=float)[split.test]
    else:
        yte = df["label"].to_numpy()[split.test]
    if "presumed" in df and not count_presumed and test_labels is None:
        yte = yte[~df["presumed"].to_numpy(dtype=bool)[split.test]]
    return (
        (ytr == 1).sum() >= cfg.min_train_positives
        and (ytr == 0).sum() >= cfg.min_test_negatives
        and (yte == 1).sum() >= cfg.min_test_positives
        and (yte == 0).sum() >= cfg.min_test_negatives
    )
