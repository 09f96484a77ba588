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
class Tables:
    """What every family function receives for one cutoff.

    The tables have fixed names that each pass of a :class:`Prepared` refills, so family
    expressions are built and compiled once and rerun at every cutoff: a family must depend
    on the cutoff only through these tables, never through Python values of `as_of`.
    """

    con: object
    events: ibis.Table  # window events with derived columns
    accounts: ibis.Table  # accounts created before as_of, with age_days
    account_first: ibis.Table  # first event per account, before as_of
    model_first: ibis.Table  # first event per model, before as_of
    log_start: pd.Timestamp | None
    label: str  # window label used in feature names, e.g. "7d"
    window: timedelta
    available: frozenset[str] = frozenset()  # optional columns with a value (this pass)
    bands: ibis.Table | None = None  # prompt SimHash LSH band rows (see band_rows)
    as_of: pd.Timestamp | None = None  # this pass's cutoff (informational)

    @property
    def active(self) -> ibis.Table:
        """account_id of the accounts with >= 1 window event."""
        return self.events.select("account_id").distinct()

    @property
    def population(self) -> ibis.Value:
        """Number of active accounts (a scalar expression)."""
        return self.events.agg(n=self.events.account_id.nunique()).as_scalar()


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
    names: dict[str, str] = field(default_factory=dict)
    tables: Tables | None = None

    slot: int = 0
    cfg_key: str = ""

    def run(self, key: str, queries) -> dict[str, pd.DataFrame]:
        """Execute the named queries of `key`; `queries()` is built and compiled only once.

        Compiled SQL is cached process-wide by (engine, table slot, config, window, key): it
        reads only the fixed-name tables, so any later pass with the same settings reuses it.
        """
        label = self.tables.label if self.tables is not None else ""
        ck = (engine.backend_name(self.con), self.slot, self.cfg_key, label, key)
        if ck not in _SQL:
            _SQL[ck] = {k: engine.compile_sql(self.con, e) for k, e in queries().items()}
        return {k: engine.run_sql(self.con, s) for k, s in _SQL[ck].items()}

    def close(self) -> None:
        """Drop the temporary tables this object made."""
        for t in self.owned:
            engine.release(self.con, t)
        for name in self.names.values():
            engine.drop_fixed(self.con, name)
        engine.release_slot(self.con, self.slot)
        self.owned.clear()
        self.names.clear()


_SQL: dict[tuple, dict[str, str]] = {}


def prepare(inputs, cfg: FeatureConfig, materialize: bool = False) -> Prepared:
    """Normalise an Inputs-like object (``.events``, ``.accounts``, optional ``.con``).

    The first event of each account and each model is the minimum over the whole log; a
    pass at cutoff T keeps only those before T, which equals the minimum over ``ts < T``.

    Args:
        inputs: the input tables.
        cfg: feature configuration.
        materialize: store the derived events (no prompt text) once in the engine; worth it
            when many cutoffs follow (snapshots), not for a single pass.
    """
    con = getattr(inputs, "con", None) or inputs.events._find_backend()
    engine.quiet(con)
    events = derive(ensure_columns(inputs.events, "events"), cfg)
    owned = []
    if materialize:
        events = engine.materialize(con, events, "events")
        owned.append(events)
    accounts = engine.materialize(con, ensure_columns(inputs.accounts, "accounts"), "accounts")
    # one scan of the log: first/last event per (account, model); the rest derives from it
    ev = events if materialize else inputs.events
    pairs = engine.materialize(
        con,
        ev.group_by(["account_id", "model"]).agg(first_ts=ev.ts.min(), last_ts=ev.ts.max()),
        "pairs",
    )
    acc_first = engine.materialize(
        con, pairs.group_by("account_id").agg(first_ts=pairs.first_ts.min()), "acct_first"
    )
    mod_first = engine.materialize(
        con, pairs.group_by("model").agg(first_ts=pairs.first_ts.min()), "model_first"
    )
    span = engine.to_pandas(pairs.agg(lo=pairs.first_ts.min(), hi=pairs.last_ts.max()))
    lo, hi = span["lo"].iloc[0], span["hi"].iloc[0]
    n = engine.acquire_slot(con)
    return Prepared(
        con=con,
        events=events,
        accounts=accounts,
        account_first=acc_first,
        model_first=mod_first,
        log_start=None if pd.isna(lo) else to_utc(lo),
        log_end=None if pd.isna(hi) else to_utc(hi),
        owned=[*owned, acc_first, mod_first, pairs, accounts],
        names={k: f"_dg{n}_{k}" for k in ("w", "a", "af", "mf", "b")},
        slot=n,
        cfg_key=cfg.model_dump_json(),
    )


def _prefix(ip: ibis.Value) -> ibis.Value:
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


