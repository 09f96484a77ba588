"""The champion gate: the alias moves only to a version at least as good as the champion.

Two conditions, both from configs/train.yaml (gate):

* on the new run's held-out calibration snapshots (accounts and organisations the new
  booster never saw), the new model's metric is at least the champion's minus
  ``tolerance``. When at least ``min_fresh_per_class`` positive and negative gate snapshots
  lie after the champion's training window, both are compared on those only, so neither
  side is scored in-sample (the champion/challenger backtest of a scheduled retrain);
  otherwise on all of them, and the reasons say the champion's figure is in-sample;
* no held-out campaign (Optuna's leave-one-campaign-out folds, at the target FPR) has
  recall below ``campaign_recall_floor``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.detector import DistillGuardModel
from training.config import TrainConfig
from training.metrics import average_precision, recall_at_fpr, threshold_at_fpr
from training.splits import Split
from training.tuning import TuningResult

log = logging.getLogger(__name__)


@dataclass
class GateDecision:
    """Whether to promote, why, and the numbers compared."""

    promote: bool
    reasons: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


def gate_metric(y: np.ndarray, margin: np.ndarray, cfg: TrainConfig) -> float:
    """The metric the gate compares (average precision or recall at the target FPR)."""
    if cfg.gate.metric == "average_precision":
        return average_precision(y, margin)
    return recall_at_fpr(y, margin, cfg.target_fpr)


def champion_saw_rows(champion: DistillGuardModel, rows: pd.DataFrame) -> bool:
    """Whether the champion's training window (metadata ``trained_to``) reaches the gate rows.

    A retrain on the same history compares a candidate scored out of sample with a champion
    that trained on the gate rows; the gate says so rather than pretend the comparison is fair.
    False when either side lacks the timestamps.
    """
    trained_to = (champion.metadata or {}).get("trained_to")
    if trained_to is None or "as_of" not in rows or rows.empty:
        return False
    first = pd.to_datetime(rows["as_of"], utc=True).min()
    return bool(pd.Timestamp(trained_to) >= first)


def fresh_rows(champion: DistillGuardModel, rows: pd.DataFrame) -> np.ndarray:
    """Mask of the gate rows dated after the champion's training window (none if unknown)."""
    trained_to = (champion.metadata or {}).get("trained_to")
    if trained_to is None or "as_of" not in rows:
        return np.zeros(len(rows), dtype=bool)
    return (pd.to_datetime(rows["as_of"], utc=True) > pd.Timestamp(trained_to)).to_numpy()


def held_out_campaign_recall(
    data: pd.DataFrame, tuning: TuningResult, folds: list[Split], fpr: float
) -> pd.DataFrame:
    """Recall of each held-out campaign at `fpr` on its fold (best trial's margins)."""
    rows = []
    y = data["label"].to_numpy().astype(int)
    for f in folds:
        m = tuning.fold_margins.get(f.name)
        if m is None:
            continue
        yt = y[f.test]
        camps = data["campaign_id"].to_numpy()[f.test]
        thr = threshold_at_fpr(m[yt == 0], fpr)
        for c in sorted({str(c) for c in camps[yt == 1]}):
            sel = (yt == 1) & (camps.astype(str) == c)
            rows.append(
                {
                    "fold": f.name,
                    "campaign_id": c,
                    "positives": int(sel.sum()),
                    "negatives": int((yt == 0).sum()),
                    "recall": float((m[sel] >= thr).mean()),
                    "recall_at_1pct": recall_at_fpr(
                        np.r_[np.ones(sel.sum()), np.zeros((yt == 0).sum())],
                        np.r_[m[sel], m[yt == 0]],
                        0.01,
                    ),
                }
            )
    return pd.DataFrame(rows)


