"""End to end: validated contract inputs -> features as of T -> score_frame, with reconciliation."""

from __future__ import annotations

import functools
import logging
import time
from datetime import datetime

import pandas as pd

from scoring.batch import (
    ScoreResult,
    ScoringError,
    model_window,
    resolve_as_of,
    score_frame,
    window_activity,
)
from scoring.config import ScoreConfig
from scoring.rings import linkage_function

log = logging.getLogger(__name__)


def reconcile(n_accounts: int, active: pd.DataFrame, features: pd.DataFrame) -> dict[str, int]:
    """Accounts in input >= active in window == scored, with the same ids; else ScoringError."""
    dup = features["account_id"].duplicated()
    if dup.any():
        ex = features.loc[dup, "account_id"].head(5).tolist()
        raise ScoringError(f"features: {int(dup.sum())} duplicate account_id rows, e.g. {ex}")
    act, got = set(active["account_id"].astype(str)), set(features["account_id"].astype(str))
    if act != got or len(active) > n_accounts:
        missing, extra = sorted(act - got)[:5], sorted(got - act)[:5]
        raise ScoringError(
            "counts do not reconcile: "
            f"accounts in input {n_accounts}, active in window {len(act)}, scored {len(got)}; "
            f"active but not scored e.g. {missing}; scored but not active e.g. {extra}"
        )
    return {
        "accounts_in_input": int(n_accounts),
        "active_in_window": len(act),
        "accounts_scored": len(got),
        "events_in_window": int(active["exchanges"].sum()),
    }


def _link(fn, name: str, inputs, as_of: pd.Timestamp, window: str, cfg: ScoreConfig):
    if name.startswith("scoring."):
        return functools.partial(fn, inputs, as_of, pd.Timedelta(window), cfg=cfg.rings)
    return functools.partial(fn, inputs, as_of, window)


def score_inputs(
    inputs,
    model,
    *,
    model_version: str,
    cfg: ScoreConfig,
    as_of: str | datetime | None = None,
) -> ScoreResult:
    """Score every account active in the window before `as_of` (default: end of the data).

    Args:
        inputs: validated contract inputs (distillguard.contract.load_inputs), no labels needed.
        model: DistillGuardModel from the registry.
        model_version: its registry version.
        cfg: scoring config.
        as_of: cutoff (UTC); None = just after the last event.

    Raises:
        ScoringError: as-of outside the data, nobody active, or counts that do not reconcile.
    """
    from features import build_features

    window = model_window(model, cfg)
    t = resolve_as_of(inputs, as_of, cfg.as_of_future_tolerance)
    t0 = time.perf_counter()
    active = window_activity(inputs, t, window)
    if active.empty:
        raise ScoringError(f"no account has an event in [{t - pd.Timedelta(window)}, {t})")
    n_accounts = int(inputs.accounts.count().execute())
    log.info("features as of %s (window %s): %d active accounts", t, window, len(active))
    features = build_features(inputs, t, window=window)
    features_s = time.perf_counter() - t0
    rec = reconcile(n_accounts, active, features)
    fn, name = linkage_function(cfg.rings.linkage)
    result = score_frame(
        features,
        model,
        model_version=model_version,
        as_of=t,
        cfg=cfg,
        exchanges=active.set_index("account_id")["exchanges"],
        link=_link(fn, name, inputs, t, window, cfg),
        linkage=name,
    )
    result.reconciliation = rec | {
        "flagged": int(result.scores["flagged"].sum()),
        "rings": len(result.rings),
    }
    result.window = window
    result.timings = {"features_s": features_s} | result.timings
    return result
