"""Detection metrics: recall at a false-positive rate, average precision, thresholds."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score


def threshold_at_fpr(neg_scores: np.ndarray, fpr: float) -> float:
    """Smallest-risk threshold: flagging ``score >= t`` flags at most ``fpr`` of `neg_scores`.

    With n negatives, at most floor(fpr * n) of them score at or above the returned value;
    when that is 0 the threshold sits just above the highest negative.
    """
    s = np.sort(np.asarray(neg_scores, dtype=float))[::-1]
    if len(s) == 0:
        return float("inf")
    k = int(np.floor(fpr * len(s)))
    if k >= len(s):
        return float(s[-1])
    return float(np.nextafter(s[k], np.inf))


def decision_threshold(neg_scores: np.ndarray, fpr: float) -> float:
    """A deployable threshold at `fpr`: like :func:`threshold_at_fpr`, but halfway to the next
    higher negative score (or a margin above the highest), so a monotone transform of the
    score (calibration) cannot round a negative onto the threshold."""
    s = np.sort(np.asarray(neg_scores, dtype=float))[::-1]
    if len(s) == 0:
        return float("inf")
    k = int(np.floor(fpr * len(s)))
    if k >= len(s):
        return float(s[-1])
    above = s[:k][s[:k] > s[k]]
    if len(above):
        return float((s[k] + above.min()) / 2)
    return float(s[k] + max(1e-3, 1e-3 * abs(s[k])))


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    """Recall of positives when the threshold flags at most `fpr` of the negatives."""
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        return float("nan")
    t = threshold_at_fpr(scores[y == 0], fpr)
    return float((scores[y == 1] >= t).mean())


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve); NaN without both classes."""
    y = np.asarray(y)
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        return float("nan")
    return float(average_precision_score(y, scores))


def confusion(y: np.ndarray, flagged: np.ndarray) -> dict[str, int]:
    """Counts of true/false positives/negatives at a fixed decision."""
    y = np.asarray(y).astype(int)
    f = np.asarray(flagged).astype(bool)
    return {
        "tp": int(((y == 1) & f).sum()),
        "fp": int(((y == 0) & f).sum()),
        "tn": int(((y == 0) & ~f).sum()),
        "fn": int(((y == 1) & ~f).sum()),
    }


def summary(y: np.ndarray, scores: np.ndarray, fprs: list[float]) -> dict[str, float]:
    """AP and recall at each FPR in `fprs` (keys ``average_precision``, ``recall_at_0.1pct``...)."""
    out = {"average_precision": average_precision(y, scores)}
    for f in fprs:
        out[f"recall_at_{f * 100:g}pct"] = recall_at_fpr(y, scores, f)
    return out
