"""Account: the account record as of the cutoff, and how soon it started sending.

Ring accounts are made in bulk shortly before use (short age, short delay to the first
request), on disposable or webmail domains, paid with prepaid or virtual cards, and send
from countries other than their billing country.
"""

from __future__ import annotations

import ibis

from distillguard.contract.spec import (
    ASN_KINDS,
    EMAIL_DOMAIN_KINDS,
    PAYMENT_KINDS,
    TIERS,
    VERIFICATION_PATHS,
)
from features.aggs import share
from features.catalogue import Spec
from features.config import FeatureConfig
from features.frame import Tables

CATEGORICAL = {
    "email_domain_kind": EMAIL_DOMAIN_KINDS,
    "payment_kind": PAYMENT_KINDS,
    "verification_path": VERIFICATION_PATHS,
    "tier": TIERS,
    "signup_asn_kind": ASN_KINDS,
}

SPECS = [
    Spec(
        "account_age_days_asof",
        "days from sign-up to the cutoff",
        ("accounts.created_at",),
        windowed=False,
    ),
    Spec(
        "account_first_request_delay_days_asof",
        "days from sign-up to the account's first request (whole log before the cutoff)",
        ("accounts.created_at", "events.ts"),
        windowed=False,
    ),
    *[
        Spec(
            f"account_{c}_asof",
            f"account {c.replace('_', ' ')}",
            (f"accounts.{c}",),
            cats,
            windowed=False,
        )
        for c, cats in CATEGORICAL.items()
    ],
    Spec(
        "account_has_org_asof",
        "1 if the account belongs to an organisation",
        ("accounts.org_id",),
        windowed=False,
    ),
    Spec(
        "account_billing_country_match_share_{w}",
        "share of exchanges whose IP country equals the billing country",
        ("accounts.billing_country", "events.country"),
    ),
]


def build(t: Tables, as_of, window: str, cfg: FeatureConfig) -> ibis.Table:
    """Account record features as of `as_of` (plus one windowed match share), per active account.

    Args:
        t: the cutoff's tables (accounts already limited to ``created_at < as_of``).
        as_of: the cutoff, a UTC Timestamp.
        window: the window (already applied in `t`).
        cfg: feature configuration (unused: no thresholds in this family).
    """
    e, a, w = t.events, t.accounts, t.label
    a = a.join(t.active, "account_id").left_join(t.account_first, "account_id")
    a = a.drop("account_id_right") if "account_id_right" in a.columns else a
    created_s = a.created_at.epoch_seconds().floor().cast("float64")
    match = e.join(t.accounts.select("account_id", "billing_country"), "account_id")
    match = match.group_by("account_id").agg(m=share(match.country == match.billing_country))
    j = a.left_join(match, "account_id")
    return j.select(
        a.account_id,
        account_age_days_asof=a.age_days,
        account_first_request_delay_days_asof=(
            a.first_ts.epoch_seconds().floor().cast("float64") - created_s
        )
        / 86400.0,
        **{f"account_{c}_asof": a[c] for c in CATEGORICAL},
        account_has_org_asof=ibis.cases((a.org_id.notnull(), 1.0), else_=0.0),
        **{f"account_billing_country_match_share_{w}": j.m},
    )
