"""Threshold policies: where the flag line goes, chosen on the training side only.

`target_fpr` (the product's rule) flags at most a fixed share of the calibration humans.
`max_mcc_grouped_oof` chooses that share: on tuning's leave-one-training-vendor-out folds
(a vendor the inner model never saw, beside held-out humans), each fold's scores are
ranked against its own held-out humans, the counts at each candidate human
false-positive rate are pooled over the folds, and the rate with the best criterion wins.
The rate, not a score, carries over to the final model: inner and final models are
trained on different vendors and their margins are on different scales, while the humans
are drawn the same way everywhere (configs/cresci2015.yaml `threshold`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from training.external.config import ThresholdConfig
from training.metrics import decision_threshold, threshold_at_fpr

log = logging.getLogger(__name__)


def threshold_at_rate(neg_scores: np.ndarray, rate: float, *, deployable: bool = False) -> float:
    """Flag at most k = floor(rate * n) of `neg_scores` (k computed robustly: k / n * n may
    round just below k in floating point).

    Args:
        neg_scores: scores of the humans the rate is counted on.
        rate: human false-positive rate.
        deployable: :func:`training.metrics.decision_threshold` (halfway to the next human,
            what the product deploys) instead of :func:`training.metrics.threshold_at_fpr`;
            both flag the same humans.
    """
    n = len(neg_scores)
    if n == 0:
        return float("inf")
    k = math.floor(rate * n + 1e-9)
    return (decision_threshold if deployable else threshold_at_fpr)(neg_scores, (k + 0.5) / n)


def criterion_value(tp: float, fp: float, fn: float, tn: float, criterion: str) -> float:
    """MCC or F1 from (possibly weighted) confusion counts; 0 where undefined."""
    if criterion == "f1":
        den = 2 * tp + fp + fn
        return float(2 * tp / den) if den > 0 else 0.0
    den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / den) if den > 0 else 0.0


@dataclass
class ThresholdChoice:
    """The chosen human false-positive rate and how it was chosen.

    Attributes:
        rate: the human false-positive rate to apply on the final model's calibration humans.
        value: the criterion on the pooled out-of-fold counts at that rate.
        curve: candidate rate -> criterion (every candidate evaluated).
        n_folds, n_positive, n_negative: what was pooled.
    """

    rate: float
    value: float
    curve: dict[float, float] = field(default_factory=dict)
    n_folds: int = 0
    n_positive: int = 0
    n_negative: int = 0


def candidate_rates(n_negatives: Sequence[int], max_fpr: float) -> list[float]:
    """Every rate k / n some fold can resolve (k = 0 .. floor(max_fpr * n)), sorted."""
    rates = {0.0}
    for n in n_negatives:
        rates |= {k / n for k in range(1, math.floor(max_fpr * n + 1e-9) + 1)}
    return sorted(rates)


def choose_rate(folds: Sequence[tuple[np.ndarray, np.ndarray]], cfg: ThresholdConfig):
    """Policy `max_mcc_grouped_oof`: the human FPR maximising the criterion on pooled folds.

    Args:
        folds: (labels 0/1, scores) of each out-of-fold side: one held-out training vendor
            and the held-out humans, scored by a model that saw neither.
        cfg: criterion, max_fpr, balance_classes.

    Returns:
        :class:`ThresholdChoice`; ties go to the lowest rate. ValueError if no fold has
        both classes.
    """
    parts = []
    for y, s in folds:
        y = np.asarray(y).astype(int)
        s = np.asarray(s, dtype=float)
        if (y == 1).any() and (y == 0).any():
            parts.append((s[y == 1], s[y == 0]))
    if not parts:
        raise ValueError("threshold policy: no out-of-fold side with both fakes and humans")
    n_pos = sum(len(p) for p, _ in parts)
    n_neg = sum(len(n) for _, n in parts)
    w_pos, w_neg = (1 / n_pos, 1 / n_neg) if cfg.balance_classes else (1.0, 1.0)
    curve = {}
    for rate in candidate_rates([len(n) for _, n in parts], cfg.max_fpr):
        tp = fp = 0.0
        for pos, neg in parts:
            t = threshold_at_rate(neg, rate)
            tp += float((pos >= t).sum())
            fp += float((neg >= t).sum())
        curve[rate] = criterion_value(
            tp * w_pos, fp * w_neg, (n_pos - tp) * w_pos, (n_neg - fp) * w_neg, cfg.criterion
        )
    best = max(curve.values())
    rate = min(r for r, v in curve.items() if v == best)
    return ThresholdChoice(rate, best, curve, len(parts), n_pos, n_neg)


def oof_folds(y: np.ndarray, splits, fold_margins: dict[str, np.ndarray]):
    """(labels, margins) of each tuning fold's test side, from TuningResult.fold_margins.

    Args:
        y: labels of the training frame the splits index.
        splits: the training.splits.Split objects tuning ran on (positional indices).
        fold_margins: split name -> the best trial's margins on that split's test side.
    """
    out = []
    for sp in splits:
        m = fold_margins.get(sp.name)
        if m is None:
            continue
        if len(m) != len(sp.test):
            raise ValueError(f"tuning fold {sp.name}: {len(m)} margins for {len(sp.test)} rows")
        out.append((np.asarray(y)[sp.test], np.asarray(m, dtype=float)))
    return out
