"""Cadence: when an account sends, and how regularly.

Harvesting scripts behind load balancers send at even, machine-like intervals, around
the clock (flat hour-of-day, night traffic in the account's local time), through the
weekend and in long sessions; people send in bursts during their day and their working
week. All inter-arrival gaps are between consecutive exchanges of the account inside the
window (ordered by time, then request id).
"""

from __future__ import annotations

import ibis

from features.aggs import entropy, left_join_all, ratio, share
from features.catalogue import Spec
from features.config import FeatureConfig, parse_duration
from features.frame import Tables

TS = ("events.ts",)
SPECS = [
    Spec("cadence_iat_median_s_{w}", "median inter-arrival gap in seconds", TS),
    Spec("cadence_iat_cv_{w}", "coefficient of variation (pop. std / mean) of the gaps", TS),
    Spec(
        "cadence_iat_entropy_{w}",
        "entropy (bits) of gaps binned by floor(log2(gap_ms + 1)); low = one dominant rhythm",
        TS,
    ),
    Spec("cadence_iat_sub1s_share_{w}", "share of gaps under cadence.sub_second_ms", TS),
    Spec(
        "cadence_iat_regular_share_{w}",
        "share of gaps within +-cadence.regular_tolerance of the account's median gap "
        "(periodicity: load-balanced timing looks regular)",
        TS,
    ),
    Spec("cadence_hour_entropy_{w}", "entropy (bits) of the UTC hour-of-day histogram", TS),
    Spec(
        "cadence_active_hours_per_day_{w}",
        "distinct clock hours with traffic per active day",
        TS,
    ),
    Spec(
        "cadence_night_share_{w}",
        "share of exchanges at local night (hours from cadence.night_*; offset from the "
        "event's country, null when unknown)",
        ("events.ts", "events.country"),
    ),
    Spec(
        "cadence_weekend_share_{w}",
        "share of exchanges sent on a Saturday or Sunday (UTC days); null when no weekend day "
        "lies between the account's first exchange in the window and the cutoff",
        TS,
    ),
    Spec(
        "cadence_daily_cv_{w}",
        "coefficient of variation of exchanges per active day (even daily volume = low)",
        TS,
    ),
    Spec(
        "cadence_sessions_per_day_{w}",
        "sessions (split at gaps > cadence.session_gap) per active day",
        TS,
    ),
    Spec("cadence_session_exchanges_mean_{w}", "mean exchanges per session", TS),
    Spec(
        "cadence_session_minutes_mean_{w}",
        "mean session length in minutes (sum of in-session gaps / sessions)",
        TS,
    ),
]


def exact_median(table: ibis.Table, col: str, by: str = "account_id") -> ibis.Table:
    """(by, med): the exact median of `col` per group (mean of the two middle values).

    Written with row numbers rather than a quantile aggregate, which Spark only approximates.
    """
    w = ibis.window(group_by=by, order_by=[table[col]])
    r = table.select(
        by,
        v=table[col],
        rn=ibis.row_number().over(w),
        n=table.count().over(ibis.window(group_by=by)),
    )
    lo = ((r.n - 1) / 2).floor().cast("int64")
    hi = ((r.n - 1) / 2).ceil().cast("int64")
    mid = r.filter((r.rn == lo) | (r.rn == hi))
    return mid.group_by(by).agg(med=mid.v.mean())


def _weekend(e: ibis.Table, accounts: ibis.Table) -> ibis.Table:
    """(account_id, weekend): share of exchanges on a Saturday or Sunday (UTC days).

    Null when the days from the account's first exchange in the window up to the cutoff
    hold no weekend day: an account first seen on a Tuesday and scored on Thursday had no
    weekend to skip. Day arithmetic on epoch days (1970-01-01 was a Thursday, so
    ``(epoch_day + 3) % 7`` is 0 on Mondays), the same on every engine; the cutoff comes
    from the accounts table (``cutoff_s``), as the SQL is compiled once for every pass.
    """
    epoch_day = (e.t_ms / 86_400_000).floor().cast("int64")
    dow = (epoch_day + 3) % 7
    agg = e.group_by("account_id").agg(weekend=share(dow >= 5), first=epoch_day.min())
    j = agg.join(accounts.select("account_id", "cutoff_s"), "account_id")
    # days first .. (the day of the last instant before the cutoff), inclusive
    n = (j.cutoff_s / 86_400.0).ceil().cast("int64") - j.first
    dow0 = (j.first + 3) % 7
    seen = (((12 - dow0) % 7) < n) | (((13 - dow0) % 7) < n)
    return j.select("account_id", weekend=ibis.ifelse(seen, j.weekend, ibis.null("float64")))


