"""Accounts of one group (a legitimate archetype or a campaign): sign-up, payment, infrastructure.

Everything here is drawn per account (or per organisation / per campaign where
the profile says the value is shared) from the group's own random stream, so a
group's accounts are the same whatever else the world contains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.config import Archetype, Campaign, WorldConfig
from simulate.pools import Pools

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
MAX_IPS = 8
MAX_CLIENTS = 4
WEBMAIL = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "hotmail.com",
           "mail.ru", "qq.com", "gmx.de", "naver.com")  # fmt: skip
DISPOSABLE = ("mailinator.com", "tempmail.dev", "10minutemail.net", "guerrillamail.com",
              "throwaway.email", "yopmail.com")  # fmt: skip


@dataclass
class Group:
    """One archetype or campaign and its accounts (arrays of length n)."""

    name: str
    index: int
    profile: Archetype | Campaign
    is_campaign: bool
    account_id: np.ndarray
    org: np.ndarray
    org_id: np.ndarray
    created_us: np.ndarray
    first_us: np.ndarray
    last_us: np.ndarray
    tz: np.ndarray
    country: np.ndarray
    home_asn: np.ndarray
    home_host: np.ndarray  # (n, MAX_IPS) host numbers inside home_asn's block
    n_home: np.ndarray
    shared_unit: np.ndarray  # (n,) row of shared_asn / shared_host the account uses
    shared_asn: np.ndarray  # (orgs or 1, pool) shared-pool ASN per slot, -1 if none
    shared_host: np.ndarray
    clients: np.ndarray  # (n, MAX_CLIENTS) pool client indices
    n_clients: np.ndarray
    tier: np.ndarray
    mixed_share: np.ndarray
    families: np.ndarray  # (n, k) template families the account uses (k >= 1)
    attrs: dict[str, np.ndarray]  # accounts-table columns (object arrays)

    @property
    def n(self) -> int:
        """Number of accounts."""
        return len(self.account_id)


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    w = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), n, p=w / w.sum())]


def lognormal(rng: np.random.Generator, d, n: int) -> np.ndarray:
    """`n` draws of the LogNormal config `d` (median, sigma)."""
    return d.median * np.exp(d.sigma * rng.standard_normal(n))


def _hex(rng: np.random.Generator, n: int, nbytes: int = 8) -> np.ndarray:
    raw = rng.integers(0, 2**63, size=(n, (nbytes + 7) // 8), dtype=np.int64)
    return np.array(["".join(f"{v:016x}" for v in row)[: 2 * nbytes] for row in raw], dtype=object)


def _orgs(rng: np.random.Generator, n: int, size: tuple[int, int]) -> np.ndarray:
    lo, hi = size
    sizes = rng.integers(lo, hi + 1, size=max(1, n // max(lo, 1) + 1))
    return np.repeat(np.arange(len(sizes)), sizes)[:n]


def build_group(
    cfg: WorldConfig, pools: Pools, name: str, index: int, profile, is_campaign: bool
) -> Group:
    """Draw the accounts of one group."""
    rng = np.random.default_rng([cfg.seed, 1, index])
    n = profile.accounts
    start_us = int(cfg.start.timestamp() * 1e6)
    end_us = start_us + cfg.days * DAY_US
    acc, sig, act, inf, con = (
        profile.account,
        profile.signup,
        profile.activity,
        profile.infra,
        profile.content,
    )

    org = _orgs(rng, n, acc.org_size)
    n_org = int(org.max()) + 1
    org_id = ("org_" + _hex(rng, n_org, 8))[org]

    # Activity window: start, staggered joins, lifetime.
    first = start_us + ((act.start_day + rng.uniform(0, act.stagger_days, n)) * DAY_US)
    life = lognormal(rng, act.lifetime_days, n) * DAY_US
    last = first + life
    if act.duration_days is not None:
        last = np.minimum(last, start_us + (act.start_day + act.duration_days) * DAY_US)
    first, last = first.astype(np.int64), np.minimum(last, end_us).astype(np.int64)

    # Sign-up: spread (age at first use) or waves (per org, or campaign-wide), some aged.
    age = lognormal(rng, sig.age_at_first_use_days, n) * DAY_US
    created = first - age
    if sig.mode == "wave":
        unit = np.zeros(n, dtype=int) if is_campaign else org
        n_unit = int(unit.max()) + 1
        wave_of = rng.integers(0, sig.waves, size=n) + unit * sig.waves
        base = np.full(n_unit * sig.waves, np.iinfo(np.int64).max)
        np.minimum.at(base, wave_of, (first - age).astype(np.int64))
        created = base[wave_of] - rng.uniform(0, sig.wave_width_hours, n) * HOUR_US
    aged = rng.random(n) < sig.aged_share
    created = np.where(aged, first - lognormal(rng, sig.aged_days, n) * DAY_US, created)
    created = created.astype(np.int64)

    # Country and activity time zone.
    if inf.countries:
        cidx = {c: i for i, c in enumerate(pools.countries)}
        country = np.array([cidx[c] for c in _pick(rng, inf.countries, n)])
    else:
        country = rng.choice(len(pools.countries), n, p=pools.country_weights)
    if act.operator_tz:
        tz = _pick(rng, {str(k): v for k, v in act.operator_tz.items()}, n).astype(int)
    else:
        tz = pools.country_tz[country] + rng.integers(-1, 2, n)

    # Home network: one ASN per account (per org where IPs are org-shared).
    kinds = _pick(rng, inf.asn_kinds, n)
    home_asn = np.empty(n, dtype=int)
    for i in range(n):  # per account, not per event: n is small
        cand = pools.asns_of(kinds[i], int(country[i]))
        home_asn[i] = cand[rng.integers(len(cand))]
    if inf.shared_ip_scope == "org":
        home_asn = home_asn[np.unique(org, return_index=True)[1]][org]
    n_home = np.clip(np.round(lognormal(rng, inf.home_ips, n)), 1, MAX_IPS).astype(int)
    home_host = rng.integers(0, 65536, size=(n, MAX_IPS)) % pools.asn_hosts[home_asn][:, None]

    # Shared IP pool: per org (datacenter / campus egress) or per group (proxy pool).
    pool = max(inf.shared_ip_pool, 1)
    if inf.shared_ip_scope == "org":
        org_host = rng.integers(0, 65536, size=(n_org, pool))
        org_asn = home_asn[np.unique(org, return_index=True)[1]]
        shared_unit = org
        shared_asn = np.repeat(org_asn[:, None], pool, axis=1)
        shared_host = org_host % pools.asn_hosts[org_asn][:, None]
    else:
        gk = _pick(rng, inf.asn_kinds, pool)
        gasn = np.array([rng.choice(pools.asns_of(k)) for k in gk])
        shared_unit = np.zeros(n, dtype=int)
        shared_asn = gasn[None, :]
        shared_host = (rng.integers(0, 65536, pool) % pools.asn_hosts[gasn])[None, :]
    if inf.shared_ip_pool == 0:
        shared_asn = np.full((1, 1), -1)

    # Clients: drawn from the shared pool by family and version popularity.
    clients = draw_clients(rng, pools, inf.client_families, n * MAX_CLIENTS).reshape(n, -1)
    if inf.org_client:
        clients = clients[np.unique(org, return_index=True)[1]][org]
    n_clients = np.clip(np.round(lognormal(rng, inf.clients_per_account, n)), 1, MAX_CLIENTS)
    n_clients = np.where(inf.org_client, 1, n_clients).astype(int)

    # Templates: org-scope (legit) or campaign-wide set; or free choice.
    n_fam = 6 * 4
    k = max(con.families_per_account, 1)
    if con.group_families > 0:
        scope = np.zeros(n, dtype=int) if is_campaign else org
        sets = np.stack(
            [rng.choice(n_fam, con.group_families, replace=False) for _ in range(scope.max() + 1)]
        )
        families = sets[scope[:, None], rng.integers(0, con.group_families, (n, k))]
    else:
        families = rng.integers(0, n_fam, (n, k))
    if con.families_per_account == 0:
        families[:] = -1

    mixed = np.zeros(n)
    if is_campaign and profile.mixed_share is not None:
        mixed = rng.beta(profile.mixed_share.a, profile.mixed_share.b, n)

    tier = _pick(rng, acc.tiers, n)
    attrs = _account_attrs(rng, pools, acc, org, n_org, country, home_asn, home_host, inf)
    ids = "acct_" + _hex(rng, n, 10)
    return Group(
        name=name, index=index, profile=profile, is_campaign=is_campaign, account_id=ids,
        org=org, org_id=org_id, created_us=created, first_us=first, last_us=last, tz=tz,
        country=country, home_asn=home_asn, home_host=home_host, n_home=n_home,
        shared_unit=shared_unit, shared_asn=shared_asn, shared_host=shared_host,
        clients=clients, n_clients=n_clients, tier=tier, mixed_share=mixed, families=families,
        attrs=attrs,
    )  # fmt: skip


def draw_clients(rng: np.random.Generator, pools: Pools, families: dict[str, float], n: int):
    """Pool client indices: a family by the profile's weights, a version by popularity."""
    fam = _pick(rng, families, n)
    out = np.empty(n, dtype=int)
    for f in np.unique(fam):
        sel = np.flatnonzero(fam == f)
        cand = pools.clients_of(f)
        p = pools.client_popularity[cand]
        out[sel] = cand[rng.choice(len(cand), len(sel), p=p / p.sum())]
    return out