def derive(e: ibis.Table, cfg: FeatureConfig) -> ibis.Table:
    """Row-wise derived columns every family shares (cutoff-independent); drops the prompt text."""
    t_ms = e.ts.epoch_seconds().floor().cast("int64") * 1000 + e.ts.millisecond().cast("int64")
    offsets = cfg.cadence.country_utc_offset
    offset = (
        e.country.substitute(offsets, else_=ibis.null("int64")) if offsets else ibis.null("int64")
    )
    low = e.prompt.lower()
    phrases = cfg.content.reasoning_phrases
    reasoning = (
        ibis.or_(*[low.contains(p.lower()) for p in phrases]) if phrases else ibis.null("bool")
    )
    return e.mutate(
        t_ms=t_ms,
        hour=e.ts.hour().cast("int64"),
        day=e.ts.date(),
        hour_ts=e.ts.truncate("h"),
        prefix=_prefix(e.ip),
        local_hour=(e.ts.hour().cast("int64") + offset + 24) % 24,
        prompt_chars=e.prompt.length().cast("int64"),
        reasoning=ibis.cases((e.prompt.isnull(), ibis.null("bool")), else_=reasoning),
    ).drop("prompt")


def window_events(
    prep: Prepared, as_of: pd.Timestamp, window: timedelta, cfg: FeatureConfig
) -> ibis.Table:
    """The window's events (derived columns plus the inter-arrival gap), not materialised."""
    e = prep.events
    lo = ibis.literal(as_of - window, type="timestamp('UTC')")
    hi = ibis.literal(as_of, type="timestamp('UTC')")
    e = e.filter(e.ts >= lo, e.ts < hi)
    # an account that did not exist yet at the cutoff is not seen, whatever its events say
    e = e.semi_join(prep.accounts.filter(prep.accounts.created_at < hi), "account_id")
    w = ibis.window(group_by="account_id", order_by=[e.t_ms, e.request_id])
    return e.mutate(gap_ms=e.t_ms - e.t_ms.lag().over(w))


def _models_at(prep: Prepared, hi: ibis.Value, cfg: FeatureConfig) -> ibis.Table:
    """Models first seen before the cutoff, flagged new when first seen after the warm-up."""
    mf = prep.model_first.filter(prep.model_first.first_ts < hi)
    if prep.log_start is None:
        return mf.mutate(is_new=ibis.literal(False))
    floor = prep.log_start + parse_duration(cfg.adoption.min_log_history)
    return mf.mutate(is_new=mf.first_ts >= ibis.literal(floor, type="timestamp('UTC')"))


def tables_at(
    prep: Prepared, as_of: pd.Timestamp, window: str | timedelta, cfg: FeatureConfig
) -> Tables:
    """Refill the fixed tables for cutoff `as_of` and return the (reused) Tables."""
    td = parse_duration(window)
    hi = ibis.literal(as_of, type="timestamp('UTC')")
    a = prep.accounts.filter(prep.accounts.created_at < hi)
    cutoff_s = float(as_of.timestamp())
    fill = {
        "w": window_events(prep, as_of, td, cfg),
        "a": a.mutate(
            age_days=(cutoff_s - a.created_at.epoch_seconds().floor().cast("float64")) / 86400.0
        ),
        "af": prep.account_first.filter(prep.account_first.first_ts < hi),
        "mf": _models_at(prep, hi, cfg),
    }
    for key, expr in fill.items():
        engine.replace_fixed(prep.con, prep.names[key], expr)
    w_table = engine.fixed_table(prep.con, prep.names["w"])
    engine.replace_fixed(prep.con, prep.names["b"], band_rows(w_table, cfg))
    label = window_label(td)
    if prep.tables is None or prep.tables.label != label:
        tab = {k: engine.fixed_table(prep.con, n) for k, n in prep.names.items()}
        prep.tables = Tables(
            con=prep.con,
            events=tab["w"],
            accounts=tab["a"],
            account_first=tab["af"],
            model_first=tab["mf"],
            bands=tab["b"],
            log_start=prep.log_start,
            label=label,
            window=td,
        )
    t = prep.tables
    ev, acc = t.events, t.accounts

    def checks():
        c = {col: ev[col].count() for col in OPTIONAL_EVENT_COLUMNS if col in ev.columns}
        c["prompt"] = ev.prompt_chars.count()
        return {
            "events": ev.agg(**c),
            "accounts": acc.agg(**{col: acc[col].count() for col in OPTIONAL_ACCOUNT_COLUMNS}),
        }

    counts = prep.run("_available", checks)
    available = set()
    for part in counts.values():
        available |= {c for c, n in part.iloc[0].items() if n and n > 0}
    t.available = frozenset(available)
    t.as_of = as_of
    return t
