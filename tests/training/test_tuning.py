"""The tuning objectives: partial AUC rewards positives above the legitimate tail."""

from __future__ import annotations

import numpy as np
import pytest

from training.tuning import partial_auc


def test_partial_auc_perfect_and_worst():
    y = np.array([0, 0, 0, 1, 1])
    assert partial_auc(y, np.array([0.1, 0.2, 0.3, 0.8, 0.9]), 0.01) == pytest.approx(1.0)
    assert partial_auc(y, np.array([0.8, 0.9, 0.7, 0.1, 0.2]), 0.01) == pytest.approx(0.0)


def test_partial_auc_hand_computed():
    # ranking: 0.4 (pos), 0.3 (neg), 0.2 (pos), 0.1 (neg). ROC: (0, .5) -> (.5, .5) -> (.5, 1).
    # Area over FPR in [0, 0.5] = 0.5 * 0.5 = 0.25; divided by 0.5 -> 0.5.
    y = np.array([0, 1, 0, 1])
    s = np.array([0.1, 0.2, 0.3, 0.4])
    assert partial_auc(y, s, 0.5) == pytest.approx(0.5)
    # over the whole curve it is the ordinary AUC: 3 of 4 (pos, neg) pairs ordered = 0.75
    assert partial_auc(y, s, 1.0) == pytest.approx(0.75)


def test_partial_auc_counts_positives_above_the_top_negative_only_in_the_strict_range():
    y = np.r_[np.zeros(1000), np.ones(10)]
    neg = np.linspace(0, 1, 1000)
    half_above = np.r_[np.full(5, 2.0), np.full(5, 0.5)]
    assert partial_auc(y, np.r_[neg, half_above], 0.001) == pytest.approx(0.5, abs=0.01)


def test_partial_auc_needs_both_classes():
    assert np.isnan(partial_auc(np.ones(3), np.arange(3.0), 0.01))
