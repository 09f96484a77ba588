"""The exponential-tail threshold: near the true quantile, steadier than the empirical one."""

from __future__ import annotations

import numpy as np

from training.metrics import decision_threshold, tail_threshold


def test_tail_threshold_estimates_an_exponential_quantile_with_less_spread():
    fpr, n = 0.001, 1100
    true_q = 2.0 + np.log(1 / fpr)  # 2 + Exp(1): P(X > true_q) = fpr
    tail, emp = [], []
    for seed in range(200):
        neg = 2.0 + np.random.default_rng(seed).exponential(1.0, n)
        tail.append(tail_threshold(neg, fpr, tail_share=0.05, min_tail=20))
        emp.append(decision_threshold(neg, fpr))
    tail, emp = np.array(tail), np.array(emp)
    assert abs(np.median(tail) - true_q) < 0.3
    assert tail.std() < 0.8 * emp.std()
    # flagged share of a large fresh legitimate sample stays near the target
    fresh = 2.0 + np.random.default_rng(999).exponential(1.0, 1_000_000)
    assert np.mean(fresh >= np.median(tail)) < 2 * fpr


def test_tail_threshold_falls_back_to_the_empirical_one_on_small_samples():
    neg = np.linspace(0.0, 1.0, 15)
    assert tail_threshold(neg, 0.001, tail_share=0.05, min_tail=20) == decision_threshold(
        neg, 0.001
    )
    # a target FPR inside the fitted tail is read off the data, not extrapolated
    neg = np.random.default_rng(0).normal(size=1000)
    assert tail_threshold(neg, 0.2, tail_share=0.05, min_tail=20) == decision_threshold(neg, 0.2)
