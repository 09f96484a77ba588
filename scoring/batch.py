"""Batch scoring: contract inputs as of a cutoff -> one scored row per active account.

score_inputs: validated inputs -> features as of T (features.build_features) -> calibrated score,
flag at the model's threshold, rank, top SHAP reasons for every flag, rings of linked flagged
accounts, drift against the training reference, and a reconciliation of the row counts
(accounts in input >= active in window == scored). score_frame does the same from a ready
feature table (what the one-million-account benchmark times).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import ibis
import numpy as np
import pandas as pd

from scoring.config import ScoreConfig
from scoring.drift import drifted, feature_drift
from scoring.explain import feature_reference, reason_columns, top_reasons
from scoring.likeness import campaign_centroids, most_like_campaign
from scoring.rings import group_rings

log = logging.getLogger(__name__)

BASE_COLUMNS = [
    "account_id",
    "as_of",
    "score",
    "margin",
    "flagged",
    "rank",
    "threshold",
    "model_version",
    "ring_id",
    "ring_size",
    "exchanges",
]


class ScoringError(RuntimeError):
    """Scoring cannot go on: bad as-of, no active accounts, counts that do not reconcile."""


@dataclass
class ScoreResult:
    """Everything one scoring produced (the output table and what the review run logs)."""

    scores: pd.DataFrame
    rings: pd.DataFrame
    drift: pd.Series
    reconciliation: dict[str, int]
    as_of: pd.Timestamp
    window: str
    model_version: str
    threshold: float
    flagged_features: pd.DataFrame = field(default_factory=pd.DataFrame)
    flagged_contributions: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    feature_names: list[str] = field(default_factory=list)
    linkage: str = ""
    campaign_match: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def model_window(model, cfg: ScoreConfig) -> str:
    """The feature window the model was trained on (its metadata), else the config's."""
    meta = getattr(model, "metadata", None) or {}
    return str(meta.get("window") or meta.get("feature_window") or cfg.window)


