"""The evaluation's feature passes agree with build_snapshots and build_features."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from features import build_features, build_snapshots
from tests.features.synth import START, make_world, to_inputs
from training.eval_features import build_eval_features


@pytest.fixture(scope="module")
def world():
    return make_world(seed=3)


@pytest.mark.slow  # ~25 feature passes on the small synthetic world
def test_all_account_snapshots_and_daily_passes(world):
    events, accounts, labels = world
    ev = events.to_pandas()
    ring = sorted(ev.loc[ev["account_id"].str.contains("ring"), "account_id"].unique())[:3]
    assert ring, "the synthetic world has a ring"
    start, stop = START + timedelta(days=2), START + timedelta(days=5)
    out = build_eval_features(
        to_inputs(events, accounts, labels), (1, 3), "7d", ring, start, stop, 24
    )
    ref = build_snapshots(to_inputs(events, accounts, labels), offsets_days=(1, 3), window="7d")
    snaps = out.snapshots
    # the rows build_snapshots gives training are exactly the in_training_sample rows
    mine = snaps[snaps["in_training_sample"]].drop(columns="in_training_sample")
    key = ["account_id", "as_of"]
    mine, ref = (x.sort_values(key).reset_index(drop=True) for x in (mine, ref))
    pd.testing.assert_frame_equal(mine, ref, check_dtype=False, check_categorical=False)
    # and every account with events is snapshotted, not only labelled and sampled ones
    assert snaps["account_id"].nunique() > ref["account_id"].nunique()
    assert snaps["label"].isna().any()
    # daily passes: each grid day's features of the requested accounts, as build_features
    days = sorted(out.daily["as_of"].unique())
    assert [pd.Timestamp(d) for d in days] == list(pd.date_range(start, stop, freq="D"))
    day = pd.Timestamp(days[1])
    direct = build_features(to_inputs(events, accounts, labels), day, "7d")
    direct = direct[direct["account_id"].isin(ring)].reset_index(drop=True)
    got = out.daily[out.daily["as_of"] == day].sort_values("account_id").reset_index(drop=True)
    assert set(got["account_id"]) <= set(ring)
    pd.testing.assert_frame_equal(got, direct, check_dtype=False, check_categorical=False)