def build(t: Tables, as_of, window: str, cfg: FeatureConfig) -> ibis.Table:
    """Cadence over the window ``[as_of - window, as_of)``, one row per active account.

    Args:
        t: the cutoff's tables (window events carry ``gap_ms``, ``hour``, ``local_hour``).
        as_of: the cutoff (already applied in `t`).
        window: the window (already applied in `t`).
        cfg: feature configuration (cadence section).
    """
    c, e, w = cfg.cadence, t.events, t.label
    gap_ms = parse_duration(c.session_gap).total_seconds() * 1000
    gaps = e.filter(e.gap_ms.notnull())
    med = exact_median(gaps, "gap_ms")
    gj = gaps.join(med, "account_id")
    tol = gj.med * c.regular_tolerance
    g = gj.group_by("account_id").agg(
        med=gj.med.max(),
        mean=gj.gap_ms.mean(),
        std=gj.gap_ms.std(how="pop"),
        sub1=share(gj.gap_ms < c.sub_second_ms),
        regular=share((gj.gap_ms - gj.med).abs() <= tol),
        sessions_extra=(gj.gap_ms > gap_ms).cast("int64").sum(),
        in_session=ibis.cases((gj.gap_ms <= gap_ms, gj.gap_ms), else_=0).sum(),
    )
    bins = gaps.mutate(
        b=ibis.least((gaps.gap_ms + 1).log2().floor().cast("int64"), c.iat_log2_bins)
    )
    iat_h = entropy(bins.group_by(["account_id", "b"]).agg(n=bins.count()), "b").rename(
        iat_h="entropy"
    )
    hour_h = entropy(e.group_by(["account_id", "hour"]).agg(n=e.count()), "hour").rename(
        hour_h="entropy"
    )
    night = (e.local_hour >= c.night_start_hour) & (e.local_hour < c.night_end_hour)
    base = e.group_by("account_id").agg(
        n=e.count(),
        days=e.day.nunique(),
        hours=e.hour_ts.nunique(),
        night=share(night),
    )
    week = _weekend(e, t.accounts)
    daily = e.group_by(["account_id", "day"]).agg(n=e.count())
    dcv = daily.group_by("account_id").agg(
        dcv=ratio(daily.n.std(how="pop"), daily.n.mean()),
    )
    j = left_join_all(base, g, iat_h, hour_h, dcv, week)
    sessions = (1 + j.sessions_extra.fill_null(0)).cast("float64")
    return j.select(
        j.account_id,
        **{
            f"cadence_iat_median_s_{w}": j.med.cast("float64") / 1000.0,
            f"cadence_iat_cv_{w}": ratio(j.std, j.mean),
            f"cadence_iat_entropy_{w}": j.iat_h,
            f"cadence_iat_sub1s_share_{w}": j.sub1,
            f"cadence_iat_regular_share_{w}": j.regular,
            f"cadence_hour_entropy_{w}": j.hour_h,
            f"cadence_active_hours_per_day_{w}": ratio(j.hours, j.days),
            f"cadence_night_share_{w}": j.night,
            f"cadence_weekend_share_{w}": j.weekend,
            f"cadence_daily_cv_{w}": j.dcv,
            f"cadence_sessions_per_day_{w}": ratio(sessions, j.days),
            f"cadence_session_exchanges_mean_{w}": ratio(j.n, sessions),
            f"cadence_session_minutes_mean_{w}": ratio(
                j.in_session.fill_null(0).cast("float64") / 60000.0, sessions
            ),
        },
    )
