"""Point in time: nothing at or after the cutoff changes any feature of any account."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features import build_features
from tests.features.synth import START, make_world, table, to_inputs

BASE = make_world(seed=11, legit=8, ring=4, days=6)
IDS = sorted(set(BASE[1].column("account_id").to_pylist()))

future_event = st.fixed_dictionaries(
    {
        "after_s": st.integers(0, 3 * 86400),
        "account": st.sampled_from([*IDS, "new-1", "new-2"]),
        "ip": st.sampled_from(["203.0.113.7", "192.0.2.10", "8.8.8.8"]),
        "tls": st.sampled_from(["tls-ring", "tls-common-0", "tls-new"]),
        "model": st.sampled_from(["m-1", "m-2", "m-brand-new"]),
        "simhash": st.integers(-(2**63), 2**63 - 1),
        "payment": st.sampled_from(["pp-0", "pay-acme", "fresh"]),
    }
)


def _append(cutoff, rows):
    events, accounts, _ = BASE
    ev, acc = [], []
    for i, r in enumerate(rows):
        ts = cutoff + timedelta(seconds=r["after_s"])
        ev.append(
            dict(
                request_id=f"future-{i}",
                account_id=r["account"],
                ts=ts,
                model=r["model"],
                ip=r["ip"],
                input_tokens=5,
                output_tokens=9,
                status_code=200,
                tls_fingerprint=r["tls"],
                prompt_simhash=r["simhash"],
                task_category="coding",
            )
        )
        if r["account"].startswith("new") and r["account"] not in {a["account_id"] for a in acc}:
            # a new account, created at or after the cutoff, sharing a payment instrument
            acc.append(
                dict(
                    account_id=r["account"],
                    created_at=ts,
                    payment_fingerprint=r["payment"],
                    signup_ip=r["ip"],
                )
            )
    return (
        pa.concat_tables([events, table("events", ev)]),
        pa.concat_tables([accounts, table("accounts", acc)]),
    )


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cutoff_h=st.integers(30, 5 * 24),
    rows=st.lists(future_event, min_size=1, max_size=25),
)
def test_appending_future_events_changes_nothing(cutoff_h, rows):
    cutoff = START + timedelta(hours=cutoff_h)
    before = build_features(to_inputs(BASE[0], BASE[1]), cutoff, "3d")
    after = build_features(to_inputs(*_append(cutoff, rows)), cutoff, "3d")
    assert len(before) > 0
    pd.testing.assert_frame_equal(before, after)


def test_accounts_created_after_the_cutoff_are_excluded():
    events, accounts, _ = BASE
    cutoff = START + timedelta(days=3)
    ev = [
        dict(
            request_id="early",
            account_id="born-later",
            ts=cutoff - timedelta(hours=1),
            model="m-1",
            ip="1.1.1.1",
            input_tokens=1,
            output_tokens=1,
            status_code=200,
        )
    ]
    acc = [dict(account_id="born-later", created_at=cutoff + timedelta(minutes=1))]
    inputs = to_inputs(
        pa.concat_tables([events, table("events", ev)]),
        pa.concat_tables([accounts, table("accounts", acc)]),
    )
    df = build_features(inputs, cutoff, "3d")
    assert "born-later" not in set(df["account_id"])
    assert len(df) > 0
