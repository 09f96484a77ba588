"""The accounts, labels and ground-truth tables of a world.

Labels arrive as in real life: a campaign's found members are labelled some time
after its investigation starts (never before the account's first request), a
configurable share is never found, and a sample of legitimate accounts, hard
negatives included, is reviewed benign some days after it first shows up. Labels
that would only become known after the end of the world are not in the export.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from distillguard.contract.spec import schema
from simulate.accounts import DAY_US, Group, lognormal
from simulate.config import WorldConfig
from simulate.pools import Pools, ip_strings

NEVER = np.iinfo(np.int64).max


def accounts_table(groups: list[Group]) -> pa.Table:
    """The contract accounts table, sorted by (opaque, random) account id."""
    cat = {k: np.concatenate([g.attrs[k] for g in groups]) for k in groups[0].attrs}
    tier = np.concatenate([g.tier for g in groups])
    cols = {
        "account_id": np.concatenate([g.account_id for g in groups]),
        "created_at": pa.array(
            np.concatenate([g.created_us for g in groups]), pa.timestamp("us", tz="UTC")
        ),
        "email_domain": cat["email_domain"],
        "email_domain_kind": cat["email_domain_kind"],
        "payment_kind": cat["payment_kind"],
        "payment_fingerprint": cat["payment_fingerprint"],
        "billing_country": cat["billing_country"],
        "signup_ip": ip_strings(cat["signup_ip_u32"]),
        "signup_asn_kind": cat["signup_asn_kind"],
        "tier": tier,
        "org_id": np.concatenate([g.org_id for g in groups]),
        "verification_path": cat["verification_path"],
    }
    arrays = [
        c if isinstance(c, pa.Array) else pa.array(c.tolist(), f.type)
        for c, f in zip(cols.values(), schema("accounts"), strict=True)
    ]
    t = pa.Table.from_arrays(arrays, schema=schema("accounts"))
    return t.sort_by("account_id")


def truth_table(groups: list[Group], first_seen: dict[int, np.ndarray]) -> pa.Table:
    """Simulator ground truth (not part of the contract): archetype, campaign, org, mix."""
    parts = []
    for g in groups:
        fs = first_seen[g.index]
        parts.append(
            pa.table(
                {
                    "account_id": pa.array(g.account_id.tolist(), pa.string()),
                    "archetype": pa.array(["campaign" if g.is_campaign else g.name] * g.n),
                    "campaign_id": pa.array([g.name if g.is_campaign else None] * g.n, pa.string()),
                    "org_id": pa.array(g.org_id.tolist(), pa.string()),
                    "mixed_share": pa.array(g.mixed_share, pa.float64()),
                    "first_seen": pa.array(
                        np.where(fs == NEVER, 0, fs),
                        pa.timestamp("us", tz="UTC"),
                        mask=fs == NEVER,
                    ),
                }
            )
        )
    return pa.concat_tables(parts).sort_by("account_id")


def labels_table(
    cfg: WorldConfig, pools: Pools, groups: list[Group], first_seen: dict[int, np.ndarray]
) -> pa.Table:
    """Labels known by the end of the world: found campaign members and reviewed benign."""
    start_us = int(cfg.start.timestamp() * 1e6)
    end_us = start_us + cfg.days * DAY_US
    ids, lab, camp, at = [], [], [], []
    for g in groups:
        rng = np.random.default_rng([cfg.seed, 4, g.index])
        seen = first_seen[g.index] != NEVER
        fs = np.where(seen, first_seen[g.index], start_us)
        if g.is_campaign:
            inv = g.profile.investigation
            t_inv = start_us + (g.profile.activity.start_day + inv.start_days) * DAY_US
            found = seen & (rng.random(g.n) < inv.found_share)
            t = np.maximum(t_inv, fs) + lognormal(rng, inv.delay_days, g.n) * DAY_US
        else:
            rv = g.profile.review
            found = seen & (rng.random(g.n) < rv.share)
            t = fs + lognormal(rng, rv.delay_days, g.n) * DAY_US
        t = np.maximum(t.astype(np.int64), fs + 3_600_000_000)
        keep = found & (t < end_us)
        ids.append(g.account_id[keep])
        lab.append(np.full(keep.sum(), int(g.is_campaign), dtype=np.int8))
        camp.append(np.full(keep.sum(), g.name if g.is_campaign else None, dtype=object))
        at.append(t[keep])
    return pa.Table.from_arrays(
        [
            pa.array(np.concatenate(ids).tolist(), pa.string()),
            pa.array(np.concatenate(lab), pa.int8()),
            pa.array(np.concatenate(camp).tolist(), pa.string()),
            pa.array(np.concatenate(at), pa.timestamp("us", tz="UTC")),
        ],
        schema=schema("labels"),
    ).sort_by("account_id")
