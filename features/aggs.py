"""Small aggregate helpers shared by the families (null-safe on DuckDB and Spark)."""

from __future__ import annotations

import ibis


def share(cond: ibis.Value) -> ibis.Value:
    """Share of rows where `cond` holds, over rows where it is not null (null if none)."""
    return ibis.cases((cond, 1.0), (~cond, 0.0), else_=ibis.null("float64")).mean()


def distinct(col: ibis.Value) -> ibis.Value:
    """Number of distinct non-null values, null when every value is null."""
    return ibis.cases((col.count() > 0, col.nunique().cast("float64")), else_=ibis.null("float64"))


def ratio(num: ibis.Value, den: ibis.Value) -> ibis.Value:
    """num / den as float, null when den is 0 or null."""
    return num.cast("float64") / den.cast("float64").nullif(0.0)


def entropy(counts: ibis.Table, key: str, by: str = "account_id", n: str = "n") -> ibis.Table:
    """Shannon entropy (bits) of the distribution of `n` over `key` within each `by` group.

    Args:
        counts: a table with columns `by`, `key`, `n` (rows per group and key).

    Returns:
        Table (by, entropy).
    """
    tot = counts.group_by(by).agg(_tot=counts[n].sum())
    j = counts.join(tot, by)
    p = j[n].cast("float64") / j._tot.cast("float64")
    return j.group_by(by).agg(entropy=(-(p * p.log2())).sum())


def left_join_all(base: ibis.Table, *others: ibis.Table, key: str = "account_id") -> ibis.Table:
    """Left-join each table in `others` to `base` on `key`, keeping a single key column."""
    out = base
    for o in others:
        out = out.left_join(o, key)
        out = out.drop(f"{key}_right") if f"{key}_right" in out.columns else out
    return out
