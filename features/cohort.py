"""Cohort: what an account shares with other accounts, the core of ring detection.

Behavioural and population-relative: how many other accounts share the account's /24s,
TLS and header fingerprints, payment instrument, sign-up hour and wave, and prompt-SimHash
LSH bands; the size of its connected component in the shared-attribute graph
(features.cohort_graph); how closely its hourly activity tracks the rest of that component.
Legitimate groups share too (an enterprise behind one NAT, a university class signing up
together, an eval harness), so the component is also described by what tells them apart:
one organisation, one invoice, a special verification path. No label is read here.

The ring linkage used by scoring, :func:`link_edges`, is the same graph restricted to a set
of accounts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import ibis
import numpy as np
import pandas as pd

from features import engine
from features.catalogue import Spec
from features.cohort_graph import (
    account_values,
    activity_correlation,
    components,
    incidence,
    value_counts,
)
from features.config import FeatureConfig, parse_duration, resolve
from features.content import simhash_bands
from features.frame import Tables, prepare, tables_at, to_utc

log = logging.getLogger(__name__)

SHARE_KINDS = {
    "prefix": ("ip_prefix", ("events.ip",), "/24 prefixes"),
    "tls": ("tls_fingerprint", ("events.tls_fingerprint",), "TLS fingerprints"),
    "header": ("header_fingerprint", ("events.header_fingerprint",), "header fingerprints"),
    "prompt_band": ("prompt_band", ("events.prompt_simhash",), "prompt SimHash LSH band buckets"),
}
GRAPH = ("events.ip",)

SPECS = [
    *[
        Spec(
            f"cohort_{k}_accounts_{{w}}",
            f"most other active accounts sharing one of the account's {what}",
            needs,
        )
        for k, (_, needs, what) in SHARE_KINDS.items()
    ],
    Spec(
        "cohort_payment_accounts_asof",
        "other accounts (existing at the cutoff) with the same payment fingerprint",
        ("accounts.payment_fingerprint",),
        windowed=False,
    ),
    Spec(
        "cohort_signup_hour_accounts_asof",
        "other accounts created in the same cohort.signup_bucket",
        ("accounts.created_at",),
        windowed=False,
    ),
    Spec(
        "cohort_signup_wave_accounts_asof",
        "other accounts created in the same bucket from the same sign-up /24",
        ("accounts.created_at", "accounts.signup_ip"),
        windowed=False,
    ),
    Spec(
        "cohort_prompt_shared_share_{w}",
        "share of the account's prompted exchanges whose SimHash band is also sent by at least "
        "cohort.prompt_shared_min_accounts other accounts",
        ("events.prompt_simhash",),
    ),
    Spec(
        "cohort_component_size_{w}",
        "accounts in its connected component of the shared-attribute graph (uncommon values only)",
        GRAPH,
    ),
    Spec(
        "cohort_link_kinds_{w}", "number of attribute kinds through which it links to others", GRAPH
    ),
    Spec(
        "cohort_activity_corr_{w}",
        "Pearson correlation of its hourly exchange counts with the rest of its component's",
        GRAPH,
    ),
    Spec(
        "cohort_org_share_{w}",
        "share of the other component members in the account's organisation (0 without org)",
        ("accounts.org_id",),
    ),
    Spec(
        "cohort_payment_diversity_{w}",
        "distinct payment fingerprints per component member with one",
        ("accounts.payment_fingerprint",),
    ),
    Spec(
        "cohort_special_verification_share_{w}",
        "share of component members verified by a non-standard path (education, enterprise, ...)",
        ("accounts.verification_path",),
    ),
    Spec(
        "cohort_signup_span_hours_{w}",
        "hours between the first and last sign-up in the component",
        ("accounts.created_at",),
    ),
]


def _share_counts(t: Tables, cfg: FeatureConfig) -> ibis.Table:
    """Per active account: most other accounts sharing a value, for each kind (ibis)."""
    values = account_values(t, cfg)
    out = t.active
    for k, (kind, _, _) in SHARE_KINDS.items():
        pairs = values[kind]
        j = pairs.join(value_counts(pairs), "value")
        out = out.left_join(j.group_by("account_id").agg(**{k: j.n.max() - 1}), "account_id")
        out = out.drop("account_id_right")
    for k, kind in (("payment", "payment_fingerprint"), ("wave", "signup_wave")):
        pairs = values[kind]
        j = pairs.join(value_counts(pairs), "value").select("account_id", **{k: lambda x: x.n - 1})
        out = out.left_join(j, "account_id").drop("account_id_right")
    a = t.accounts
    bucket_s = int(parse_duration(cfg.cohort.signup_bucket).total_seconds())
    a = a.mutate(b=a.created_at.epoch_seconds().floor().cast("int64") // bucket_s)
    hour = a.join(a.group_by("b").agg(n=a.count()), "b").select(
        "account_id", hour=lambda x: x.n - 1
    )
    out = out.left_join(hour, "account_id").drop("account_id_right")
    bands = simhash_bands(t, cfg)
    bn = bands.group_by(["band", "v"]).agg(n=bands.account_id.nunique())
    bj = bands.join(bn, ["band", "v"])
    per_h = bj.group_by(["account_id", "h"]).agg(c=bj.c.max(), n=bj.n.max())
    shared = ibis.cases((per_h.n - 1 >= cfg.cohort.prompt_shared_min_accounts, per_h.c), else_=0)
    ps = per_h.group_by("account_id").agg(ps=shared.sum().cast("float64") / per_h.c.sum())
    return out.left_join(ps, "account_id").drop("account_id_right")


def _component_profile(comp: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    """What the component looks like: org sharing, payment diversity, verification, sign-up span."""
    d = comp.merge(attrs, on="account_id", how="left")
    vp = d["verification_path"]
    d["is_special"] = np.where(vp.isna(), np.nan, (vp != "standard").astype("float64"))
    g = d.groupby("component")
    prof = pd.DataFrame(
        {
            "pay_div": g["payment_fingerprint"].nunique()
            / g["payment_fingerprint"].count().replace(0, np.nan),
            "special": g["is_special"].mean(),
            "span": g["created_h"].max() - g["created_h"].min(),
        }
    )
    org_n = d.groupby(["component", "org_id"]).size().rename("org_n").reset_index()
    d = d.merge(org_n, on=["component", "org_id"], how="left")
    d["org_share"] = np.where(
        d["org_id"].notna(), (d["org_n"] - 1) / (d["size"] - 1).replace(0, np.nan), 0.0
    )
    d = d.join(prof, on="component")
    single = d["size"] <= 1
    for c in ("org_share", "pay_div", "special", "span"):
        d[c] = d[c].astype("float64").where(~single)
    return d[["account_id", "org_share", "pay_div", "special", "span"]]


def queries(t: Tables, cfg: FeatureConfig) -> dict[str, ibis.Table]:
    """The engine side of the cohort family: share counts, graph incidence, attributes, hours."""
    e = t.events
    hourly = (
        e.group_by(["account_id", "hour_ts"])
        .agg(n=e.count())
        .select(
            "account_id",
            "n",
            hour=lambda x: x.hour_ts.epoch_seconds().floor().cast("int64") // 3600,
        )
    )
    attrs = t.accounts.join(t.active, "account_id").select(
        "account_id",
        "org_id",
        "verification_path",
        "payment_fingerprint",
        created_h=lambda x: x.created_at.epoch_seconds().floor().cast("float64") / 3600.0,
    )
    return {
        "counts": _share_counts(t, cfg),
        "incidence": incidence(t, cfg),
        "attrs": attrs,
        "hourly": hourly,
    }


def finish(parts: dict[str, pd.DataFrame], t: Tables, cfg: FeatureConfig) -> pd.DataFrame:
    """The pandas side: components, activity correlation, component profile, named columns."""
    w = t.label
    counts = parts["counts"]
    comp = components(counts["account_id"], parts["incidence"])
    hours = int(t.window.total_seconds() // 3600) or 1
    corr = activity_correlation(comp, parts["hourly"], hours)
    prof = _component_profile(comp, parts["attrs"])
    d = counts.merge(comp, on="account_id").merge(prof, on="account_id")
    d["corr"] = d["account_id"].map(corr)
    return pd.DataFrame(
        {
            "account_id": d["account_id"],
            **{f"cohort_{k}_accounts_{w}": d[k] for k in SHARE_KINDS},
            "cohort_payment_accounts_asof": d["payment"],
            "cohort_signup_hour_accounts_asof": d["hour"],
            "cohort_signup_wave_accounts_asof": d["wave"],
            f"cohort_prompt_shared_share_{w}": d["ps"],
            f"cohort_component_size_{w}": d["size"],
            f"cohort_link_kinds_{w}": d["kinds"],
            f"cohort_activity_corr_{w}": d["corr"],
            f"cohort_org_share_{w}": d["org_share"],
            f"cohort_payment_diversity_{w}": d["pay_div"],
            f"cohort_special_verification_share_{w}": d["special"],
            f"cohort_signup_span_hours_{w}": d["span"],
        }
    )


def build(t: Tables, as_of, window: str | timedelta, cfg: FeatureConfig) -> pd.DataFrame:
    """Cohort features over ``[as_of - window, as_of)``; pandas, as the graph runs on fetched rows.

    Args:
        t: the cutoff's tables.
        as_of: the cutoff (already applied in `t`).
        window: the window (already applied in `t`).
        cfg: feature configuration (cohort section).
    """
    return finish({k: engine.to_pandas(q) for k, q in queries(t, cfg).items()}, t, cfg)


def link_edges(inputs, as_of, account_ids, window: str | None = None, config=None) -> pd.DataFrame:
    """Edges of the shared-attribute graph among `account_ids` (the rings of flagged accounts).

    A value links only if it is uncommon in the whole window population (see
    features.cohort_graph). With cohort.edge_mode 'star' each value links its accounts to
    the first of them (sorted), which keeps the edge count linear and the components
    identical to the full clique; 'clique' lists every pair.

    Args:
        inputs: Inputs-like object (``.events``, ``.accounts``, optional ``.con``).
        as_of: cutoff; only events in ``[as_of - window, as_of)`` are seen.
        account_ids: the accounts to link (e.g. the flagged ones).
        window: look-back window (default: configs/features.yaml).
        config: FeatureConfig, path or None.

    Returns:
        DataFrame (account_a, account_b, kind, value) with account_a < account_b.
    """
    cfg = resolve(config)
    prep = prepare(inputs, cfg)
    try:
        t = tables_at(prep, to_utc(as_of), window or cfg.window, cfg)
        ids = engine.upload(
            pd.DataFrame({"account_id": pd.Series(list(account_ids), dtype=object)})
        )
        inc = engine.to_pandas(incidence(t, cfg, accounts=ids))
    finally:
        prep.close()
    return edges_from_incidence(inc, cfg.cohort.edge_mode)


def edges_from_incidence(inc: pd.DataFrame, mode: str = "star") -> pd.DataFrame:
    """(account_a, account_b, kind, value) edges from (account_id, kind, value) rows."""
    cols = ["account_a", "account_b", "kind", "value"]
    if inc.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    inc = inc.drop_duplicates().sort_values(["kind", "value", "account_id"])
    rows = []
    for (kind, value), grp in inc.groupby(["kind", "value"], sort=False):
        ids = grp["account_id"].tolist()
        if len(ids) < 2:
            continue
        if mode == "clique":
            pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
        else:
            pairs = [(ids[0], b) for b in ids[1:]]
        rows.extend((a, b, kind, value) for a, b in pairs)
    return pd.DataFrame(rows, columns=cols).sort_values(cols).reset_index(drop=True)
