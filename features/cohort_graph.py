"""The shared-attribute graph behind the cohort features and the ring linkage.

Accounts are linked by values they share (a /24, a TLS or header fingerprint, a payment
instrument, a sign-up wave, a prompt-SimHash LSH band). A value links only when it is not
common: used by at least 2 and at most max(cohort.min_value_population_cap,
cohort.max_value_population_share x population) accounts, so a popular SDK fingerprint or a
big ISP's /24 links nothing. The engine computes the (account, kind, value) incidence list;
connected components run on it with scipy, identically whatever engine produced it.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from features.config import FeatureConfig, parse_duration
from features.content import simhash_bands
from features.frame import Tables, _prefix


def value_cap(population: ibis.Value, cfg: FeatureConfig) -> ibis.Value:
    """Most accounts a value may have and still link them (population: a scalar expression)."""
    c = cfg.cohort
    share = (population.cast("float64") * c.max_value_population_share).floor().cast("int64")
    return ibis.greatest(ibis.literal(c.min_value_population_cap, "int64"), share)


EVENT_KINDS = ("ip_prefix", "tls_fingerprint", "header_fingerprint")
ACCOUNT_KINDS = ("payment_fingerprint", "signup_wave")


def account_values(t: Tables, cfg: FeatureConfig) -> dict[str, ibis.Table]:
    """Per link kind (all but prompt_band), the distinct (account_id, value) pairs.

    Event kinds use the window's active accounts; account kinds (payment fingerprint,
    sign-up wave) use every account that exists at the cutoff. Prompt bands are kept as
    integer (band, v) rows (:func:`bucket_counts`), never as strings, until they link.
    """
    e, a = t.events, t.accounts
    bucket_s = int(parse_duration(cfg.cohort.signup_bucket).total_seconds())
    wave_bucket = (a.created_at.epoch_seconds().floor().cast("int64") // bucket_s).cast("string")
    out = {
        "ip_prefix": e.select("account_id", value=e.prefix),
        "tls_fingerprint": e.select("account_id", value=e.tls_fingerprint),
        "header_fingerprint": e.select("account_id", value=e.header_fingerprint),
        "payment_fingerprint": a.select("account_id", value=a.payment_fingerprint),
        "signup_wave": a.select("account_id", value=wave_bucket + "|" + _prefix(a.signup_ip)),
    }
    return {k: v.filter(v.value.notnull()).distinct() for k, v in out.items()}


def value_counts(pairs: ibis.Table) -> ibis.Table:
    """(value, n): accounts per value."""
    return pairs.group_by("value").agg(n=pairs.count())


def shared_values(t: Tables, cfg: FeatureConfig, staged: dict) -> ibis.Table:
    """Stage: (account_id, kind, value, n) for every non-band kind, n = accounts per value."""
    parts = []
    for kind, pairs in account_values(t, cfg).items():
        j = pairs.join(value_counts(pairs), "value")
        parts.append(j.select("account_id", kind=ibis.literal(kind), value=j.value, n=j.n))
    return ibis.union(*parts)


def bucket_counts(t: Tables, cfg: FeatureConfig, staged: dict) -> ibis.Table:
    """Stage: (band, v, n): accounts whose prompts fall in each SimHash LSH band bucket."""
    b = simhash_bands(t, cfg)
    d = b.select("account_id", "band", "v").distinct()
    return d.group_by(["band", "v"]).agg(n=d.count())


def stages(cfg: FeatureConfig) -> list:
    """Per-pass intermediate tables of the cohort family, in build order (features.build)."""
    return [("values", shared_values), ("buckets", bucket_counts)]


def _empty(t: Tables) -> ibis.Table:
    return t.active.select("account_id", kind=ibis.literal("none"), value=ibis.literal("")).limit(0)


def incidence_values(
    t: Tables, cfg: FeatureConfig, staged: dict, accounts: ibis.Table | None = None
) -> ibis.Table | None:
    """Linking (account_id, kind, value) rows of the configured kinds other than prompt_band.

    A value links when at least 2 and at most :func:`value_cap` accounts have it; rows are
    restricted to `accounts` (default: the window's active accounts). None if no such kind.
    """
    kinds = [k for k in cfg.cohort.link_kinds if k != "prompt_band"]
    if not kinds:
        return None
    cap = value_cap(t.population, cfg)
    keep = accounts if accounts is not None else t.active
    v = staged["values"]
    v = v.filter(v.kind.isin(kinds) & (v.n >= 2) & (v.n <= cap))
    return v.join(keep, "account_id").select("account_id", "kind", "value")


def incidence_bands(
    t: Tables, cfg: FeatureConfig, staged: dict, accounts: ibis.Table | None = None
) -> ibis.Table | None:
    """Linking prompt-band rows (account_id, band, v), integers (None if the kind is off)."""
    if "prompt_band" not in cfg.cohort.link_kinds:
        return None
    cap = value_cap(t.population, cfg)
    keep = accounts if accounts is not None else t.active
    bk = staged["buckets"]
    bk = bk.filter((bk.n >= 2) & (bk.n <= cap))
    b = simhash_bands(t, cfg)
    rows = b.join(bk, ["band", "v"]).select("account_id", "band", "v").distinct()
    return rows.join(keep, "account_id").select("account_id", "band", "v")


def incidence(
    t: Tables, cfg: FeatureConfig, staged: dict, accounts: ibis.Table | None = None
) -> ibis.Table:
    """Linking (account_id, kind, value) rows for the configured link kinds.

    Prompt bands appear as kind ``prompt_band``, value ``"<band>:<bits>"``.

    Args:
        t: the cutoff's tables.
        cfg: feature configuration (cohort section).
        staged: this pass's stages (:func:`stages`).
        accounts: restrict the returned rows to these account ids (counts still use the
            whole population); default: the window's active accounts.
    """
    parts = []
    vals = incidence_values(t, cfg, staged, accounts)
    if vals is not None:
        parts.append(vals)
    rows = incidence_bands(t, cfg, staged, accounts)
    if rows is not None:
        value = rows.band.cast("string") + ":" + rows.v.cast("string")
        parts.append(rows.select("account_id", kind=ibis.literal("prompt_band"), value=value))
    return ibis.union(*parts) if parts else _empty(t)


def components(
    accounts: pd.Series, inc: pd.DataFrame, bands: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Connected components of the account-value bipartite graph.

    Args:
        accounts: the graph's accounts.
        inc: (account_id, kind, value) linking rows.
        bands: optional linking prompt-band rows (account_id, band, v) as integers, the
            same as kind ``prompt_band`` with value ``"<band>:<v>"`` in `inc`.

    Returns:
        DataFrame (account_id, component, size, kinds): component id, accounts in it, and the
        number of link kinds through which the account links to anyone.
    """
    ids = pd.Index(accounts.astype(str).unique())
    n_acc = len(ids)
    acc, kind, node = [], [], []
    known = ids.get_indexer(inc["account_id"].astype(str))
    ok = known >= 0
    kcodes, kinds_seen = pd.factorize(inc["kind"].astype(str).to_numpy()[ok])
    vraw, _ = pd.factorize(inc["value"].astype(str).to_numpy()[ok])
    # a value links only within its kind: the node is the (kind, value) pair
    acc.append(known[ok])
    kind.append(kcodes)
    node.append(kcodes.astype("int64") * (int(vraw.max(initial=0)) + 1) + vraw)
    nk = len(kinds_seen)
    if bands is not None and len(bands):
        known = ids.get_indexer(bands["account_id"].astype(str))
        ok = known >= 0
        b = bands["band"].to_numpy("int64")[ok]
        v = bands["v"].to_numpy("int64")[ok]
        vb, _ = pd.factorize(v)
        bnode, _ = pd.factorize(b * (int(vb.max(initial=0)) + 1) + vb)
        acc.append(known[ok])
        kind.append(np.full(len(bnode), nk, dtype="int64"))
        node.append(bnode.astype("int64") + (int(node[0].max(initial=-1)) + 1))
        nk += 1
    acodes, kcodes = np.concatenate(acc), np.concatenate(kind).astype("int64")
    vcodes, _ = pd.factorize(np.concatenate(node))
    n = n_acc + (int(vcodes.max()) + 1 if len(vcodes) else 0)
    m = coo_matrix((np.ones(len(acodes)), (acodes, n_acc + vcodes)), shape=(n, n))
    _, labels = connected_components(m, directed=False)
    comp = labels[:n_acc]
    size = np.bincount(comp)[comp]
    nk = max(nk, 1)
    pairs = np.unique(acodes.astype("int64") * nk + kcodes)
    kinds = np.bincount(pairs // nk, minlength=n_acc) if len(pairs) else np.zeros(n_acc)
    return pd.DataFrame(
        {
            "account_id": ids,
            "component": comp,
            "size": size.astype("float64"),
            "kinds": kinds.astype("float64"),
        }
    )


def activity_correlation(comp: pd.DataFrame, hourly: pd.DataFrame, hours: int) -> pd.Series:
    """Pearson correlation of each account's hourly counts with the rest of its component.

    Args:
        comp: output of :func:`components`.
        hourly: (account_id, hour, n) exchange counts per clock hour of the window.
        hours: number of hourly bins in the window (zeros count).

    Returns:
        Series indexed by account_id; NaN for singletons or constant series.
    """
    h = hourly.merge(comp[["account_id", "component", "size"]], on="account_id")
    h = h[h["size"] > 1]
    if h.empty:
        return pd.Series(dtype="float64")
    h = h.assign(n=h["n"].astype("float64"))
    ctot = h.groupby(["component", "hour"], as_index=False)["n"].sum().rename(columns={"n": "C"})
    h = h.merge(ctot, on=["component", "hour"])
    per = (
        h.assign(x2=h.n * h.n, cx=h.C * h.n)
        .groupby("account_id")
        .agg(
            component=("component", "first"), sx=("n", "sum"), sx2=("x2", "sum"), scx=("cx", "sum")
        )
    )
    csum = (
        ctot.assign(C2=ctot.C * ctot.C).groupby("component").agg(sc=("C", "sum"), sc2=("C2", "sum"))
    )
    per = per.join(csum, on="component")
    sy = per.sc - per.sx
    sy2 = per.sc2 - 2 * per.scx + per.sx2
    sxy = per.scx - per.sx2
    num = hours * sxy - per.sx * sy
    var = (hours * per.sx2 - per.sx**2) * (hours * sy2 - sy**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / np.sqrt(var.where(var > 0))
    return r.clip(-1.0, 1.0)
