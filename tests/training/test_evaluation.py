"""Evaluation pieces: time to detection from daily scoring, method and archetype tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.training.conftest import fast_config
from training.detection import detection
from training.evaluation import FoldResult, archetype_table, method_table
from training.splits import Split

T0 = pd.Timestamp("2026-04-01", tz="UTC")


class ThresholdModel:
    """Flags accounts whose `score` feature is >= 1 (a stand-in for a fold model)."""

    def flag(self, x: pd.DataFrame) -> np.ndarray:
        return x["score"].to_numpy() >= 1


def test_time_to_detection_and_share_after_flag():
    split = Split("campaign c", T0, np.array([0]), np.array([1]), ("c",))
    fold = FoldResult("held-out campaign", split, pd.DataFrame(), ThresholdModel())
    members = pd.DataFrame(
        {
            "account_id": ["a", "b", "early"],
            "campaign": ["c", "c", "c"],
            "first_seen": [
                T0 + pd.Timedelta(hours=6),
                T0 + pd.Timedelta(hours=12),
                T0 - pd.Timedelta(days=1),
            ],
        }
    )

    def features_at(day):  # "a" looks suspicious from day 2 on, "b" never
        return pd.DataFrame(
            {
                "account_id": ["a", "b", "early"],
                "score": [float(day >= T0 + pd.Timedelta(days=2)), 0.0, 5.0],
            }
        )

    days = pd.date_range(T0, periods=5, freq="D")
    daily = pd.DataFrame(
        {"account_id": ["a"] * 5 + ["b"] * 5, "day": list(days) * 2, "n": [10] * 5 + [1] * 5}
    )
    acc, camp = detection([fold], members, features_at, daily, T0 + pd.Timedelta(days=4), 24, 10)
    a = acc.set_index("account_id")
    assert a.loc["a", "hours_to_flag"] == 48 - 6
    assert np.isnan(a.loc["b", "hours_to_flag"])
    assert "early" not in a.index  # first request before the cutoff: not measurable
    row = camp.iloc[0]
    assert row["accounts_measured"] == 2 and row["flagged_share"] == 0.5
    # a's exchanges on days 2, 3, 4 (30 of 50 + 5) came after its flag
    assert row["share_after_flag"] == 30 / 55


def test_method_and_archetype_tables():
    rng = np.random.default_rng(0)
    n_pos, n_neg = 50, 2000
    test = pd.DataFrame(
        {
            "account_id": [f"p{i}" for i in range(n_pos)] + [f"n{i}" for i in range(n_neg)],
            "y": [1] * n_pos + [0] * n_neg,
            "campaign_eval": ["c"] * n_pos + [None] * n_neg,
            "archetype": ["campaign"] * n_pos + ["eval_harness"] * 100 + ["casual"] * (n_neg - 100),
        }
    )
    test["model"] = np.r_[rng.normal(5, 1, n_pos), rng.normal(0, 1, n_neg)]
    test["rate_limit"] = rng.normal(0, 1, n_pos + n_neg)
    test["model_flag"] = test["model"] >= 3.5
    split = Split("campaign c", T0, np.array([0]), np.array([1]), ("c",))
    fold = FoldResult("held-out campaign", split, test, None, ["model", "rate_limit"])
    t = method_table([fold], fast_config(), by_campaign=True)
    assert t.loc[0, "model R@1%"] > 0.8 > t.loc[0, "rate_limit R@1%"]
    assert t.loc[0, "model AP"] > t.loc[0, "rate_limit AP"]
    arch = archetype_table([fold]).set_index("archetype")
    flagged = test[(test["y"] == 0) & test["model_flag"]]
    assert arch["flagged"].sum() == len(flagged)
    assert set(arch.index) == {"eval_harness", "casual"}
