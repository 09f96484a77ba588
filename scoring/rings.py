"""Rings: flagged accounts grouped into connected components of the shared-attribute graph.

Edges come from the features engineer's linkage (``features.cohort``) where it exists, else
from scoring/linkage.py on the contract columns. Each ring gets its size, its exchanges in the
window, the attributes its members share and, when the model's reference carries per-campaign
feature centroids, the historical campaign it is most like (scoring/likeness.py).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

log = logging.getLogger(__name__)

KIND_LABELS = {
    "ip_prefix": "/24 network",
    "tls_fingerprint": "TLS fingerprint",
    "header_fingerprint": "header fingerprint",
    "payment_fingerprint": "payment instrument",
    "signup_wave": "sign-up wave",
    "prompt_template": "prompt template",
    "prompt_band": "prompt template",
}
RING_COLUMNS = [
    "ring_id",
    "size",
    "exchanges",
    "mean_score",
    "max_score",
    "shared",
    "members",
]


MEMBER_COLUMNS = ["account_id", "kind", "value"]


def memberships_from_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """(account_id, kind, value) rows from (account_a, account_b, kind, value) edges."""
    if edges.empty:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    rows = pd.concat(
        [
            edges[["account_a", "kind", "value"]].rename(columns={"account_a": "account_id"}),
            edges[["account_b", "kind", "value"]].rename(columns={"account_b": "account_id"}),
        ]
    )
    return rows.astype(str).drop_duplicates().reset_index(drop=True)


def linkage_function(source: str) -> tuple[Callable, str]:
    """The shared-value builder: scoring.linkage (``scoring``) or features.cohort (``features``).

    Both return (account_id, kind, value) rows of the accounts asked for; features.cohort's
    edges are turned into rows. scoring.linkage also drops values mostly used by unflagged
    accounts (config rings.min_flagged_share), which features.cohort cannot know about.
    """
    if source == "features":
        cohort = importlib.import_module("features.cohort")

        def rows(inputs, as_of, window, account_ids) -> pd.DataFrame:
            edges = cohort.link_edges(inputs, as_of, account_ids, window=window)
            return memberships_from_edges(edges)

        return rows, "features.cohort.link_edges"
    from scoring.linkage import shared_values

    return shared_values, "scoring.linkage.shared_values"


def pair_edges(rows: pd.DataFrame, strong_kinds: list[str], min_kinds: int) -> pd.DataFrame:
    """Edges between accounts that share a strong kind of value, or values of >= `min_kinds` kinds.

    One shared proxy /24 or one borrowed client fingerprint is weak evidence: unrelated
    operations rent the same proxy pools. A shared payment instrument or sign-up wave is
    strong on its own; weaker kinds link only together.

    Returns:
        (account_a, account_b, kind, value): kind lists the shared kinds ("+"-joined), value
        the number of distinct shared values.
    """
    cols = ["account_a", "account_b", "kind", "value"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    r = rows[MEMBER_COLUMNS].astype(str).drop_duplicates()
    acc = pd.Categorical(r["account_id"])
    kind = pd.Categorical(r["kind"])
    key = pd.factorize(r["kind"] + "\x1f" + r["value"])[0]
    m = pd.DataFrame({"a": acc.codes, "k": kind.codes, "key": key})
    pairs = m.merge(m[["a", "key"]], on="key", suffixes=("", "_b"))
    pairs = pairs[pairs["a"] < pairs["a_b"]]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    strong_codes = [i for i, k in enumerate(kind.categories) if k in set(strong_kinds)]
    per_kind = pairs.drop_duplicates(["a", "a_b", "k"])
    g = per_kind.groupby(["a", "a_b"], sort=False)
    n_kinds = g.size()
    strong = per_kind.assign(s=per_kind["k"].isin(strong_codes)).groupby(["a", "a_b"])["s"].any()
    keep = n_kinds[(n_kinds >= min_kinds) | strong.reindex(n_kinds.index)].index
    kept = per_kind.set_index(["a", "a_b"]).loc[keep].reset_index()
    kinds = (
        kept.assign(kn=kind.categories[kept["k"]])
        .groupby(["a", "a_b"])["kn"]
        .agg(lambda k: "+".join(sorted(k)))
    )
    n_values = pairs.groupby(["a", "a_b"]).size().reindex(kinds.index)
    a_idx = kinds.index.get_level_values(0)
    b_idx = kinds.index.get_level_values(1)
    return pd.DataFrame(
        {
            "account_a": acc.categories[a_idx].astype(str),
            "account_b": acc.categories[b_idx].astype(str),
            "kind": kinds.to_numpy(),
            "value": n_values.astype(str).to_numpy(),
        }
    )


def components(edges: pd.DataFrame, account_ids: list[str]) -> pd.Series:
    """Connected-component label (0..k-1) per account in `account_ids`, from `edges`."""
    index = {a: i for i, a in enumerate(account_ids)}
    if edges.empty:
        return pd.Series(np.arange(len(account_ids)), index=account_ids)
    e = edges[edges["account_a"].isin(index) & edges["account_b"].isin(index)]
    a = e["account_a"].map(index).to_numpy(dtype=np.int64)
    b = e["account_b"].map(index).to_numpy(dtype=np.int64)
    n = len(account_ids)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=account_ids)


def _shared_text(rows: pd.DataFrame, examples: int) -> str:
    """``2 payment instruments: pay_1 (20 accounts), ...; 3 /24 networks: ...``."""
    if rows.empty:
        return ""
    per_value = rows.groupby(["kind", "value"])["account_id"].nunique().reset_index(name="n")
    per_value = per_value[per_value["n"] >= 2]
    parts = []
    for kind, grp in per_value.sort_values("n", ascending=False).groupby("kind", sort=False):
        label = KIND_LABELS.get(kind, str(kind).replace("_", " "))
        head = grp.head(examples)
        top = ", ".join(
            f"{str(v)[:16]} ({n} accounts)" for v, n in zip(head["value"], head["n"], strict=True)
        )
        plural = "s" if len(grp) != 1 else ""
        parts.append(f"{len(grp)} {label}{plural}: {top}")
    return "; ".join(parts)


def group_rings(
    rows: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    strong_kinds: list[str],
    min_kinds: int,
    min_size: int,
    examples: int,
    prefix: str = "R",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group flagged accounts into rings: connected components of :func:`pair_edges`.

    Args:
        rows: (account_id, kind, value) shared values of flagged accounts.
        scores: flagged accounts: account_id, score, exchanges.
        strong_kinds: kinds that link two accounts on their own.
        min_kinds: otherwise, how many kinds two accounts must share.
        min_size: smallest component called a ring.
        examples: shared values quoted per kind.
        prefix: ring id prefix (ids are ``{prefix}{n:04d}``, largest ring first).

    Returns:
        (assignment: account_id, ring_id (None when alone), ring_size; ring table).
    """
    ids = scores["account_id"].astype(str).tolist()
    edges = pair_edges(rows, strong_kinds, min_kinds)
    labels = components(edges, ids)
    df = scores.assign(_c=labels.reindex(ids).to_numpy())
    size = df.groupby("_c")["account_id"].transform("size")
    df["ring_size"] = size.astype("int64")
    rings = (
        df[df["ring_size"] >= min_size]
        .groupby("_c")
        .agg(
            size=("account_id", "size"),
            exchanges=("exchanges", "sum"),
            mean_score=("score", "mean"),
            max_score=("score", "max"),
        )
        .sort_values(["size", "max_score"], ascending=False)
    )
    rings["ring_id"] = [f"{prefix}{i + 1:04d}" for i in range(len(rings))]
    df["ring_id"] = df["_c"].map(rings["ring_id"]).astype("object")
    df.loc[df["ring_id"].isna(), "ring_id"] = None
    comp_of = labels.to_dict()
    r = rows.assign(_c=rows["account_id"].map(comp_of)) if len(rows) else rows.assign(_c=None)
    by_comp = dict(tuple(r.groupby("_c"))) if len(r) else {}
    shared, members = [], []
    for c in rings.index:
        shared.append(_shared_text(by_comp.get(c, r.iloc[:0]), examples))
        m = df.loc[df["_c"] == c].sort_values("score", ascending=False)["account_id"]
        members.append(", ".join(m.head(examples * 3)) + (" ..." if len(m) > examples * 3 else ""))
    rings["shared"] = shared
    rings["members"] = members
    table = rings.reset_index(drop=True)[RING_COLUMNS]
    table["exchanges"] = table["exchanges"].astype("int64")
    return df[["account_id", "ring_id", "ring_size"]], table
