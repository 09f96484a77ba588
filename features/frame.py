"""Point-in-time inputs of one feature pass: the window's events, accounts as of the cutoff.

Everything a family sees is derived here, so the cutoff rule lives in one place:
events with ``as_of - window <= ts < as_of``, accounts with ``created_at < as_of``,
first appearances (per account, per model) among events with ``ts < as_of``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis
import pandas as pd

from distillguard.contract.spec import TABLES
from features import engine
from features.config import FeatureConfig, parse_duration, window_label

log = logging.getLogger(__name__)

OPTIONAL_EVENT_COLUMNS = [c.name for c in TABLES["events"] if not c.required]
OPTIONAL_ACCOUNT_COLUMNS = [c.name for c in TABLES["accounts"] if not c.required]


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


@dataclass
class Prepared:
    """Cutoff-independent inputs, reused by every pass of a snapshot build."""

    con: object
    events: ibis.Table
    accounts: ibis.Table
    account_first: ibis.Table  # account_id, first_ts: the account's first event (whole log)
    model_first: ibis.Table  # model, first_ts: the model's first event (whole log)
    log_start: pd.Timestamp | None
    log_end: pd.Timestamp | None
    owned: list[ibis.Table] = field(default_factory=list)

    def close(self) -> None:
        """Drop the temporary tables this object made."""
        for t in self.owned:
            engine.release(self.con, t)
        self.owned.clear()


def prepare(inputs) -> Prepared:
    """Normalise an Inputs-like object (``.events``, ``.accounts``, optional ``.con``).

    The first event of each account and each model is the minimum over the whole log; a
    pass at cutoff T keeps only those before T, which equals the minimum over ``ts < T``.
    """
    events = ensure_columns(inputs.events, "events")
    accounts = ensure_columns(inputs.accounts, "accounts")
    con = getattr(inputs, "con", None) or inputs.events._find_backend()
    acc_first = engine.materialize(
        con, events.group_by("account_id").agg(first_ts=events.ts.min()), "acct_first"
    )
    mod_first = engine.materialize(
        con, events.group_by("model").agg(first_ts=events.ts.min()), "model_first"
    )
    span = engine.to_pandas(mod_first.agg(lo=mod_first.first_ts.min()))
    end = engine.to_pandas(events.agg(hi=events.ts.max()))
    lo, hi = span["lo"].iloc[0], end["hi"].iloc[0]
    return Prepared(
        con=con,
        events=events,
        accounts=accounts,
        account_first=acc_first,
        model_first=mod_first,
        log_start=None if pd.isna(lo) else to_utc(lo),
        log_end=None if pd.isna(hi) else to_utc(hi),
        owned=[acc_first, mod_first],
    )


@dataclass
class Tables:
    """What every family function receives for one cutoff."""

    con: object
    events: ibis.Table  # window events with derived columns (materialised)
    accounts: ibis.Table  # accounts created before as_of
    account_first: ibis.Table  # first event per account, before as_of
    model_first: ibis.Table  # first event per model, before as_of
    log_start: pd.Timestamp | None
    active: ibis.Table  # account_id of accounts with >= 1 window event
    population: int  # number of active accounts
    available: frozenset[str]  # optional columns with at least one non-null value
    label: str  # window label used in feature names, e.g. "7d"


def _prefix(ip: ibis.Value) -> ibis.Value:
    """The /24 of an IPv4 address, or the first three groups (/48) of an IPv6 one."""
    return ibis.cases(
        (ip.contains("."), ip.re_extract(r"^(\d+\.\d+\.\d+)\.", 1)),
        else_=ip.re_extract(r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*)", 1),
    ).nullif("")


def window_events(
    prep: Prepared, as_of: pd.Timestamp, window: timedelta, cfg: FeatureConfig
) -> ibis.Table:
    """The window's events with the derived columns every family shares (not materialised)."""
    e = prep.events
    lo = ibis.literal(as_of - window, type="timestamp('UTC')")
    hi = ibis.literal(as_of, type="timestamp('UTC')")
    e = e.filter(e.ts >= lo, e.ts < hi)
    t_ms = e.ts.epoch_seconds().cast("int64") * 1000 + e.ts.millisecond().cast("int64")
    offsets = cfg.cadence.country_utc_offset
    offset = (
        e.country.substitute(offsets, else_=ibis.null("int64")) if offsets else ibis.null("int64")
    )
    low = e.prompt.lower()
    phrases = cfg.content.reasoning_phrases
    reasoning = (
        ibis.or_(*[low.contains(p.lower()) for p in phrases]) if phrases else ibis.null("bool")
    )
    e = e.mutate(
        t_ms=t_ms,
        hour=e.ts.hour().cast("int64"),
        day=e.ts.date(),
        hour_ts=e.ts.truncate("h"),
        prefix=_prefix(e.ip),
        local_hour=(e.ts.hour().cast("int64") + offset + 24) % 24,
        prompt_chars=e.prompt.length().cast("int64"),
        reasoning=ibis.cases((e.prompt.isnull(), ibis.null("bool")), else_=reasoning),
    ).drop("prompt")
    w = ibis.window(group_by="account_id", order_by=[e.t_ms, e.request_id])
    return e.mutate(gap_ms=e.t_ms - e.t_ms.lag().over(w))


def tables_at(
    prep: Prepared, as_of: pd.Timestamp, window: str | timedelta, cfg: FeatureConfig
) -> Tables:
    """Materialise the window for cutoff `as_of` and gather what the families need."""
    td = parse_duration(window)
    hi = ibis.literal(as_of, type="timestamp('UTC')")
    ev = engine.materialize(prep.con, window_events(prep, as_of, td, cfg), "window")
    acc = prep.accounts.filter(prep.accounts.created_at < hi)
    checks = {c: ev[c].count() for c in OPTIONAL_EVENT_COLUMNS if c in ev.columns}
    checks["prompt"] = ev.prompt_chars.count()
    checks["_n"] = ev.account_id.nunique()
    counts = engine.to_pandas(ev.agg(**checks)).iloc[0]
    acc_counts = engine.to_pandas(
        acc.agg(**{c: acc[c].count() for c in OPTIONAL_ACCOUNT_COLUMNS})
    ).iloc[0]
    available = {c for c, n in counts.items() if c != "_n" and n > 0}
    available |= {c for c, n in acc_counts.items() if n > 0}
    return Tables(
        con=prep.con,
        events=ev,
        accounts=acc,
        account_first=prep.account_first.filter(prep.account_first.first_ts < hi),
        model_first=prep.model_first.filter(prep.model_first.first_ts < hi),
        log_start=prep.log_start,
        active=ev.select("account_id").distinct(),
        population=int(counts["_n"]),
        available=frozenset(available),
        label=window_label(td),
    )
