"""Point-in-time inputs of one feature pass: the window's events, accounts as of the cutoff.

Everything a family sees is derived here, so the cutoff rule lives in one place:
events with ``as_of - window <= ts < as_of``, accounts with ``created_at < as_of``,
first appearances (per account, per model) among events with ``ts < as_of``.
Row-wise derived columns are in features.derive; the pass machinery (fixed tables,
compiled-SQL cache, per-pass stages) in features.passes.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import ibis
import pandas as pd

from distillguard.contract.spec import TABLES
from features import engine
from features.config import FeatureConfig, parse_duration, window_label
from features.derive import (  # noqa: F401  (re-exported: families import them from here)
    ORDER,
    band_rows,
    derive,
    ensure_columns,
    ip_prefix,
    to_utc,
    with_previous,
)
from features.passes import Prepared, Tables

log = logging.getLogger(__name__)

OPTIONAL_EVENT_COLUMNS = [c.name for c in TABLES["events"] if not c.required]
OPTIONAL_ACCOUNT_COLUMNS = [c.name for c in TABLES["accounts"] if not c.required]
_prefix = ip_prefix  # the name the families used before the split


def prepare(inputs, cfg: FeatureConfig, materialize: bool = False) -> Prepared:
    """Normalise an Inputs-like object (``.events``, ``.accounts``, optional ``.con``).

    The first event of each account and each model is the minimum over the whole log; a
    pass at cutoff T keeps only those before T, which equals the minimum over ``ts < T``.

    Args:
        inputs: the input tables.
        cfg: feature configuration.
        materialize: store the derived events (no prompt text) once in the engine, with
            each exchange's predecessor (features.derive.with_previous) so that no pass
            sorts again; worth it when many cutoffs follow (snapshots), not for one pass.
    """
    con = getattr(inputs, "con", None) or inputs.events._find_backend()
    engine.quiet(con)
    events = derive(ensure_columns(inputs.events, "events"), cfg)
    owned = []
    if materialize:
        if engine.backend_name(con) == "duckdb":
            events = engine.materialize_with_previous_duckdb(con, events, ORDER)
        else:
            events = engine.materialize(con, with_previous(events), "events")
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
        slot=n,
        cfg_key=cfg.model_dump_json(),
        presorted=materialize,
    )


def window_events(
    prep: Prepared, as_of: pd.Timestamp, window: timedelta, cfg: FeatureConfig, gap: bool = True
) -> ibis.Table:
    """The window's events (derived columns plus the inter-arrival gap), not materialised.

    With ``gap=False`` (and events not presorted) the gap column is left for
    :func:`_fill_window` to add on a narrow sort.
    """
    e = prep.events
    lo = ibis.literal(as_of - window, type="timestamp('UTC')")
    hi = ibis.literal(as_of, type="timestamp('UTC')")
    e = e.filter(e.ts >= lo, e.ts < hi)
    # an account that did not exist yet at the cutoff is not seen, whatever its events say
    e = e.semi_join(prep.accounts.filter(prep.accounts.created_at < hi), "account_id")
    if prep.presorted:
        gap = ibis.cases((e.prev_ts >= lo, e.t_ms - e.prev_t_ms), else_=ibis.null("int64"))
        return e.mutate(gap_ms=gap).drop("prev_ts", "prev_t_ms")
    if not gap:
        return e
    w = ibis.window(group_by="account_id", order_by=[e[c] for c in ORDER])
    return e.mutate(gap_ms=e.t_ms - e.t_ms.lag().over(w))


def _fill_window(prep: Prepared, as_of: pd.Timestamp, td: timedelta, cfg: FeatureConfig) -> None:
    """Fill the window table ``w``; on DuckDB the gaps are sorted on narrow rows.

    Sorting the wide rows for the lag costs several times the narrow sort plus a join on
    DuckDB's row ids, so there the window is stored first and the gaps joined to it.
    """
    if prep.presorted or engine.backend_name(prep.con) != "duckdb":
        prep.fill("w", window_events(prep, as_of, td, cfg))
        return
    prep.fill("w0", window_events(prep, as_of, td, cfg, gap=False))
    engine.add_gap_duckdb(prep.con, prep.names["w0"], prep._name("w"), ORDER)


def _models_at(prep: Prepared, hi: ibis.Value, cfg: FeatureConfig) -> ibis.Table:
    """Models first seen before the cutoff, flagged new when first seen after the warm-up."""
    mf = prep.model_first.filter(prep.model_first.first_ts < hi)
    if prep.log_start is None:
        return mf.mutate(is_new=ibis.literal(False))
    floor = prep.log_start + parse_duration(cfg.adoption.min_log_history)
    return mf.mutate(is_new=mf.first_ts >= ibis.literal(floor, type="timestamp('UTC')"))


def tables_at(
    prep: Prepared,
    as_of: pd.Timestamp,
    window: str | timedelta,
    cfg: FeatureConfig,
    due: pd.Series | None = None,
) -> Tables:
    """Refill the fixed tables for cutoff `as_of` and return the (reused) Tables.

    Args:
        prep: the prepared inputs.
        as_of: the cutoff.
        window: the look-back window.
        cfg: feature configuration.
        due: account ids whose features are wanted (snapshots). The returned Tables then
            also has ``.due``: the same tables restricted to those accounts, for the
            families whose value for an account reads only that account's rows.
    """
    td = parse_duration(window)
    hi = ibis.literal(as_of, type="timestamp('UTC')")
    a = prep.accounts.filter(prep.accounts.created_at < hi)
    cutoff_s = float(as_of.timestamp())
    _fill_window(prep, as_of, td, cfg)
    fill = {
        "a": a.mutate(
            age_days=(cutoff_s - a.created_at.epoch_seconds().floor().cast("float64")) / 86400.0,
            # the cutoff itself, for families whose SQL is compiled once and rerun per pass
            cutoff_s=ibis.literal(cutoff_s, type="float64"),
        ),
        "af": prep.account_first.filter(prep.account_first.first_ts < hi),
        "mf": _models_at(prep, hi, cfg),
    }
    for key, expr in fill.items():
        prep.fill(key, expr)
    prep.stage("b", lambda: band_rows(prep.fixed("w"), cfg))
    label = window_label(td)
    if prep.tables is None or prep.tables.label != label:
        prep.tables = Tables(
            con=prep.con,
            events=prep.fixed("w"),
            accounts=prep.fixed("a"),
            account_first=prep.fixed("af"),
            model_first=prep.fixed("mf"),
            bands=prep.fixed("b"),
            log_start=prep.log_start,
            label=label,
            window=td,
        )
    t = prep.tables
    t.due = None
    if due is not None:
        prep.fill_ids("due", due)
        ids = prep.fixed("due")
        prep.stage("wd", lambda: t.events.semi_join(ids, "account_id"))
        prep.stage("bd", lambda: t.bands.semi_join(ids, "account_id"))
        t.due = Tables(
            **{**t.__dict__, "events": prep.fixed("wd"), "bands": prep.fixed("bd"), "due": None}
        )
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
    if t.due is not None:
        t.due.available, t.due.as_of = t.available, as_of
    return t
