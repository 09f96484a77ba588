"""Synthetic snapshot frames with the features.build_snapshots schema (tests and benchmarks).

Not a traffic simulator: a small table with a planted, tunable signal, so that training,
splits, the gate and reproducibility can be tested without building features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_snapshots(
    n_legit: int = 1500,
    n_campaigns: int = 4,
    campaign_size: int = 60,
    days: int = 120,
    signal: float = 2.0,
    offsets_days: tuple[int, ...] = (1, 3, 7, 14),
    seed: int = 0,
    start: str = "2026-03-01",
    unlabelled_share: float = 0.0,
) -> pd.DataFrame:
    """Snapshots of legitimate accounts and campaign members with a planted signal.

    Args:
        n_legit: legitimate accounts (in organisations of 1-12 accounts; all labelled 0).
        n_campaigns: campaigns, starting at evenly spaced times, each lasting ~30 days.
        campaign_size: member accounts per campaign (all labelled 1, with a label delay).
        days: span of the world.
        signal: separation (in standard deviations) of the informative features; 0 = none.
        offsets_days: snapshot days after each account's first request.
        seed: random seed.
        start: first day (UTC).
        unlabelled_share: share of legitimate accounts left unlabelled (label NaN), and half
            that share of campaign members (members nobody has found yet).

    Returns:
        Frame with account_id, as_of, first_seen, label, campaign_id, labelled_at, org_id,
        then features: 4 informative numerics, 3 noise numerics (some missing), 2 categoricals.
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start, tz="UTC")
    rows = []
    org = 0
    i = 0
    while i < n_legit:
        size = int(rng.integers(1, 13))
        for _ in range(min(size, n_legit - i)):
            first = t0 + pd.Timedelta(hours=float(rng.uniform(0, (days - 15) * 24)))
            rows.append((f"L{i:06d}", first, 0, None, f"org{org:05d}", 0))
            i += 1
        org += 1
    for c in range(n_campaigns):
        c_start = (days - 45) * (c + 0.5) / max(n_campaigns, 1)
        for j in range(campaign_size):
            first = t0 + pd.Timedelta(hours=float((c_start + rng.uniform(0, 30)) * 24))
            rows.append((f"C{c}-{j:05d}", first, 1, f"camp{c}", None, c))
    acc = pd.DataFrame(
        rows, columns=["account_id", "first_seen", "label", "campaign_id", "org_id", "c"]
    )
    delay = np.where(acc["label"] == 1, rng.uniform(3, 15, len(acc)), rng.uniform(1, 20, len(acc)))
    acc["labelled_at"] = acc["first_seen"] + pd.to_timedelta(delay, unit="D")

    snaps = acc.loc[acc.index.repeat(len(offsets_days))].reset_index(drop=True)
    snaps["as_of"] = snaps["first_seen"] + pd.to_timedelta(
        np.tile(offsets_days, len(acc)), unit="D"
    )
    n = len(snaps)
    pos = snaps["label"].to_numpy() == 1
    shift = np.where(pos, signal, 0.0)
    # informative: campaign-specific direction so a held-out campaign is not trivially the same
    camp = snaps["c"].to_numpy()
    feats = {
        "cadence_iat_cv_7d": rng.normal(0, 1, n) - shift,
        "template_share_7d": rng.normal(0, 1, n) + shift * np.where(camp % 2 == 0, 1.0, 0.6),
        "reasoning_elicit_share_7d": rng.normal(0, 1, n) + shift * 0.8,
        "payment_shared_accounts_7d": rng.poisson(1 + 3 * pos * (signal > 0), n).astype(float),
        "noise_a_7d": rng.normal(0, 1, n),
        "noise_b_7d": rng.exponential(1, n),
        "noise_c_7d": np.where(rng.random(n) < 0.2, np.nan, rng.normal(0, 1, n)),
        "volume_exchanges_per_active_day_7d": rng.lognormal(3, 0.8, n),
    }
    out = snaps[
        ["account_id", "as_of", "first_seen", "label", "campaign_id", "labelled_at", "org_id"]
    ].copy()
    out["label"] = out["label"].astype(float)
    for k, v in feats.items():
        out[k] = v.astype(float)
    clients = np.array(["sdk-py", "sdk-js", "curl", "browser", "agent"])
    p_legit = np.array([0.35, 0.25, 0.1, 0.2, 0.1])
    p_camp = np.array([0.15, 0.1, 0.5, 0.05, 0.2]) if signal > 0 else p_legit
    choice = np.where(pos, rng.choice(5, n, p=p_camp / p_camp.sum()), rng.choice(5, n, p=p_legit))
    out["client_kind_7d"] = pd.Categorical(clients[choice])
    out["top_model_7d"] = pd.Categorical(rng.choice(["m1", "m2", "m3"], n))
    if unlabelled_share > 0:
        acct = out["account_id"].to_numpy()
        ids = np.unique(acct)
        u = dict(zip(ids, rng.random(len(ids)), strict=True))
        share = np.where(out["label"] == 1, unlabelled_share / 2, unlabelled_share)
        hide = np.array([u[a] for a in acct]) < share
        out.loc[hide, "label"] = np.nan
        out.loc[hide, "campaign_id"] = None
        out.loc[hide, "labelled_at"] = pd.NaT
    return out.sort_values(["as_of", "account_id"]).reset_index(drop=True)
