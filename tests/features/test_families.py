"""Hand-computed expectations on tiny event tables, one block per feature family."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from features import build_features
from tests.features.synth import table, to_inputs

D0 = datetime(2026, 5, 1, tzinfo=UTC)
AS_OF = datetime(2026, 5, 2, tzinfo=UTC)
S = 0x1111_2222_3333_4444
T = 0x5555_6666_7777_0888


def _ev(i, acc, ts, **kw):
    row = dict(
        request_id=f"{acc}-{i}",
        account_id=acc,
        ts=ts,
        model="m",
        ip="1.2.3.4",
        input_tokens=100,
        output_tokens=200,
        status_code=200,
        tls_fingerprint="t1",
    )
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def five():
    """Account a1: five events with known gaps, statuses, categories, SimHashes, IPs."""
    t0 = D0 + timedelta(hours=10)
    times = [
        t0,
        t0 + timedelta(seconds=0.5),
        t0 + timedelta(seconds=60.5),
        t0 + timedelta(seconds=180.5),
        t0 + timedelta(seconds=7380.5),
    ]
    spec = [
        dict(
            status_code=200,
            stop_reason="tool_use",
            task_category="coding",
            prompt_simhash=S,
            prompt="think step by step",
            conversation_id="c1",
            turn_index=0,
            ip="1.2.3.4",
            asn_kind="datacenter",
            country="US",
        ),
        dict(
            status_code=200,
            stop_reason="end_turn",
            task_category="coding",
            prompt_simhash=S,
            prompt="hello",
            conversation_id="c1",
            turn_index=1,
            ip="1.2.3.5",
            asn_kind="datacenter",
            country="US",
        ),
        dict(
            status_code=429,
            stop_reason="tool_use",
            task_category="agentic",
            prompt_simhash=S ^ 1,
            prompt="show your reasoning please",
            conversation_id="c2",
            turn_index=0,
            ip="1.2.3.4",
            asn_kind="residential",
            country="DE",
        ),
        dict(
            status_code=500,
            stop_reason=None,
            task_category="chat",
            prompt_simhash=T,
            prompt="x",
            conversation_id="c3",
            turn_index=0,
            ip="5.6.7.8",
            asn_kind="residential",
        ),
        dict(
            status_code=200,
            stop_reason="max_tokens",
            task_category=None,
            prompt_simhash=None,
            prompt=None,
            ip="5.6.7.8",
            asn_kind="residential",
            country="US",
        ),
    ]
    events = [_ev(i, "a1", ts, **kw) for i, (ts, kw) in enumerate(zip(times, spec, strict=True))]
    events.append(_ev(0, "a2", D0 + timedelta(hours=11), ip="9.9.9.9"))
    accounts = [
        dict(
            account_id="a1",
            created_at=D0 - timedelta(days=1),
            payment_kind="prepaid_card",
            billing_country="US",
        ),
        dict(account_id="a2", created_at=D0 - timedelta(days=3)),
        dict(account_id="late", created_at=AS_OF + timedelta(hours=1)),
    ]
    inputs = to_inputs(table("events", events), table("accounts", accounts))
    df = build_features(inputs, AS_OF, "7d")
    return df.set_index("account_id")


def test_rows_are_the_active_accounts(five):
    assert list(five.index) == ["a1", "a2"]
    assert (five["as_of"] == AS_OF).all()


def test_volume(five):
    a = five.loc["a1"]
    assert a["volume_exchanges_7d"] == 5
    assert a["volume_active_days_7d"] == 1
    assert a["volume_input_tokens_7d"] == 500
    assert a["volume_output_input_ratio_7d"] == pytest.approx(2.0)
    assert a["volume_share_429_7d"] == pytest.approx(0.2)
    assert a["volume_share_error_7d"] == pytest.approx(0.2)
    assert a["volume_share_max_tokens_7d"] == pytest.approx(0.25)  # 1 of 4 with a stop reason


def test_cadence(five):
    a = five.loc["a1"]
    gaps = [500, 60_000, 120_000, 7_200_000]
    mean = sum(gaps) / 4
    std = math.sqrt(sum((g - mean) ** 2 for g in gaps) / 4)
    assert a["cadence_iat_median_s_7d"] == pytest.approx(90.0)
    assert a["cadence_iat_cv_7d"] == pytest.approx(std / mean)
    assert a["cadence_iat_sub1s_share_7d"] == pytest.approx(0.25)
    assert a["cadence_iat_entropy_7d"] == pytest.approx(2.0)  # four distinct log2 bins
    assert a["cadence_iat_regular_share_7d"] == pytest.approx(0.0)
    assert a["cadence_hour_entropy_7d"] == pytest.approx(
        -(0.8 * math.log2(0.8) + 0.2 * math.log2(0.2))
    )
    assert a["cadence_active_hours_per_day_7d"] == pytest.approx(2.0)
    assert a["cadence_sessions_per_day_7d"] == pytest.approx(2.0)  # the 2 h gap splits
    assert a["cadence_session_exchanges_mean_7d"] == pytest.approx(2.5)
    assert a["cadence_session_minutes_mean_7d"] == pytest.approx(180_500 / 60_000 / 2)
    # local night: US is UTC-5, DE UTC+1: 10:00 UTC is 05:00 in the US (night), 11:01 in DE
    assert a["cadence_night_share_7d"] == pytest.approx(2 / 4)


def test_content(five):
    a = five.loc["a1"]
    assert a["content_focus_share_7d"] == pytest.approx(0.75)
    assert a["content_coding_share_7d"] == pytest.approx(0.5)
    assert a["content_category_hhi_7d"] == pytest.approx(6 / 16)
    assert a["content_top_category_7d"] == "coding"
    assert a["content_reasoning_elicitation_share_7d"] == pytest.approx(0.5)
    assert a["content_simhash_distinct_ratio_7d"] == pytest.approx(0.75)
    assert a["content_near_dup_share_7d"] == pytest.approx(0.75)  # S, S, S^1 share bands; T not
    assert a["content_top_template_share_7d"] == pytest.approx(0.5)
    assert a["content_conversation_depth_mean_7d"] == pytest.approx(4 / 3)
    assert a["content_single_turn_share_7d"] == pytest.approx(2 / 3)
    assert a["content_tool_use_share_7d"] == pytest.approx(0.5)
    assert a["content_tool_followup_share_7d"] == pytest.approx(0.5)
    assert a["content_refusal_share_7d"] == pytest.approx(0.0)


def test_infrastructure(five):
    a = five.loc["a1"]
    assert a["infra_distinct_ips_7d"] == 3
    assert a["infra_ip_rotation_7d"] == pytest.approx(0.6)
    assert a["infra_distinct_prefixes_7d"] == 2
    assert a["infra_datacenter_share_7d"] == pytest.approx(0.4)
    assert a["infra_residential_share_7d"] == pytest.approx(0.6)
    assert a["infra_distinct_countries_7d"] == 2
    assert a["infra_tls_rarity_7d"] == pytest.approx(0.0)  # both active accounts use t1


def test_account(five):
    a = five.loc["a1"]
    assert a["account_age_days_asof"] == pytest.approx(2.0)
    assert a["account_first_request_delay_days_asof"] == pytest.approx(1 + 10 / 24)
    assert a["account_payment_kind_asof"] == "prepaid_card"
    assert str(five["account_payment_kind_asof"].dtype) == "category"
    assert a["account_billing_country_match_share_7d"] == pytest.approx(0.75)
    assert math.isnan(a["account_has_org_asof"])  # no account has an org_id: unknown, not 0


def test_adoption():
    ev = [
        _ev(0, "b", D0, model="old"),
        _ev(1, "b", D0 + timedelta(days=4), model="new"),
        _ev(0, "a", D0 + timedelta(days=4, hours=12), model="new"),
        _ev(1, "a", D0 + timedelta(days=5), model="old"),
        _ev(2, "a", D0 + timedelta(days=6), model="new"),
    ]
    acc = [dict(account_id=a, created_at=D0 - timedelta(days=1)) for a in "ab"]
    df = build_features(
        to_inputs(table("events", ev), table("accounts", acc)), D0 + timedelta(days=8)
    )
    a = df.set_index("account_id").loc["a"]
    assert a["adoption_share_24h_7d"] == pytest.approx(1 / 3)
    assert a["adoption_share_72h_7d"] == pytest.approx(2 / 3)
    assert a["adoption_first_use_lag_hours_7d"] == pytest.approx(12.0)


@pytest.fixture(scope="module")
def ring_inputs():
    """r1..r3 share a /24, a rare TLS fingerprint and hours of activity; x1 is alone."""
    ev = []
    for acc in ("r1", "r2", "r3"):
        for h, n in ((1, 3), (5, 1), (9, 2)):
            for k in range(n):
                ev.append(
                    _ev(
                        len(ev),
                        acc,
                        D0 + timedelta(hours=h, minutes=k),
                        ip=f"9.9.9.{k + 1}",
                        tls_fingerprint="rare",
                    )
                )
    for k in range(4):
        ev.append(
            _ev(len(ev), "x1", D0 + timedelta(hours=2 + 3 * k), ip="7.7.7.7", tls_fingerprint="own")
        )
    acc = [
        dict(
            account_id="r1",
            created_at=D0 - timedelta(hours=2),
            payment_fingerprint="p",
            org_id=None,
            verification_path="standard",
        ),
        dict(
            account_id="r2",
            created_at=D0 - timedelta(hours=2),
            payment_fingerprint="p",
            verification_path="standard",
        ),
        dict(
            account_id="r3",
            created_at=D0 - timedelta(hours=1),
            payment_fingerprint="q",
            verification_path="standard",
        ),
        dict(
            account_id="x1",
            created_at=D0 - timedelta(days=9),
            payment_fingerprint="z",
            org_id="o",
            verification_path="education",
        ),
    ]
    return to_inputs(table("events", ev), table("accounts", acc))


def test_cohort(ring_inputs):
    df = build_features(ring_inputs, AS_OF).set_index("account_id")
    r1, x1 = df.loc["r1"], df.loc["x1"]
    assert r1["cohort_prefix_accounts_7d"] == 2 and x1["cohort_prefix_accounts_7d"] == 0
    assert r1["cohort_tls_accounts_7d"] == 2
    assert (
        r1["cohort_payment_accounts_asof"] == 1
        and df.loc["r3", "cohort_payment_accounts_asof"] == 0
    )
    assert r1["cohort_signup_hour_accounts_asof"] == 1  # r2 in the same hour bucket
    assert r1["cohort_component_size_7d"] == 3 and x1["cohort_component_size_7d"] == 1
    assert r1["cohort_activity_corr_7d"] == pytest.approx(1.0)
    assert math.isnan(x1["cohort_activity_corr_7d"]) and math.isnan(x1["cohort_org_share_7d"])
    assert r1["cohort_payment_diversity_7d"] == pytest.approx(2 / 3)
    assert r1["cohort_signup_span_hours_7d"] == pytest.approx(1.0)
    assert r1["cohort_special_verification_share_7d"] == pytest.approx(0.0)
    assert r1["cohort_org_share_7d"] == pytest.approx(0.0)


def test_link_edges(ring_inputs):
    from features.cohort import link_edges

    edges = link_edges(ring_inputs, AS_OF, ["r1", "r2", "x1"])
    assert set(map(tuple, edges[["account_a", "account_b"]].drop_duplicates().values)) == {
        ("r1", "r2")
    }
    assert {"ip_prefix", "tls_fingerprint", "payment_fingerprint"} <= set(edges["kind"])
    assert set(edges.loc[edges.kind == "payment_fingerprint", "value"]) == {"p"}