def _account_attrs(rng, pools, acc, org, n_org, country, home_asn, home_host, inf) -> dict:
    n = len(org)
    ekind = _pick(rng, acc.email_kinds, n)
    # The domain pools are world-wide: reseed so every group draws the same names.
    g = np.random.default_rng(12345)
    corp = np.array([f"{w}.com" for w in _hex(g, 3000, 3)], dtype=object)
    edu = np.array([f"uni-{w}.edu" for w in _hex(g, 400, 2)], dtype=object)
    org_corp = corp[rng.integers(0, len(corp), n_org)][org]
    org_edu = edu[rng.integers(0, len(edu), n_org)][org]
    domain = np.select(
        [ekind == "corporate", ekind == "education", ekind == "webmail", ekind == "disposable"],
        [org_corp, org_edu, np.array(WEBMAIL, dtype=object)[rng.integers(0, len(WEBMAIL), n)],
         np.array(DISPOSABLE, dtype=object)[rng.integers(0, len(DISPOSABLE), n)]],
        default=None,
    )  # fmt: skip

    if acc.payment_scope == "account":
        inst = np.arange(n)
    elif acc.payment_scope == "org":
        inst = org
    else:
        sizes = np.maximum(1, np.round(lognormal(rng, acc.payment_pool_accounts, n))).astype(int)
        inst = rng.permutation(np.repeat(np.arange(n), sizes)[:n])
    n_inst = int(inst.max()) + 1
    pkind = _pick(rng, acc.payment_kinds, n_inst)[inst]  # a shared instrument shares its kind
    pfp = np.where(pkind == "none", None, ("pay_" + _hex(rng, n_inst, 8))[inst])

    ip = pools.asn_base[home_asn].astype(np.uint64) + home_host[:, 0].astype(np.uint64)
    return {
        "email_domain": domain,
        "email_domain_kind": ekind,
        "payment_kind": pkind,
        "payment_fingerprint": pfp,
        "billing_country": pools.countries[country],
        "signup_ip_u32": ip.astype(np.uint32),
        "signup_asn_kind": pools.asn_kind[home_asn],
        "verification_path": _pick(rng, acc.verification, n),
    }
