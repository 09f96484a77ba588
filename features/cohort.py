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
    activity_correlation,
    bucket_counts,
    components,
    incidence_bands,
    incidence_values,
    shared_values,
    stages,  # noqa: F401 (the family's stages, for features.build)
)
from features.cohort_links import edges_from_incidence, link_edges  # noqa: F401 (public here)
from features.config import FeatureConfig, parse_duration
from features.content import simhash_bands
from features.passes import Tables

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


def _share_counts(t: Tables, cfg: FeatureConfig, staged: dict) -> ibis.Table:
    """Per active account: most other accounts sharing a value, for each kind (ibis).

    Counts are over the whole population; rows only for the accounts asked for (``t.due``
    in a snapshot pass, else every active one).
    """
    own = t.due if t.due is not None else t
    v = staged["values"].semi_join(own.active, "account_id")

    def most(kind: str) -> ibis.Value:
        return ibis.cases((v.kind == kind, v.n), else_=ibis.null("int64")).max() - 1

    per = v.group_by("account_id").agg(
        **{k: most(kind) for k, (kind, _, _) in SHARE_KINDS.items() if kind != "prompt_band"},
        payment=most("payment_fingerprint"),
        wave=most("signup_wave"),
    )
    a = t.accounts
    bucket_s = int(parse_duration(cfg.cohort.signup_bucket).total_seconds())
    a = a.mutate(b=a.created_at.epoch_seconds().floor().cast("int64") // bucket_s)
    hour = a.join(a.group_by("b").agg(n=a.count()), "b").select(
        "account_id", hour=lambda x: x.n - 1
    )
    bands = simhash_bands(own, cfg)
    bj = bands.join(staged["buckets"], ["band", "v"])
    per_h = bj.group_by(["account_id", "h"]).agg(c=bj.c.max(), n=bj.n.max())
    shared = ibis.cases((per_h.n - 1 >= cfg.cohort.prompt_shared_min_accounts, per_h.c), else_=0)
    ps = per_h.group_by("account_id").agg(
        prompt_band=per_h.n.max() - 1, ps=shared.sum().cast("float64") / per_h.c.sum()
    )
    out = own.active
    for part in (per, hour, ps):
        out = out.left_join(part, "account_id").drop("account_id_right")
    return out


def _or(table: ibis.Table | None, empty: ibis.Table) -> ibis.Table:
    return empty if table is None else table


def _none(t: Tables) -> ibis.Table:
    return t.active.select("account_id", kind=ibis.literal("none"), value=ibis.literal("")).limit(0)


def _no_bands(t: Tables) -> ibis.Table:
    z = ibis.literal(0, "int64")
    return t.active.select("account_id", band=z, v=z).limit(0)


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


def queries(t: Tables, cfg: FeatureConfig, staged: dict) -> dict[str, ibis.Table]:
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
        "counts": _share_counts(t, cfg, staged),
        "incidence": _or(incidence_values(t, cfg, staged), _none(t)),
        "band_incidence": _or(incidence_bands(t, cfg, staged), _no_bands(t)),
        "attrs": attrs,
        "hourly": hourly,
    }


def finish(parts: dict[str, pd.DataFrame], t: Tables, cfg: FeatureConfig) -> pd.DataFrame:
    """The pandas side: components, activity correlation, component profile, named columns."""
    w = t.label
    counts = parts["counts"]
    # the graph spans every active account (attrs), the rows only those asked for (counts)
    comp = components(parts["attrs"]["account_id"], parts["incidence"], parts["band_incidence"])
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
    staged = {"values": shared_values(t, cfg, {}), "buckets": bucket_counts(t, cfg, {})}
    return finish({k: engine.to_pandas(q) for k, q in queries(t, cfg, staged).items()}, t, cfg)
