"""Is there a signal at all? Behavioural per-account statistics and a multi-feature check.

The hardness report shows no single raw number separates the campaigns; this shows
the world is not noise either: a handful of behavioural statistics (task focus,
reasoning elicitation, template reuse, cadence regularity, shared payment instruments
and IPs, sign-up waves, new-model adoption, account age at first use), combined by a
small gradient-boosted model under account-level cross-validation, do separate them.
A world diagnostic only: the product's features and honest splits live elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from simulate.hardness import auc

BEHAVIOURAL = (
    "coding_agentic_share", "elicitation_share", "template_reuse", "gap_cv",
    "payment_sharing", "ip_sharing", "signup_wave", "newest_model_share", "account_age_days",
)  # fmt: skip


def behavioural_stats(world: str | Path) -> pd.DataFrame:
    """One row per active account: the behavioural statistics, archetype and campaign_id."""
    w = Path(world)
    m = json.loads((w / "world.json").read_text())
    newest, released = max(m["models"].items(), key=lambda kv: kv[1])
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    ev = str(w / "events" / "**" / "*.parquet")
    return con.execute(
        f"""
    WITH e AS (
      SELECT account_id, ts, ip, model, task_category, prompt_simhash,
             coalesce(prompt ILIKE '%step by step%' OR prompt ILIKE '%rubric%', false) AS eli,
             date_diff('millisecond', lag(ts) OVER (PARTITION BY account_id ORDER BY ts), ts)
               / 1000.0 AS gap
      FROM read_parquet('{ev}', hive_partitioning = false)
    ), ipn AS (
      SELECT ip, count(DISTINCT account_id) AS n FROM e GROUP BY ip
    ), a AS (
      SELECT *, count(*) OVER (PARTITION BY payment_fingerprint) AS pay_n,
             count(*) OVER (ORDER BY created_at
               RANGE BETWEEN INTERVAL 2 HOUR PRECEDING AND INTERVAL 2 HOUR FOLLOWING) AS wave_n
      FROM read_parquet('{w / "accounts.parquet"}')
    ), per AS (
      SELECT account_id, min(ts) AS first_ts,
        avg((task_category IN ('coding', 'agentic'))::int) AS coding_agentic_share,
        avg(eli::int) AS elicitation_share,
        1 - count(DISTINCT prompt_simhash) / count(*) AS template_reuse,
        stddev(gap) FILTER (WHERE gap < 1800) / avg(gap) FILTER (WHERE gap < 1800) AS gap_cv,
        avg((model = '{newest}')::int) FILTER (WHERE ts >= TIMESTAMPTZ '{released}')
          AS newest_model_share
      FROM e GROUP BY account_id
    ), ips AS (
      SELECT account_id, avg(ipn.n) AS ip_sharing FROM (SELECT DISTINCT account_id, ip FROM e)
      JOIN ipn USING (ip) GROUP BY account_id
    )
    SELECT per.account_id, coding_agentic_share, elicitation_share, template_reuse, gap_cv,
           CASE WHEN a.payment_fingerprint IS NULL THEN 1 ELSE a.pay_n END AS payment_sharing,
           ip_sharing, a.wave_n AS signup_wave, newest_model_share,
           date_diff('second', a.created_at, per.first_ts) / 86400.0 AS account_age_days,
           t.archetype, t.campaign_id
    FROM per JOIN ips USING (account_id) JOIN a USING (account_id)
    JOIN read_parquet('{w / "truth.parquet"}') t USING (account_id)
    """
    ).df()


def multi_feature_auc(stats: pd.DataFrame, params: dict, folds: int, seed: int) -> pd.DataFrame:
    """Per campaign vs legitimate: cross-validated AUC of a LightGBM (`params`) on BEHAVIOURAL."""
    import lightgbm as lgb
    from sklearn.model_selection import StratifiedKFold

    legit = stats[stats["archetype"] != "campaign"]
    rows = []
    for camp, members in stats[stats["archetype"] == "campaign"].groupby("campaign_id"):
        d = pd.concat([members, legit])
        X = d[list(BEHAVIOURAL)].astype(float).to_numpy()
        y = (d["archetype"] == "campaign").to_numpy().astype(int)
        pred = np.zeros(len(y))
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for tr, te in cv.split(X, y):
            clf = lgb.LGBMClassifier(**params, verbose=-1, random_state=seed, n_jobs=1)
            clf.fit(X[tr], y[tr])
            pred[te] = clf.predict_proba(X[te])[:, 1]
        single = {
            f: max(auc(members[f].to_numpy(float), legit[f].to_numpy(float)), 0)
            for f in BEHAVIOURAL
        }
        best = max(single, key=lambda f: max(single[f], 1 - single[f]))
        rows.append(
            {
                "campaign_id": camp,
                "members": len(members),
                "multi_feature_auc": auc(pred[y == 1], pred[y == 0]),
                "best_single_behavioural": best,
                "its_auc": max(single[best], 1 - single[best]),
            }
        )
    return pd.DataFrame(rows)
