"""The world is hard: no rate limit and no single raw statistic catches the campaigns."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.hardness import account_stats, auc, recall_at_fpr
from simulate.report import acceptance, load_hardness_config


@pytest.fixture(scope="module")
def stats(test_world):
    return account_stats(test_world)


def test_auc_and_recall_helpers_are_correct():
    assert auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert auc(np.array([1.0]), np.array([1.0])) == 0.5
    assert auc(np.array([1.0, 4.0]), np.array([2.0, 3.0])) == 0.5
    recall, t = recall_at_fpr(np.array([5.0, 200.0]), np.arange(100.0), 0.01)
    assert recall == 0.5 and 98 <= t <= 99


def test_rate_limit_and_single_statistics_fail_on_proxy_and_45_day_campaigns(stats):
    cfg = load_hardness_config()
    assert {"hydra_proxy", "industrial_45d"} <= set(cfg.campaigns)
    acc = acceptance(stats, cfg).set_index("campaign_id")
    for camp in ("hydra_proxy", "industrial_45d"):
        row = acc.loc[camp]
        assert row["members"] >= 50
        assert row["rate_rule_recall"] <= 0.3, (camp, row.to_dict())
        assert row["max_auc"] < 0.9, (camp, row.to_dict())


def test_behaviour_combined_separates_what_no_raw_statistic_does(test_world, stats):
    """The multi-feature signal: behavioural statistics together beat every raw one alone."""
    from simulate.signal import behavioural_stats, multi_feature_auc

    cfg = load_hardness_config()
    sig = multi_feature_auc(
        behavioural_stats(test_world), dict(cfg.signal_model), cfg.signal_folds, 0
    ).set_index("campaign_id")
    raw = acceptance(stats, cfg).set_index("campaign_id")
    for camp in ("hydra_proxy", "industrial_45d"):
        assert sig.loc[camp, "multi_feature_auc"] > 0.9
        assert sig.loc[camp, "multi_feature_auc"] > raw.loc[camp, "max_auc"] + 0.05


def test_the_world_is_not_noise_either(stats):
    """Campaign members do differ in volume: the raw statistics carry some signal."""
    legit = stats[stats["archetype"] != "campaign"]
    camp = stats[stats["campaign_id"] == "industrial_45d"]
    a = auc(camp["requests_per_day"].to_numpy(), legit["requests_per_day"].to_numpy())
    assert a > 0.6
