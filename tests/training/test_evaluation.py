"""Evaluation pieces: time to detection from daily scoring, method and archetype tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.training.conftest import fast_config
from training.detection import detection, sample_members
from training.eval_features import daily_grid
from training.eval_tables import archetype_table, method_table, wilson
from training.evaluation import FoldResult
from training.splits import Split

T0 = pd.Timestamp("2026-04-01", tz="UTC")
DAY = pd.Timedelta(days=1)


class ThresholdModel:
    """Flags accounts whose `score` feature is >= 1 (a stand-in for a fold model)."""

    def flag(self, x: pd.DataFrame) -> np.ndarray:
        return x["score"].to_numpy() >= 1


def test_time_to_detection_covers_the_whole_campaign_life():
    """A member that starts 20 days after the campaign's first one is scored and flagged
    (the old 14-day window from the fold's cutoff missed such members: coding_bulk 0.000)."""
    split = Split("held out c", T0, np.array([0]), np.array([1]), ("c",), time_ordered=False)
    fold = FoldResult("held-out campaign", split, pd.DataFrame(), ThresholdModel())
    first = {"a": T0 + pd.Timedelta(hours=6), "b": T0 + pd.Timedelta(hours=12)}
    first["late"] = T0 + 20 * DAY + pd.Timedelta(hours=3)
    members = pd.DataFrame(
        {"account_id": list(first), "campaign": "c", "first_seen": list(first.values())}
    )
    flag_from = {"a": T0 + 2 * DAY, "b": None, "late": T0 + 22 * DAY}
    grid = daily_grid(T0 + pd.Timedelta(hours=6), T0 + 25 * DAY, 24)
    assert grid[0] == T0 and grid[-1] == T0 + 25 * DAY and len(grid) == 26
    daily = pd.DataFrame(
        [
            {"account_id": a, "as_of": t, "score": float(f is not None and t >= f)}
            for a, f in flag_from.items()
            for t in grid
            if t > first[a]
        ]
    )
    ev = [(a, T0 + i * DAY, 10) for a in ("a",) for i in range(5)]
    ev += [("b", T0 + i * DAY, 1) for i in range(5)]
    ev += [("late", T0 + (20 + i) * DAY, 20) for i in range(5)]
    events = pd.DataFrame(ev, columns=["account_id", "day", "n"])
    acc, camp = detection([fold], members, daily, events)
    a = acc.set_index("account_id")
    assert a.loc["a", "hours_to_flag"] == 48 - 6
    assert a.loc["late", "hours_to_flag"] == 48 - 3
    assert np.isnan(a.loc["b", "hours_to_flag"])
    row = camp.iloc[0]
    assert row["accounts_measured"] == 3 and row["flagged_share"] == 2 / 3
    assert row["median_hours_to_flag"] == 43.5 and row["median_hours_all"] == 45
    # a: days 2-4 (30 of 50); late: days 22-24 (60 of 100); b never (5)
    assert row["share_after_flag"] == 90 / 155
    assert row["last_pass"] == T0 + 25 * DAY


def test_member_sample_is_capped_per_campaign_and_stable():
    m = pd.DataFrame(
        {
            "account_id": [f"x{i}" for i in range(50)] + [f"y{i}" for i in range(5)],
            "campaign": ["x"] * 50 + ["y"] * 5,
            "first_seen": T0,
        }
    )
    s = sample_members(m, 10, seed=3)
    assert s.groupby("campaign").size().to_dict() == {"x": 10, "y": 5}
    assert list(sample_members(m.iloc[::-1], 10, seed=3)["account_id"]) == list(s["account_id"])


def test_method_table_counts_what_each_fpr_rests_on():
    rng = np.random.default_rng(0)
    n_pos, n_neg = 50, 2000
    test = pd.DataFrame(
        {
            "account_id": [f"p{i}" for i in range(n_pos)] + [f"n{i // 4}" for i in range(n_neg)],
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
    t = method_table([fold], fast_config(), by_campaign=True).iloc[0]
    assert t["model R@1%"] > 0.8 > t["rate_limit R@1%"]
    assert t["model AP"] > t["rate_limit AP"]
    assert t["legit"] == n_neg and t["legit accounts"] == n_neg // 4
    assert t["FP@0.1%"] == 2 and t["FP@1%"] == 20
    assert t["fp_at_threshold"] == int(test.loc[test["y"] == 0, "model_flag"].sum())
    lo, hi = (float(x) for x in t["model R@0.1% 95% CI"].split("-"))
    assert lo <= t["model R@0.1%"] <= hi


def test_archetype_table_counts_the_shared_legit_side_once():
    legit = pd.DataFrame(
        {
            "account_id": ["u1", "u1", "u2", "e1"],
            "as_of": [T0, T0 + DAY, T0, T0],
            "y": 0,
            "archetype": ["university_class"] * 3 + ["eval_harness"],
        }
    )
    folds = []
    for i, flags in enumerate(([True, False, False, False], [True, True, False, False])):
        split = Split(f"held out {i}", T0, np.array([0]), np.array([1]), (str(i),))
        folds.append(FoldResult("held-out campaign", split, legit.assign(model_flag=flags), None))
    a = archetype_table(folds).set_index("archetype")
    u = a.loc["university_class"]
    assert u["snapshots"] == 3 and u["accounts"] == 2 and u["folds"] == 2
    assert u["flags_all_folds"] == 3 and u["fpr"] == 3 / 6 and u["fpr_worst_fold"] == 2 / 3
    assert u["accounts_ever_flagged"] == 1 and u["fpr_95_upper"] > u["fpr"]
    assert a.loc["eval_harness", "fpr"] == 0


def test_wilson_interval():
    lo, hi = wilson(0, 1000)
    assert lo < 1e-12 and 0 < hi < 0.005
    lo, hi = wilson(50, 100)
    assert lo < 0.5 < hi and abs((0.5 - lo) - (hi - 0.5)) < 1e-9


def test_time_to_detection_when_nothing_is_flagged():
    split = Split("held out c", T0, np.array([0]), np.array([1]), ("c",), time_ordered=False)
    fold = FoldResult("held-out campaign", split, pd.DataFrame(), ThresholdModel())
    members = pd.DataFrame({"account_id": ["a", "b"], "campaign": "c", "first_seen": T0})
    daily = pd.DataFrame({"account_id": ["a", "b"], "as_of": T0 + DAY, "score": 0.0})
    events = pd.DataFrame({"account_id": ["a", "b"], "day": T0, "n": [3, 4]})
    acc, camp = detection([fold], members, daily, events)
    row = camp.iloc[0]
    assert acc["flagged_at"].isna().all() and row["flagged_share"] == 0
    assert row["share_after_flag"] == 0 and row["exchanges"] == 7
    assert row["median_hours_all"] == np.inf


def test_feature_cache_reused_only_for_the_same_key(tmp_path):
    from training.eval_features import EvalFeatures
    from training.evaluate_world import cached

    calls = []

    def build():
        calls.append(1)
        snaps = pd.DataFrame({"account_id": ["a"], "as_of": [T0], "f": [float(len(calls))]})
        return EvalFeatures(snaps, snaps.assign(f=-1.0))

    first = cached(tmp_path, {"world": "w", "members": ["a"]}, build)
    again = cached(tmp_path, {"world": "w", "members": ["a"]}, build)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(again.snapshots, first.snapshots)
    pd.testing.assert_frame_equal(again.daily, first.daily)
    other = cached(tmp_path, {"world": "w", "members": ["a", "b"]}, build)
    assert len(calls) == 2 and other.snapshots["f"].iloc[0] == 2.0
