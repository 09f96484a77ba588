"""How hard a world is: single raw per-account statistics against each campaign.

A world that one number separates is a toy. For every campaign this measures,
against legitimate accounts, the ROC AUC of each raw per-account statistic (in
whichever direction separates better) and the recall of a rate-limit rule (flag
accounts above the legitimate 99th percentile of daily requests, i.e. at a 1%
false-positive rate). Reads the world directory's events, accounts and truth.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

STATISTICS = {
    "requests_per_day": "requests per active day",
    "peak_requests_per_day": "requests on the busiest day",
    "distinct_ips": "distinct IP addresses",
    "account_age_days": "account age at first request (days)",
    "mean_tokens": "mean input + output tokens per request",
    "distinct_fingerprints": "distinct client fingerprints (TLS x user agent)",
}
RATE_RULES = ("requests_per_day", "peak_requests_per_day")


def account_stats(world: str | Path) -> pd.DataFrame:
    """One row per account with >= 1 event: the raw statistics plus archetype and campaign_id."""
    w = Path(world)
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    events = str(w / "events" / "**" / "*.parquet")
    sql = f"""
    WITH ev AS (
      SELECT account_id, ts, ip, input_tokens, output_tokens,
             coalesce(tls_fingerprint, '') || '|' || coalesce(user_agent, '') AS fp,
             CAST(ts AS DATE) AS day
      FROM read_parquet('{events}', hive_partitioning = false)
    ), daily AS (
      SELECT account_id, day, count(*) AS n FROM ev GROUP BY ALL
    ), per AS (
      SELECT account_id, count(*) AS n_events, min(ts) AS first_ts,
             count(DISTINCT ip) AS distinct_ips,
             avg(input_tokens + output_tokens) AS mean_tokens,
             count(DISTINCT fp) AS distinct_fingerprints
      FROM ev GROUP BY account_id
    ), d AS (
      SELECT account_id, avg(n) AS requests_per_day, max(n) AS peak_requests_per_day
      FROM daily GROUP BY account_id
    )
    SELECT per.*, d.requests_per_day, d.peak_requests_per_day,
           date_diff('second', a.created_at, per.first_ts) / 86400.0 AS account_age_days,
           t.archetype, t.campaign_id
    FROM per JOIN d USING (account_id)
    JOIN read_parquet('{w / "accounts.parquet"}') a USING (account_id)
    JOIN read_parquet('{w / "truth.parquet"}') t USING (account_id)
    """
    return con.execute(sql).df()


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC of scores `pos` (positives) vs `neg` (ties count half), by ranks."""
    x = np.concatenate([pos, neg]).astype(float)
    ranks = pd.Series(x).rank(method="average").to_numpy()
    r = ranks[: len(pos)].sum()
    return float((r - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def recall_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float) -> tuple[float, float]:
    """Recall of `stat > t`, t the legitimate (1 - fpr) quantile; returns (recall, t)."""
    t = float(np.quantile(neg, 1 - fpr))
    return float(np.mean(pos > t)), t


def hardness(stats: pd.DataFrame, fpr: float = 0.01) -> pd.DataFrame:
    """Per campaign and statistic: AUC (best direction) and, for rate rules, recall at `fpr`."""
    legit = stats[stats["archetype"] != "campaign"]
    rows = []
    for camp, members in stats[stats["archetype"] == "campaign"].groupby("campaign_id"):
        for s in STATISTICS:
            pos, neg = members[s].to_numpy(), legit[s].to_numpy()
            a = auc(pos, neg)
            row = {"campaign_id": camp, "statistic": s, "auc": max(a, 1 - a), "direction":
                   "higher" if a >= 0.5 else "lower", "members": len(pos)}  # fmt: skip
            if s in RATE_RULES:
                row["recall_at_fpr"], row["threshold"] = recall_at_fpr(pos, neg, fpr)
            rows.append(row)
    return pd.DataFrame(rows)