def decide(
    candidate_margin: np.ndarray,
    gate_rows: pd.DataFrame,
    campaign_recall: pd.DataFrame,
    cfg: TrainConfig,
    champion: DistillGuardModel | None = None,
    champion_version: str | None = None,
) -> GateDecision:
    """Decide whether the candidate takes the `champion` alias.

    Args:
        candidate_margin: the candidate's margins on `gate_rows`.
        gate_rows: held-out labelled snapshots with the feature columns and `label`.
        campaign_recall: per held-out campaign recall (columns campaign_id, positives, recall).
        cfg: gate settings.
        champion: the current champion (None when there is none yet).
        champion_version: its registry version (for the reasons).
    """
    y = gate_rows["label"].to_numpy().astype(int)
    candidate_margin = np.asarray(candidate_margin)
    use = np.ones(len(y), dtype=bool)
    if champion is not None:
        fresh = fresh_rows(champion, gate_rows)
        n_pos, n_neg = int((y[fresh] == 1).sum()), int((y[fresh] == 0).sum())
        if min(n_pos, n_neg) >= cfg.gate.min_fresh_per_class:
            use = fresh
    new = gate_metric(y[use], candidate_margin[use], cfg)
    metrics: dict[str, Any] = {
        "gate_metric": cfg.gate.metric,
        "candidate": new,
        "compared_rows": int(use.sum()),
    }
    reasons: list[str] = []
    ok = True
    if np.isnan(new):
        ok = False
        reasons.append(f"candidate {cfg.gate.metric} undefined on the gate snapshots")
    if champion is None:
        reasons.append("no current champion")
    else:
        try:
            old = gate_metric(y[use], champion.margin(gate_rows)[use], cfg)
        except KeyError as exc:
            old = float("nan")
            reasons.append(f"champion v{champion_version} cannot score these features ({exc})")
        metrics["champion"] = old
        metrics["champion_version"] = champion_version
        seen = champion_saw_rows(champion, gate_rows[use])
        metrics["champion_in_sample"] = seen
        if not use.all():
            reasons.append(
                f"compared on the {int(use.sum())} of {len(y)} gate snapshots dated after "
                f"champion v{champion_version}'s training window ({n_pos} positive, {n_neg} "
                "negative): neither model trained on them"
            )
        if seen:
            reasons.append(
                f"champion v{champion_version} trained on snapshots up to "
                f"{champion.metadata['trained_to']}, which covers these gate rows: its "
                f"{cfg.gate.metric} is in-sample, so the comparison favours it (only "
                f"{n_pos} positive and {n_neg} negative gate snapshots are newer; "
                f"{cfg.gate.min_fresh_per_class} of each would be compared alone)"
            )
        if not np.isnan(old):
            if new + cfg.gate.tolerance < old:
                ok = False
                reasons.append(
                    f"{cfg.gate.metric} {new:.4f} is worse than champion v{champion_version}'s "
                    f"{old:.4f} by more than the tolerance {cfg.gate.tolerance}"
                )
            else:
                reasons.append(
                    f"{cfg.gate.metric} {new:.4f} vs champion v{champion_version} {old:.4f} "
                    f"(tolerance {cfg.gate.tolerance})"
                )
    gated = campaign_recall
    if len(gated):
        gated = gated[gated["positives"] >= cfg.gate.min_campaign_positives]
    if len(gated) == 0:
        reasons.append("no held-out campaign fold large enough: recall floor not checked")
    else:
        low = gated[gated["recall"] < cfg.gate.campaign_recall_floor]
        metrics["min_campaign_recall"] = float(gated["recall"].min())
        if len(low):
            ok = False
            worst = ", ".join(f"{r.campaign_id} {r.recall:.3f}" for r in low.itertuples())
            reasons.append(
                f"held-out campaign recall below the floor {cfg.gate.campaign_recall_floor}: "
                f"{worst}"
            )
        else:
            reasons.append(
                f"every held-out campaign recall >= {cfg.gate.campaign_recall_floor} "
                f"(min {metrics['min_campaign_recall']:.3f})"
            )
    log.info("gate: %s (%s)", "promote" if ok else "hold", "; ".join(reasons))
    return GateDecision(ok, reasons, metrics)