def data_span(inputs) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last event timestamps (UTC)."""
    ev = inputs.events
    row = ev.aggregate(lo=ev.ts.min(), hi=ev.ts.max()).to_pyarrow().to_pylist()[0]
    if row["lo"] is None:
        raise ScoringError("events: the table has no rows; nothing to score")
    return pd.Timestamp(row["lo"]).tz_convert("UTC"), pd.Timestamp(row["hi"]).tz_convert("UTC")


def resolve_as_of(inputs, as_of: str | datetime | None, tolerance: str) -> pd.Timestamp:
    """The cutoff: `as_of` (UTC), or just after the last event; refuse one past the data.

    Raises:
        ScoringError: as-of later than the last event by more than `tolerance`, or before the
            first event.
    """
    lo, hi = data_span(inputs)
    if as_of is None:
        return (hi + pd.Timedelta(microseconds=1)).ceil("s")
    t = pd.Timestamp(as_of)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    if t > hi + pd.Timedelta(tolerance):
        raise ScoringError(
            f"--as-of {t.isoformat()} is in the future of the data: the last event is at "
            f"{hi.isoformat()} (tolerance {tolerance}, configs/score.yaml as_of_future_tolerance)"
        )
    if t <= lo:
        raise ScoringError(
            f"--as-of {t.isoformat()} is before the first event ({lo.isoformat()}): "
            "no account is active before it"
        )
    return t


def window_activity(inputs, as_of: pd.Timestamp, window: str) -> pd.DataFrame:
    """account_id, exchanges: accounts with >= 1 event in [as_of - window, as_of)."""
    ev = inputs.events
    start = ibis.literal((as_of - pd.Timedelta(window)).to_pydatetime())
    ev = ev.filter((ev.ts >= start) & (ev.ts < ibis.literal(as_of.to_pydatetime())))
    act = ev.group_by("account_id").aggregate(exchanges=ev.count())
    return act.to_pyarrow().to_pandas().astype({"account_id": "object", "exchanges": "int64"})


def _rank(margin: np.ndarray, account_ids: pd.Series) -> np.ndarray:
    order = np.lexsort((account_ids.astype(str).to_numpy(), -margin))
    rank = np.empty(len(margin), dtype=np.int64)
    rank[order] = np.arange(1, len(margin) + 1)
    return rank


def score_frame(
    features: pd.DataFrame,
    model,
    *,
    model_version: str,
    as_of: pd.Timestamp,
    cfg: ScoreConfig,
    exchanges: pd.Series | None = None,
    link: Callable[[list[str]], pd.DataFrame] | None = None,
    linkage: str = "",
) -> ScoreResult:
    """Score a ready feature table (one row per account).

    Args:
        features: account_id plus the model's feature columns (features.build_features).
        model: a DistillGuardModel (margin, contributions, calibrator/predict_proba, threshold).
        model_version: registry version, written on every row.
        as_of: the cutoff the features were built at.
        cfg: scoring config.
        exchanges: exchanges in the window per account_id (for ring sizes); optional.
        link: flagged account ids -> shared values (account_id, kind, value); None: no rings.
        linkage: name of the linkage function, for the record.
    """
    timings: dict[str, float] = {}
    t0 = pd.Timestamp.now()
    ids = features["account_id"].astype(str).reset_index(drop=True)
    X = features.reset_index(drop=True)
    margin = np.asarray(model.margin(X), dtype=float)
    calibrator = getattr(model, "calibrator", None)
    score = calibrator(margin) if calibrator is not None else model.predict_proba(X)
    m_thr = getattr(model, "margin_threshold", None)
    flagged = margin >= m_thr if m_thr is not None else score >= model.threshold
    timings["predict_s"] = (pd.Timestamp.now() - t0).total_seconds()

    out = pd.DataFrame(
        {
            "account_id": ids,
            "as_of": as_of,
            "score": score,
            "margin": margin,
            "flagged": flagged,
            "rank": _rank(margin, ids),
            "threshold": float(model.threshold),
            "model_version": str(model_version),
        }
    )
    ex = exchanges.reindex(ids).to_numpy() if exchanges is not None else np.full(len(ids), np.nan)
    out["exchanges"] = pd.array(ex, dtype="Int64") if exchanges is not None else np.nan

    t0 = pd.Timestamp.now()
    refs = feature_reference(getattr(model, "reference", None))
    fidx = np.flatnonzero(flagged)
    fidx = fidx[np.argsort(out["rank"].to_numpy()[fidx])]
    flagged_X = X.iloc[fidx]
    contrib = np.asarray(model.contributions(flagged_X), dtype=float)
    reasons = top_reasons(
        contrib,
        flagged_X,
        list(model.feature_names),
        refs,
        top=cfg.reasons.top,
        min_contribution=cfg.reasons.min_contribution,
    )
    reasons.index = fidx
    out = (
        out.join(reasons.reindex(out.index))
        if len(reasons)
        else out.assign(**{c: None for c in reason_columns(cfg.reasons.top)})
    )
    timings["shap_reasons_s"] = (pd.Timestamp.now() - t0).total_seconds()

    t0 = pd.Timestamp.now()
    rings = pd.DataFrame()
    out["ring_id"] = None
    out["ring_size"] = np.where(flagged, 1, 0).astype("int64")
    campaign_match = False
    if link is not None and len(fidx) >= 2:
        flagged_ids = out.loc[fidx, "account_id"].tolist()
        shared = link(flagged_ids)
        fl = out.loc[fidx, ["account_id", "score", "exchanges"]].copy()
        fl["exchanges"] = pd.to_numeric(fl["exchanges"], errors="coerce").fillna(0)
        assign, rings = group_rings(
            shared,
            fl,
            strong_kinds=cfg.rings.strong_kinds,
            min_kinds=cfg.rings.min_shared_kinds,
            min_size=cfg.rings.min_size,
            examples=cfg.rings.shared_examples,
            prefix=f"R{as_of:%Y%m%d}-",
        )
        a = assign.set_index("account_id")
        out.loc[fidx, "ring_id"] = a["ring_id"].reindex(flagged_ids).to_numpy()
        out.loc[fidx, "ring_size"] = a["ring_size"].reindex(flagged_ids).to_numpy()
        centroids = campaign_centroids(getattr(model, "reference", None))
        if centroids and len(rings):
            rings = most_like_campaign(
                rings,
                X,
                assign,
                centroids,
                refs,
                z_clip=cfg.rings.campaign_z_clip,
                max_distance=cfg.rings.campaign_max_distance,
            )
            campaign_match = True
    timings["rings_s"] = (pd.Timestamp.now() - t0).total_seconds()

    t0 = pd.Timestamp.now()
    psi = feature_drift(X, refs, cfg.drift.epsilon)
    drifted(psi, cfg.drift.psi_warn)
    timings["drift_s"] = (pd.Timestamp.now() - t0).total_seconds()

    out = out[BASE_COLUMNS + reason_columns(cfg.reasons.top)]
    return ScoreResult(
        scores=out,
        rings=rings,
        drift=psi,
        reconciliation={"accounts_scored": len(out), "flagged": int(flagged.sum())},
        as_of=as_of,
        window="",
        model_version=str(model_version),
        threshold=float(model.threshold),
        flagged_features=flagged_X[list(model.feature_names)].reset_index(drop=True),
        flagged_contributions=contrib,
        feature_names=list(model.feature_names),
        linkage=linkage if link is not None else "",
        campaign_match=campaign_match,
        timings=timings,
    )
