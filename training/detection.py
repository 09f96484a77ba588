"""Time to detection: score a held-out campaign's members once a day over the campaign's life.

For each held-out campaign fold, the fold's model (trained without that campaign) scores a
hash-sample of the campaign's members at every daily pass (features as of midnight UTC,
the model's window; training/eval_features.py) from the day of the campaign's first
request through its last, at the model's trained threshold. An account's detection time
is its first flagged pass; the report gives hours from its first request to that flag, and
the share of the members' exchanges (over their whole life in the log) sent on or after
the day their account was flagged: what blocking on the flag would have saved.

Held-out folds are not time-ordered (the model is trained on the other campaigns, whenever
they ran), so this measures "a model that never saw this campaign, deployed before it
started". An account never flagged counts as detected never (``median_hours_all`` is inf
when most members were never flagged).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from training.evaluation import FoldResult
from training.split_rules import unit_hash

log = logging.getLogger(__name__)


def sample_members(members: pd.DataFrame, per_campaign: int, seed: int) -> pd.DataFrame:
    """A hash-sample of at most `per_campaign` members of each campaign (stable across runs)."""
    if members.empty:
        return members
    u = unit_hash(members["account_id"].astype(str), seed)
    m = members.assign(_u=u).sort_values(["campaign", "_u"])
    return m.groupby("campaign").head(per_campaign).drop(columns="_u").reset_index(drop=True)


def first_flags(fold: FoldResult, daily: pd.DataFrame, accounts: pd.Series) -> pd.Series:
    """account_id -> first as_of at which the fold's model flags it (absent: never)."""
    x = daily[daily["account_id"].isin(set(accounts))]
    if x.empty:
        return pd.Series([], index=pd.Index([], name="account_id"), dtype="datetime64[us, UTC]")
    hit = x.loc[np.asarray(fold.model.flag(x), dtype=bool), ["account_id", "as_of"]]
    hit = hit.assign(as_of=pd.to_datetime(hit["as_of"], utc=True))
    return hit.groupby("account_id")["as_of"].min()


def detection(
    folds: list[FoldResult],
    members: pd.DataFrame,
    daily: pd.DataFrame,
    events_daily: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-account detection and per-campaign summary.

    Args:
        folds: held-out campaign folds (fold model at its trained threshold, campaign).
        members: account_id, campaign, first_seen of the sampled members (truth or labels).
        daily: account_id, as_of, features of those members at every daily pass.
        events_daily: account_id, day (UTC midnight), n (exchanges that day).

    Returns:
        (accounts: fold, campaign, account_id, first_seen, flagged_at, hours_to_flag;
         campaigns: fold, campaign, accounts measured, passes scored, flagged share, median
         hours (flagged ones; all, never = inf), exchanges, share after flag).
    """
    acc_rows, camp_rows = [], []
    for f in folds:
        camp = f.split.held_out_campaigns[0]
        m = members[members["campaign"] == camp]
        flagged = first_flags(f, daily, m["account_id"])
        acc = m[["account_id", "first_seen"]].merge(
            flagged.rename("flagged_at"), left_on="account_id", right_index=True, how="left"
        )
        acc["hours_to_flag"] = (acc["flagged_at"] - acc["first_seen"]).dt.total_seconds() / 3600
        acc.insert(0, "campaign", camp)
        acc.insert(0, "fold", f.split.name)
        acc_rows.append(acc)
        ev = events_daily[events_daily["account_id"].isin(set(m["account_id"]))]
        ev = ev.merge(acc[["account_id", "flagged_at"]], on="account_id", how="left")
        after = ev.loc[ev["flagged_at"].notna() & (ev["day"] >= ev["flagged_at"]), "n"].sum()
        total = ev["n"].sum()
        hours = acc["hours_to_flag"].to_numpy(dtype=float)
        scored = daily[daily["account_id"].isin(set(m["account_id"]))]
        camp_rows.append(
            {
                "fold": f.split.name,
                "campaign": camp,
                "accounts_measured": len(m),
                "daily_passes": scored["as_of"].nunique(),
                "first_pass": scored["as_of"].min() if len(scored) else pd.NaT,
                "last_pass": scored["as_of"].max() if len(scored) else pd.NaT,
                "flagged_share": float(np.isfinite(hours).mean()) if len(m) else np.nan,
                "median_hours_to_flag": (
                    float(np.nanmedian(hours)) if np.isfinite(hours).any() else np.nan
                ),
                "median_hours_all": (
                    float(np.median(np.where(np.isfinite(hours), hours, np.inf)))
                    if len(m)
                    else np.nan
                ),
                "exchanges": int(total),
                "share_after_flag": float(after / total) if total else np.nan,
            }
        )
    accounts = pd.concat(acc_rows, ignore_index=True) if acc_rows else pd.DataFrame()
    return accounts, pd.DataFrame(camp_rows)
