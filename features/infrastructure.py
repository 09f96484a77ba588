"""Infrastructure: where an account's traffic comes from, and with which client.

Proxy networks rotate many IPs, /24s, ASNs and countries per account, over datacenter
and hosting-proxy networks, with custom clients whose TLS and header fingerprints are
rare in the population; a person uses a few home/office networks and a common SDK.
"""

from __future__ import annotations

import ibis

from features.aggs import distinct, left_join_all, ratio, share
from features.catalogue import Spec
from features.config import FeatureConfig
from features.frame import Tables

NET_KINDS = ("datacenter", "hosting_proxy", "residential", "mobile", "education", "corporate")
FPS = {"tls": "tls_fingerprint", "header": "header_fingerprint", "user_agent": "user_agent"}

SPECS = [
    Spec("infra_distinct_ips_{w}", "distinct client IPs", ("events.ip",)),
    Spec(
        "infra_ip_rotation_{w}",
        "distinct IPs per exchange (1 = a new IP every time)",
        ("events.ip",),
    ),
    Spec("infra_distinct_prefixes_{w}", "distinct /24 prefixes (IPv6: /48)", ("events.ip",)),
    Spec("infra_distinct_asns_{w}", "distinct autonomous systems", ("events.asn",)),
    Spec("infra_distinct_countries_{w}", "distinct IP countries", ("events.country",)),
    *[
        Spec(
            f"infra_{k}_share_{{w}}", f"share of exchanges from {k} networks", ("events.asn_kind",)
        )
        for k in NET_KINDS
    ],
    Spec("infra_distinct_tls_{w}", "distinct TLS fingerprints", ("events.tls_fingerprint",)),
    Spec(
        "infra_distinct_header_{w}", "distinct header fingerprints", ("events.header_fingerprint",)
    ),
    Spec("infra_distinct_user_agent_{w}", "distinct user agents", ("events.user_agent",)),
    *[
        Spec(
            f"infra_{k}_rarity_{{w}}",
            f"exchange-weighted mean of -log10(share of active accounts using the {col}); "
            "high = a client few accounts use",
            (f"events.{col}",),
        )
        for k, col in FPS.items()
    ],
]


def rarity(t: Tables, col: str) -> ibis.Table:
    """Per account: exchange-weighted mean of -log10(accounts using the value / population)."""
    e = t.events
    pairs = e.filter(e[col].notnull()).group_by(["account_id", col]).agg(c=lambda x: x.count())
    pop = pairs.group_by(col).agg(k=pairs.account_id.nunique())
    j = pairs.join(pop, col)
    score = -(j.k.cast("float64") / t.population.cast("float64")).log10()
    return j.group_by("account_id").agg(r=ratio((score * j.c).sum(), j.c.sum()))


def build(t: Tables, as_of, window: str, cfg: FeatureConfig) -> ibis.Table:
    """Network and client spread over ``[as_of - window, as_of)``, per active account.

    Args:
        t: the cutoff's tables (window events carry ``prefix``, the /24 of ``ip``).
        as_of: the cutoff (already applied in `t`).
        window: the window (already applied in `t`).
        cfg: feature configuration (unused: no thresholds in this family).
    """
    e, w = t.events, t.label
    g = e.group_by("account_id").agg(
        n=e.count(),
        ips=e.ip.nunique(),
        prefixes=distinct(e.prefix),
        asns=distinct(e.asn),
        countries=distinct(e.country),
        tls=distinct(e.tls_fingerprint),
        header=distinct(e.header_fingerprint),
        ua=distinct(e.user_agent),
        **{f"k_{k}": share(e.asn_kind == k) for k in NET_KINDS},
    )
    rares = {k: rarity(t, col).rename(**{f"r_{k}": "r"}) for k, col in FPS.items()}
    j = left_join_all(g, *rares.values())
    return j.select(
        "account_id",
        **{
            f"infra_distinct_ips_{w}": j.ips.cast("float64"),
            f"infra_ip_rotation_{w}": ratio(j.ips, j.n),
            f"infra_distinct_prefixes_{w}": j.prefixes,
            f"infra_distinct_asns_{w}": j.asns,
            f"infra_distinct_countries_{w}": j.countries,
            **{f"infra_{k}_share_{w}": j[f"k_{k}"] for k in NET_KINDS},
            f"infra_distinct_tls_{w}": j.tls,
            f"infra_distinct_header_{w}": j.header,
            f"infra_distinct_user_agent_{w}": j.ua,
            **{f"infra_{k}_rarity_{w}": j[f"r_{k}"] for k in FPS},
        },
    )
