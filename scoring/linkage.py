"""Shared-attribute links between flagged accounts, from the contract columns (Ibis; any backend).

Two flagged accounts are linked when, in the scoring window, they share a rare value of one of:
an IP /24 (IPv6: first three groups), a TLS or header fingerprint (client infrastructure), a
payment instrument, a sign-up wave (same sign-up bucket from the same /24) or a prompt template
(a band of the prompt SimHash, locality-sensitive). A value used by a large share of all active
accounts (a popular SDK's fingerprint, a big ISP's /24) links nothing, and neither does a value
mostly used by accounts that were not flagged: rings are made of what their own members share.
"""

from __future__ import annotations

import logging
from datetime import datetime

import ibis
import pandas as pd

from scoring.config import RingsConfig

log = logging.getLogger(__name__)


def _prefix(ip: ibis.Column) -> ibis.Column:
    return ibis.ifelse(
        ip.contains("."),
        ip.re_extract(r"^(\d+\.\d+\.\d+)\.", 1),
        ip.re_extract(r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*)", 1),
    )


def memberships(inputs, as_of: datetime, window: pd.Timedelta, cfg: RingsConfig) -> ibis.Table:
    """(account_id, kind, value) for every account active in [as_of - window, as_of)."""
    as_of_lit = ibis.literal(pd.Timestamp(as_of).to_pydatetime())
    start_lit = ibis.literal((pd.Timestamp(as_of) - window).to_pydatetime())
    ev = inputs.events
    ev = ev.filter((ev.ts >= start_lit) & (ev.ts < as_of_lit))
    parts: list[ibis.Table] = []

    def add(table: ibis.Table, kind: str, value: ibis.Value) -> None:
        if kind in cfg.kinds:
            sel = table.select(account_id=table.account_id, kind=ibis.literal(kind), value=value)
            parts.append(sel.filter(sel.value.notnull() & (sel.value != "")))

    add(ev, "ip_prefix", _prefix(ev.ip))
    add(ev, "tls_fingerprint", ev.tls_fingerprint.cast("string"))
    add(ev, "header_fingerprint", ev.header_fingerprint.cast("string"))
    if "prompt_template" in cfg.kinds:
        bits = 64 // cfg.simhash_bands
        mask = (1 << bits) - 1
        h = ev.filter(ev.prompt_simhash.notnull() & (ev.prompt_simhash != 0))
        for b in range(cfg.simhash_bands):
            band = ((h.prompt_simhash >> (b * bits)) & mask).cast("string")
            add(h, "prompt_template", ibis.literal(f"band{b}:") + band)
    active = ev.select("account_id").distinct()
    acc = inputs.accounts.semi_join(active, "account_id")
    acc = acc.filter(acc.created_at < as_of_lit)
    add(acc, "payment_fingerprint", acc.payment_fingerprint.cast("string"))
    bucket = acc.created_at.epoch_seconds() // (60 * cfg.signup_wave_minutes)
    wave = bucket.cast("string") + ibis.literal("@") + _prefix(acc.signup_ip)  # null: no wave
    add(acc, "signup_wave", wave)
    if not parts:
        raise ValueError(f"rings: no link kinds configured (kinds={cfg.kinds})")
    return ibis.union(*parts, distinct=True)


def shared_values(
    inputs, as_of: datetime, window: pd.Timedelta, account_ids, cfg: RingsConfig
) -> pd.DataFrame:
    """(account_id, kind, value) rows of `account_ids` for the rare values at least two share.

    Args:
        inputs: contract inputs (``.events``, ``.accounts`` as Ibis tables).
        as_of: scoring cutoff; only events before it are read.
        window: look-back window of the scoring features.
        account_ids: the flagged accounts to link.
        cfg: ring settings (kinds, rarity cap, wave bucket, SimHash bands).
    """
    ids = pd.Series(list(account_ids), dtype="object").astype(str).unique()
    if len(ids) < 2:
        return pd.DataFrame(columns=["account_id", "kind", "value"])
    m = memberships(inputs, as_of, window, cfg)
    n_active = (
        inputs.events.filter(
            (inputs.events.ts >= ibis.literal((pd.Timestamp(as_of) - window).to_pydatetime()))
            & (inputs.events.ts < ibis.literal(pd.Timestamp(as_of).to_pydatetime()))
        )
        .account_id.nunique()
        .execute()
    )
    cap = max(cfg.min_value_population_cap, int(cfg.max_value_population_share * n_active))
    flagged = ibis.memtable(pd.DataFrame({"account_id": ids}))
    fm = m.semi_join(flagged, "account_id")
    shared = fm.group_by(["kind", "value"]).aggregate(n_flagged=fm.account_id.nunique())
    shared = shared.filter(shared.n_flagged >= 2)
    pop = m.semi_join(shared, ["kind", "value"])
    pop = pop.group_by(["kind", "value"]).aggregate(n_population=pop.account_id.nunique())
    keep = shared.join(pop, ["kind", "value"])
    keep = keep.filter(
        (keep.n_population <= cap)
        & (keep.n_flagged >= keep.n_population * cfg.min_flagged_share)
        & ((keep.kind != "prompt_template") | (keep.n_flagged >= cfg.min_prompt_accounts))
    )
    rows = fm.semi_join(keep, ["kind", "value"]).to_pyarrow().to_pandas()
    log.info(
        "rings: %d shared values link %d flagged accounts (rarity cap %d of %d active)",
        rows.groupby(["kind", "value"]).ngroups if len(rows) else 0,
        rows["account_id"].nunique() if len(rows) else 0,
        cap,
        n_active,
    )
    return rows
