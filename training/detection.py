"""Time to detection: score a held-out campaign's accounts once a day, as of each day.

For each held-out campaign fold, the fold's model (trained before the cutoff) scores the
features of every day from the cutoff on (build_features as of midnight UTC, the model's
window). An account's detection time is its first flagged day; the report gives hours
from its first request to that flag, and the share of the campaign's exchanges sent after
its accounts were flagged (what blocking on the flag would have saved).
Only members whose first request is at or after the cutoff are measured (earlier ones
were active before the model could exist).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from training.evaluation import FoldResult

log = logging.getLogger(__name__)


def daily_grid(folds: list[FoldResult], end: pd.Timestamp, step_hours: float, max_days: int):
    """The as-of instants needed by all folds (midnight-aligned), each fold's own list."""
    per_fold = {}
    for f in folds:
        start = f.split.cutoff.ceil("D")
        stop = min(end, start + pd.Timedelta(days=max_days))
        per_fold[f.split.name] = list(
            pd.date_range(start, stop, freq=pd.Timedelta(hours=step_hours))
        )
    days = sorted({t for ts in per_fold.values() for t in ts})
    return days, per_fold


def detection(
    folds: list[FoldResult],
    members: pd.DataFrame,
    features_at: Callable[[pd.Timestamp], pd.DataFrame],
    events_daily: pd.DataFrame,
    end: pd.Timestamp,
    step_hours: float,
    max_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-account detection and per-campaign summary.

    Args:
        folds: held-out campaign folds (fold model, cutoff, campaign).
        members: account_id, campaign, first_seen of campaign members (truth or labels).
        features_at: as_of -> build_features frame (cached by the caller).
        events_daily: account_id, day (UTC midnight), n (exchanges that day).
        end: end of the world's log.
        step_hours: scoring interval.
        max_days: days scored after each cutoff.

    Returns:
        (accounts: fold, campaign, account_id, first_seen, flagged_at, hours_to_flag;
         campaigns: fold, campaign, accounts, flagged share, median hours, exchanges share
         after flag).
    """
    days, per_fold = daily_grid(folds, end, step_hours, max_days)
    flagged_at: dict[tuple[str, str], pd.Timestamp] = {}
    fold_members = {}
    for f in folds:
        camp = f.split.held_out_campaigns[0]
        m = members[(members["campaign"] == camp) & (members["first_seen"] >= f.split.cutoff)]
        fold_members[f.split.name] = m
    for day in days:
        feats = None
        for f in folds:
            if day not in per_fold[f.split.name]:
                continue
            m = fold_members[f.split.name]
            todo = [a for a in m["account_id"] if (f.split.name, a) not in flagged_at]
            if not todo:
                continue
            if feats is None:
                feats = features_at(day)
            x = feats[feats["account_id"].isin(todo)]
            if x.empty:
                continue
            for a in x.loc[f.model.flag(x), "account_id"]:
                flagged_at[(f.split.name, a)] = day
    acc_rows, camp_rows = [], []
    for f in folds:
        camp = f.split.held_out_campaigns[0]
        m = fold_members[f.split.name]
        for r in m.itertuples():
            t = flagged_at.get((f.split.name, r.account_id))
            hours = (t - r.first_seen).total_seconds() / 3600 if t is not None else np.nan
            acc_rows.append(
                {
                    "fold": f.split.name,
                    "campaign": camp,
                    "account_id": r.account_id,
                    "first_seen": r.first_seen,
                    "flagged_at": t,
                    "hours_to_flag": hours,
                }
            )
        acc = pd.DataFrame(acc_rows[-len(m) :] if len(m) else [])
        ev = events_daily[events_daily["account_id"].isin(m["account_id"])]
        ev = ev[ev["day"] >= f.split.cutoff.floor("D")]
        if len(acc):
            flag = ev["account_id"].map(acc.set_index("account_id")["flagged_at"])
            after = ev.loc[flag.notna() & (ev["day"] >= flag), "n"].sum()
        else:
            after = 0
        total = ev["n"].sum()
        camp_rows.append(
            {
                "fold": f.split.name,
                "campaign": camp,
                "accounts_measured": len(m),
                "flagged_share": float(acc["flagged_at"].notna().mean()) if len(acc) else np.nan,
                "median_hours_to_flag": (
                    float(np.nanmedian(acc["hours_to_flag"]))
                    if len(acc) and acc["hours_to_flag"].notna().any()
                    else np.nan
                ),
                "exchanges": int(total),
                "share_after_flag": float(after / total) if total else np.nan,
            }
        )
    return pd.DataFrame(acc_rows), pd.DataFrame(camp_rows)
