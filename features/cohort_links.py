"""Ring linkage: edges of the shared-attribute graph among a set of accounts (scoring's rings).

The same graph as the cohort family's components (features.cohort_graph), restricted to
the accounts asked for; values still count the whole window population.
"""

from __future__ import annotations

import pandas as pd

from features import engine
from features.cohort_graph import incidence, stages
from features.config import resolve
from features.frame import prepare, tables_at, to_utc


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
        staged: dict = {}
        for key, fn in stages(cfg):
            staged[key] = prep.stage(f"links.{key}", lambda fn=fn: fn(t, cfg, staged))
        ids = engine.upload(
            pd.DataFrame({"account_id": pd.Series(list(account_ids), dtype=object)})
        )
        inc = engine.to_pandas(incidence(t, cfg, staged, accounts=ids))
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
