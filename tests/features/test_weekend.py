"""cadence_weekend_share: weekly rhythm, null when no weekend day could be observed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from features import build_features
from tests.features.synth import table, to_inputs

MON = datetime(2026, 5, 4, tzinfo=UTC)  # a Monday; 9-10 May is the weekend
COL = "cadence_weekend_share_7d"


def _ev(acc: str, ts: datetime, i: int) -> dict:
    return dict(
        request_id=f"{acc}-{i}",
        account_id=acc,
        ts=ts,
        model="m",
        ip="1.2.3.4",
        input_tokens=10,
        output_tokens=20,
        status_code=200,
    )


@pytest.fixture(scope="module")
def inputs():
    days = {
        # Monday to Friday, office hours: sends nothing at the weekend it lived through
        "office": [MON + timedelta(days=d, hours=h) for d in range(5) for h in (9, 14)],
        # every day of the week, once
        "always": [MON + timedelta(days=d, hours=3) for d in range(7)],
        # Saturday and Sunday only
        "weekend": [MON + timedelta(days=d, hours=12) for d in (5, 6)],
        # first seen on Tuesday afternoon
        "fresh": [MON + timedelta(days=1, hours=15), MON + timedelta(days=2, hours=10)],
    }
    events = [_ev(a, ts, i) for a, tss in days.items() for i, ts in enumerate(tss)]
    accounts = [dict(account_id=a, created_at=MON - timedelta(days=30)) for a in days]
    return to_inputs(table("events", events), table("accounts", accounts))


def test_share_of_exchanges_at_the_weekend(inputs):
    df = build_features(inputs, MON + timedelta(days=7), "7d").set_index("account_id")
    assert df.loc["office", COL] == pytest.approx(0.0)
    assert df.loc["always", COL] == pytest.approx(2 / 7)
    assert df.loc["weekend", COL] == pytest.approx(1.0)
    # first seen Tuesday, scored the next Monday: it lived through a weekend and skipped it
    assert df.loc["fresh", COL] == pytest.approx(0.0)


def test_null_without_a_weekend_day_since_the_first_exchange(inputs):
    # Thursday 00:00: "fresh" (first seen Tuesday) has seen Tuesday and Wednesday only
    df = build_features(inputs, MON + timedelta(days=3), "7d").set_index("account_id")
    assert df.loc["fresh", COL] != df.loc["fresh", COL]  # NaN
    # a window reaching back to the previous weekend does not count: only days it was seen
    assert df.loc["office", COL] != df.loc["office", COL]


def test_a_cutoff_inside_saturday_counts_that_saturday(inputs):
    # Saturday 12:00: "office" has lived Monday to Saturday morning, so Saturday was open
    df = build_features(inputs, MON + timedelta(days=5, hours=12), "7d").set_index("account_id")
    assert df.loc["office", COL] == pytest.approx(0.0)
    assert df.loc["always", COL] == pytest.approx(1 / 6)
    # and the value moves with the cutoff although the compiled SQL is reused between passes
    df2 = build_features(inputs, MON + timedelta(days=5), "7d").set_index("account_id")
    assert df2.loc["office", COL] != df2.loc["office", COL]
