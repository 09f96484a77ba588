"""Row-wise inputs every family shares: contract columns completed, derived event columns.

Cutoff-independent: nothing here looks at a cutoff, so a derived log can be computed
once and reused by every pass of a snapshot build (features.frame).
"""

from __future__ import annotations

from datetime import datetime

import ibis
import pandas as pd

from distillguard.contract.spec import TABLES
from features.config import FeatureConfig

# The order of an account's exchanges (ties in ts broken by the unique request id). Gaps
# are differences of consecutive t_ms in this order; any order sorted by time gives the same
# multiset of gaps per account, this one also makes the per-row gap deterministic.
ORDER = ("ts", "request_id")


def to_utc(ts: str | datetime | pd.Timestamp) -> pd.Timestamp:
    """A cutoff as a tz-aware UTC pandas Timestamp (naive input is read as UTC)."""
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def ensure_columns(table: ibis.Table, name: str) -> ibis.Table:
    """Add every missing contract column of `name` as a typed null; keep only contract columns.

    Raises:
        ValueError: a required column is missing (names the table and the columns).
    """
    cols = TABLES[name]
    missing_req = [c.name for c in cols if c.required and c.name not in table.columns]
    if missing_req:
        raise ValueError(f"table {name!r}: required column(s) missing: {missing_req}")
    exprs = {}
    for c in cols:
        dtype = ibis.dtype(c.type)
        if c.name in table.columns:
            exprs[c.name] = (
                table[c.name] if table[c.name].type() == dtype else table[c.name].cast(dtype)
            )
        else:
            exprs[c.name] = ibis.null(dtype)
    return table.select(**exprs)


def ip_prefix(ip: ibis.Value) -> ibis.Value:
    """The /24 of an IPv4 address, or the first three groups (/48) of an IPv6 one."""
    return ibis.cases(
        (ip.contains("."), ip.re_extract(r"^(\d+\.\d+\.\d+)\.", 1)),
        else_=ip.re_extract(r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*)", 1),
    ).nullif("")


def band_rows(e: ibis.Table, cfg: FeatureConfig) -> ibis.Table:
    """(account_id, h, c, band, v): distinct prompt SimHashes h of each account with their
    exchange count c, one row per LSH band (cohort.simhash_bands bands of 64/B bits, v the
    band's bits). SimHash 0 (no token) and nulls are left out."""
    pairs = (
        e.filter(e.prompt_simhash.notnull() & (e.prompt_simhash != 0))
        .group_by(["account_id", "prompt_simhash"])
        .agg(c=lambda x: x.count())
        .rename(h="prompt_simhash")
    )
    nb = cfg.cohort.simhash_bands
    width = 64 // nb
    mask = (1 << width) - 1 if width < 64 else -1
    parts = [
        pairs.mutate(band=ibis.literal(i, "int64"), v=(pairs.h >> (i * width)) & mask)
        for i in range(nb)
    ]
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _literal(text: str) -> str:
    """`text` as a regular expression matching itself (RE2 and Java: metacharacters escaped)."""
    return "".join("\\" + ch if ch in ".^$*+?()[]{}|\\" else ch for ch in text)


def derive(e: ibis.Table, cfg: FeatureConfig) -> ibis.Table:
    """Row-wise derived columns every family shares (cutoff-independent); drops the prompt text."""
    t_ms = e.ts.epoch_seconds().floor().cast("int64") * 1000 + e.ts.millisecond().cast("int64")
    offsets = cfg.cadence.country_utc_offset
    offset = (
        e.country.substitute(offsets, else_=ibis.null("int64")) if offsets else ibis.null("int64")
    )
    phrases = cfg.content.reasoning_phrases
    # one regular expression of the escaped phrases on the lowered text: the same as
    # OR-ing contains() per phrase, without lowering the prompt once per phrase
    reasoning = (
        e.prompt.lower().re_search("|".join(_literal(p.lower()) for p in phrases))
        if phrases
        else ibis.null("bool")
    )
    return e.mutate(
        t_ms=t_ms,
        hour=e.ts.hour().cast("int64"),
        day=e.ts.date(),
        hour_ts=e.ts.truncate("h"),
        prefix=ip_prefix(e.ip),
        local_hour=(e.ts.hour().cast("int64") + offset + 24) % 24,
        prompt_chars=e.prompt.length().cast("int64"),
        reasoning=ibis.cases((e.prompt.isnull(), ibis.null("bool")), else_=reasoning),
    ).drop("prompt")


def with_previous(e: ibis.Table) -> ibis.Table:
    """Add prev_ts / prev_t_ms: the account's previous exchange (in ORDER) over the whole log.

    A window ``[lo, hi)`` then gets its inter-arrival gaps without re-sorting: the previous
    exchange of an in-window exchange is in the window exactly when ``prev_ts >= lo`` (it
    is not later, so it is before hi; if it is before lo, so is everything before it).
    """
    w = ibis.window(group_by="account_id", order_by=[e[c] for c in ORDER])
    return e.mutate(prev_ts=e.ts.lag().over(w), prev_t_ms=e.t_ms.lag().over(w))
