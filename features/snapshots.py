"""Training snapshots: features of each selected account at cutoffs after its first request.

Every labelled account (label 1 and 0) and a hash-sample of unlabelled accounts
(snapshots.unlabelled_sample, at most snapshots.unlabelled_max) get one snapshot per offset:
cutoff = first_seen + offset, rounded UP to snapshots.cutoff_grain (so a snapshot has at
least `offset` of history). Accounts whose cutoffs fall in the same grain bucket share one
feature pass: the window is materialised once per distinct cutoff, not once per account, so
a 60-day log with a 1-day grain costs about 75 passes whatever the number of accounts. In a
pass the per-account families run only on the accounts due at that cutoff; the
population-relative ones (infrastructure rarity, cohort) need the whole window. The log is
sorted once (each exchange's predecessor, features.derive.with_previous), not per pass.
A snapshot whose account has no event in its window, or whose cutoff is after the log's end
(plus one grain), is dropped and counted in the log.
"""

from __future__ import annotations

import hashlib
import logging
import time

import numpy as np
import pandas as pd

from features import engine
from features.build import features_at
from features.config import FeatureConfig, parse_duration, resolve
from features.frame import prepare

log = logging.getLogger(__name__)

META = ["account_id", "as_of", "first_seen", "label", "campaign_id", "labelled_at", "org_id"]


def _hash_unit(ids: pd.Series, seed: int) -> np.ndarray:
    """A deterministic uniform [0, 1) number per account id (independent of engine and order)."""
    out = np.empty(len(ids))
    for i, a in enumerate(ids.astype(str)):
        d = hashlib.blake2b(f"{seed}:{a}".encode(), digest_size=8).digest()
        out[i] = int.from_bytes(d, "little") / 2**64
    return out


def select_accounts(
    first: pd.DataFrame, labels: pd.DataFrame | None, cfg: FeatureConfig
) -> pd.DataFrame:
    """Accounts that get snapshots: all labelled ones plus a hash-sample of unlabelled ones.

    Args:
        first: (account_id, first_seen) of every account with at least one event.
        labels: the labels table (account_id, label, campaign_id, labelled_at) or None.
        cfg: feature configuration (snapshots section).

    Returns:
        first, restricted, with label / campaign_id / labelled_at joined (NaN when unlabelled).
    """
    s = cfg.snapshots
    if labels is None or labels.empty:
        labels = pd.DataFrame(
            {
                "account_id": pd.Series(dtype=object),
                "label": pd.Series(dtype="float64"),
                "campaign_id": pd.Series(dtype=object),
                "labelled_at": pd.Series(dtype="datetime64[us, UTC]"),
            }
        )
    d = first.merge(
        labels[["account_id", "label", "campaign_id", "labelled_at"]], on="account_id", how="left"
    )
    labelled = d[d["label"].notna()]
    unl = d[d["label"].isna()]
    u = _hash_unit(unl["account_id"], s.seed)
    take = unl[u < s.unlabelled_sample].assign(_u=u[u < s.unlabelled_sample])
    take = take.nsmallest(s.unlabelled_max, "_u").drop(columns="_u")
    log.info(
        "snapshot accounts: %d labelled (%d positive), %d of %d unlabelled sampled",
        len(labelled),
        int((labelled["label"] == 1).sum()),
        len(take),
        len(unl),
    )
    return pd.concat([labelled, take], ignore_index=True)


def plan_cutoffs(
    chosen: pd.DataFrame, offsets_days, cfg: FeatureConfig, log_end: pd.Timestamp | None
) -> pd.DataFrame:
    """(account_id, as_of) pairs: first_seen + offset rounded up to the grain, de-duplicated."""
    grain = pd.Timedelta(parse_duration(cfg.snapshots.cutoff_grain))
    parts = []
    for off in offsets_days:
        raw = chosen["first_seen"] + pd.Timedelta(days=float(off))
        parts.append(
            pd.DataFrame({"account_id": chosen["account_id"], "as_of": raw.dt.ceil(grain)})
        )
    plan = pd.concat(parts, ignore_index=True).drop_duplicates()
    if cfg.snapshots.drop_after_log_end and log_end is not None:
        late = plan["as_of"] > log_end + grain
        if late.any():
            log.info("snapshots: %d cutoffs after the log's end dropped", int(late.sum()))
        plan = plan[~late]
    return plan.sort_values(["as_of", "account_id"]).reset_index(drop=True)


