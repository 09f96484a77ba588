"""Leave-one-vendor-out folds and the account-level splits inside each fold's training side.

Everything is split by account: a static labelled dataset has no time axis and no label
delay, so training.splits' time-based folds do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.external.config import RunConfig
from training.splits import Split


@dataclass(frozen=True)
class Fold:
    """One held-out vendor: the accounts on each side (disjoint by construction)."""

    vendor: str
    train: frozenset[str]
    test: frozenset[str]


def vendor_folds(labels: pd.DataFrame, vendors: list[str], human_test_share: float, seed: int):
    """Leave-one-vendor-out folds, split by account.

    Args:
        labels: account_id, label (0/1), campaign_id.
        vendors: campaign ids, one fold each.
        human_test_share: share of humans on the test side of each fold.
        seed: seed of the human split (each fold draws its own).

    Returns:
        One :class:`Fold` per vendor. Raises ValueError on an unknown vendor.
    """
    lab = labels.dropna(subset=["label"])
    humans = sorted(lab.loc[lab["label"] == 0, "account_id"].astype(str))
    fakes = lab[lab["label"] == 1]
    known = set(fakes["campaign_id"].dropna().astype(str))
    unknown = [v for v in vendors if v not in known]
    if unknown:
        raise ValueError(f"labels.campaign_id: vendor(s) {unknown} not found; have {sorted(known)}")
    folds = []
    for i, vendor in enumerate(vendors):
        rng = np.random.default_rng([seed, i])
        shuffled = [humans[j] for j in rng.permutation(len(humans))]
        n_test = round(human_test_share * len(humans))
        test_h, train_h = shuffled[:n_test], shuffled[n_test:]
        camp = fakes["campaign_id"].astype(str)
        held = fakes.loc[camp == vendor, "account_id"].astype(str)
        others = fakes.loc[camp.isin([v for v in vendors if v != vendor]), "account_id"]
        fold = Fold(
            vendor, frozenset(train_h) | set(others.astype(str)), frozenset(test_h) | set(held)
        )
        if fold.train & fold.test:
            raise AssertionError(f"fold {vendor}: an account is on both sides")
        folds.append(fold)
    return folds


def _pick(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: round(share * n)]] = True
    return mask


def internal_splits(data: pd.DataFrame, run: RunConfig, seed: int) -> tuple[list[Split], Split]:
    """Account-level splits inside one fold's training side (static data has no time axis).

    Optuna folds: each training vendor held out in turn, with `internal_human_share` of the
    humans (the same humans in every such fold); calibration: `calibration_share` of every
    (label, vendor) group, seeded.

    Returns:
        (one Split per training vendor, the calibration Split); positional indices.
    """
    rng = np.random.default_rng(seed)
    y = data["label"].to_numpy().astype(int)
    camp = data["campaign_id"].astype(object).where(y == 1, "").astype(str).to_numpy()
    human_val = (y == 0) & _pick(len(data), run.internal_human_share, rng)
    cutoff = pd.Timestamp(run.as_of)
    folds = []
    for vendor in sorted(set(camp[y == 1])):
        test = (camp == vendor) | human_val
        train = ((y == 1) & (camp != vendor)) | ((y == 0) & ~human_val)
        folds.append(
            Split(
                f"vendor {vendor}", cutoff, np.flatnonzero(train), np.flatnonzero(test), (vendor,)
            )
        )
    cal_mask = np.zeros(len(data), dtype=bool)
    for key in sorted(set(zip(y, camp, strict=True))):
        idx = np.flatnonzero((y == key[0]) & (camp == key[1]))
        cal_mask[idx[_pick(len(idx), run.calibration_share, rng)]] = True
    cal = Split("calibration", cutoff, np.flatnonzero(~cal_mask), np.flatnonzero(cal_mask))
    return folds, cal
