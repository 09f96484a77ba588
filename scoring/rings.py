"""Rings: flagged accounts grouped into connected components of the shared-attribute graph.

Edges come from the features engineer's linkage (``features.cohort``) where it exists, else
from scoring/linkage.py on the contract columns. Each ring gets its size, its exchanges in the
window, the attributes its members share and, when the model's reference carries per-campaign
feature centroids, the historical campaign it is most like.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping

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


def linkage_function() -> tuple[Callable, str]:
    """The edge builder to use: ``features.cohort``'s if it offers one, else scoring.linkage."""
    try:
        cohort = importlib.import_module("features.cohort")
    except ImportError:
        cohort = None
    for name in ("link_edges", "shared_edges", "linkage_edges", "edges"):
        fn = getattr(cohort, name, None) if cohort else None
        if callable(fn):
            return fn, f"features.cohort.{name}"
    from scoring.linkage import link_edges

    return link_edges, "scoring.linkage.link_edges"


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


def _shared_text(edges: pd.DataFrame, examples: int) -> str:
    if edges.empty:
        return ""
    members = pd.concat(
        [
            edges[["kind", "value", "account_a"]].rename(columns={"account_a": "account"}),
            edges[["kind", "value", "account_b"]].rename(columns={"account_b": "account"}),
        ]
    ).drop_duplicates()
    per_value = members.groupby(["kind", "value"])["account"].nunique().reset_index(name="n")
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
    edges: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    min_size: int,
    examples: int,
    prefix: str = "R",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group flagged accounts into rings.

    Args:
        edges: (account_a, account_b, kind, value) among flagged accounts.
        scores: flagged accounts: account_id, score, exchanges.
        min_size: smallest component called a ring.
        examples: shared values quoted per kind.
        prefix: ring id prefix (ids are ``{prefix}{n:04d}``, largest ring first).

    Returns:
        (assignment: account_id, ring_id (None when alone), ring_size; ring table).
    """
    ids = scores["account_id"].astype(str).tolist()
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
    if len(edges):
        e = edges.assign(_c=edges["account_a"].map(comp_of))
    else:
        e = edges.assign(_c=pd.Series(dtype="float"))
    shared, members = [], []
    for c in rings.index:
        shared.append(_shared_text(e[e["_c"] == c], examples))
        m = df.loc[df["_c"] == c].sort_values("score", ascending=False)["account_id"]
        members.append(", ".join(m.head(examples * 3)) + (" ..." if len(m) > examples * 3 else ""))
    rings["shared"] = shared
    rings["members"] = members
    table = rings.reset_index(drop=True)[RING_COLUMNS]
    table["exchanges"] = table["exchanges"].astype("int64")
    return df[["account_id", "ring_id", "ring_size"]], table


def _scale(ref: Mapping | None) -> float:
    if not isinstance(ref, Mapping):
        return 1.0
    for key in ("std", "iqr", "scale"):
        v = ref.get(key)
        if v is not None and np.isfinite(v) and v > 0:
            return float(v)
    q25, q75 = ref.get("q25"), ref.get("q75")
    if q25 is not None and q75 is not None and q75 > q25:
        return float(q75 - q25)
    edges = ref.get("bin_edges", ref.get("edges"))
    if edges is not None and len(edges) >= 3:
        e = np.asarray(edges, dtype=float)
        spread = float(np.nanquantile(e, 0.75) - np.nanquantile(e, 0.25))
        if spread > 0:
            return spread
    return 1.0


def campaign_centroids(reference: Mapping | None) -> Mapping[str, Mapping[str, float]] | None:
    """Per-campaign feature centroids from the model's reference, if it carries them."""
    if not isinstance(reference, Mapping):
        return None
    for key in ("campaign_centroids", "campaigns", "centroids"):
        c = reference.get(key)
        if isinstance(c, Mapping) and c:
            return c
    return None


def most_like_campaign(
    rings: pd.DataFrame,
    features: pd.DataFrame,
    assignment: pd.DataFrame,
    centroids: Mapping[str, Mapping[str, float]],
    feature_refs: Mapping[str, Mapping],
) -> pd.DataFrame:
    """Add ``campaign_like`` and ``campaign_distance`` (RMS of reference-scaled differences)."""
    feats = features.set_index("account_id")
    out_like, out_dist = [], []
    for rid in rings["ring_id"]:
        members = assignment.loc[assignment["ring_id"] == rid, "account_id"]
        best, best_d = None, np.inf
        for campaign, centroid in centroids.items():
            cols = [
                f
                for f in centroid
                if f in feats.columns and pd.api.types.is_numeric_dtype(feats[f])
            ]
            if not cols:
                continue
            mean = feats.loc[members, cols].astype(float).mean()
            z = [
                (mean[f] - float(centroid[f])) / _scale(feature_refs.get(f))
                for f in cols
                if centroid[f] is not None
            ]
            z = np.asarray(z, dtype=float)
            z = z[np.isfinite(z)]
            if z.size and (d := float(np.sqrt(np.mean(z**2)))) < best_d:
                best, best_d = campaign, d
        out_like.append(best)
        out_dist.append(best_d if best is not None else np.nan)
    return rings.assign(campaign_like=out_like, campaign_distance=out_dist)