def first_seen_and_labels(prep, inputs) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Each account's first request (``first_seen``, UTC) and the contract's labels, as pandas.

    Args:
        prep: the prepared pass inputs (``features.frame.prepare``).
        inputs: the contract inputs; ``labels`` may be None.

    Returns:
        (first-seen table, labels with ``labelled_at`` as UTC timestamps, or None).
    """
    first = engine.to_pandas(prep.account_first.rename(first_seen="first_ts"))
    first["first_seen"] = pd.to_datetime(first["first_seen"], utc=True)
    labels = None
    if getattr(inputs, "labels", None) is not None:
        labels = engine.to_pandas(inputs.labels)
        labels["labelled_at"] = pd.to_datetime(labels["labelled_at"], utc=True)
    return first, labels


def build_snapshots(
    inputs, offsets_days=None, config=None, window: str | None = None
) -> pd.DataFrame:
    """Training snapshots of labelled and sampled unlabelled accounts.

    Args:
        inputs: Inputs-like object with ``.events``, ``.accounts`` and ``.labels`` (may be None).
        offsets_days: days after first_seen (default: snapshots.offsets_days of the config).
        config: FeatureConfig, a path, or None (configs/features.yaml).
        window: feature window (default: the config's window).

    Returns:
        DataFrame: account_id, as_of, first_seen, label (1 / 0 / NaN), campaign_id, labelled_at,
        org_id, then the feature columns; one row per (account, cutoff) with activity.
    """
    cfg = resolve(config)
    offsets = list(offsets_days if offsets_days is not None else cfg.snapshots.offsets_days)
    window = window or cfg.window
    start = time.perf_counter()
    prep = prepare(inputs, cfg, materialize=True)
    try:
        first, labels = first_seen_and_labels(prep, inputs)
        orgs = engine.to_pandas(prep.accounts.select("account_id", "org_id"))
        chosen = select_accounts(first, labels, cfg)
        plan = plan_cutoffs(chosen, offsets, cfg, prep.log_end)
        frames = []
        cutoffs = plan["as_of"].unique()
        for i, cutoff in enumerate(sorted(cutoffs)):
            want = plan.loc[plan["as_of"] == cutoff, ["account_id"]]
            feats = features_at(prep, pd.Timestamp(cutoff), window, cfg, want["account_id"])
            frames.append(feats.merge(want, on="account_id", how="inner"))
            log.debug("cutoff %d/%d %s: %d snapshots", i + 1, len(cutoffs), cutoff, len(frames[-1]))
    finally:
        prep.close()
    feats = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["account_id", "as_of"])
    )
    if len(feats) < len(plan):
        log.info(
            "snapshots: %d of %d planned had no event in their window",
            len(plan) - len(feats),
            len(plan),
        )
    meta = chosen[["account_id", "first_seen", "label", "campaign_id", "labelled_at"]].merge(
        orgs, on="account_id", how="left"
    )
    out = feats.merge(meta, on="account_id", how="left", validate="many_to_one")
    out["label"] = out["label"].astype("float64")
    cols = META + [c for c in feats.columns if c not in META]
    out = out[cols].sort_values(["account_id", "as_of"]).reset_index(drop=True)
    log.info(
        "snapshots: %d rows (%d accounts, %d cutoffs) in %.1fs",
        len(out),
        out["account_id"].nunique(),
        len(cutoffs),
        time.perf_counter() - start,
    )
    return out
