"""Reason sentences: readable without the catalogue, well formed for every feature name."""

from __future__ import annotations

import numpy as np
import pytest

from models.reasons import is_well_formed, legit_rank, parse_feature_name, sentence


def test_share_sentence_names_the_share_and_the_median():
    s = sentence("content_coding_agentic_share_7d", 0.93, {"median": 0.31})
    assert s.startswith("93% of exchanges were coding or agentic")
    assert "the median legitimate account: 31%" in s
    assert "over the last 7 days" in s


def test_cohort_sentence_counts_other_accounts():
    s = sentence("cohort_payment_shared_7d", 41, {"median": 0.0})
    assert s.startswith("Shares a payment instrument with 41 other accounts")
    assert sentence("cohort_payment_accounts_asof", 1, None) == (
        "Shares a payment instrument with 1 other account."
    )
    one = sentence("infra_distinct_countries_7d", 1, None)
    assert one.startswith("It connected from 1 country ")


def test_generic_fallback_expands_abbreviations():
    s = sentence("cadence_iat_p90_7d", 0.12, {"median": 1.4})  # not in the curated phrases
    assert "90th percentile of time between requests" in s
    assert "0.12" in s and "1.40" in s
    assert "_" not in s


def test_rank_against_legit_bins():
    ref = {"bin_edges": [0.1, 0.2, 0.3], "proportions": [0.25, 0.25, 0.25, 0.25]}
    assert legit_rank(0.3, ref) == pytest.approx(0.75)
    assert legit_rank(0.1, ref) == pytest.approx(0.25)
    s = sentence("content_reasoning_share_7d", 0.9, ref | {"median": 0.15})
    assert "higher than" not in s  # 0.75 is not unusual enough to say so
    ten = {"bin_edges": list(np.linspace(0.1, 0.9, 9)), "proportions": [0.1] * 10}
    assert "higher than 90% of legitimate accounts" in sentence("x_y_share_7d", 0.95, ten)


def test_categorical_and_missing_values():
    ref = {"kind": "categorical", "proportions": {"card": 0.9, "prepaid_card": 0.04}}
    s = sentence("account_payment_kind", "prepaid_card", ref)
    assert "prepaid card" in s and "4% of legitimate accounts have it" in s
    assert "missing" in sentence("infra_tls_n_7d", float("nan"), {"median": 2})


@pytest.mark.parametrize(
    "name",
    [
        "volume_exchanges_per_day_7d",
        "volume_429_share_7d",
        "cadence_hod_entropy_7d",
        "infra_ip24_n_7d",
        "infra_dc_share_7d",
        "adoption_24h_share_7d",
        "cohort_component_size_7d",
        "cohort_signup_hour_n_7d",
        "cohort_tls_shared_7d",
        "account_age_days",
        "lonely",
        "a_b_c_d_e_f_30d",
    ],
)
def test_names_parse_and_read_well(name):
    fn = parse_feature_name(name)
    assert fn.family and name.endswith(fn.window or "")
    for value in (0.0, 0.42, 3.0, 1234.5, None):
        s = sentence(name, value, {"median": 0.5})
        assert is_well_formed(s), s


def test_every_catalogue_feature_reads_well(planted_model):
    """Every feature of the catalogue gets a well-formed sentence, with real reference stats."""
    from features.catalogue import all_specs
    from models.reasons import phrases

    model, feats = planted_model
    specs = all_specs()
    assert len(specs) > 50
    for spec in specs:
        name = spec.name.format(w="7d")
        ref = model.reference["features"].get(name)
        values = list(spec.categories[:2]) if spec.categories else [0.0, 0.07, 1.0, 17.0]
        if name in feats:
            values.append(feats[name].iloc[0])
        for value in [*values, None]:
            s = sentence(name, value, ref)
            assert is_well_formed(s), (name, value, s)
    stems = {parse_feature_name(s.name.format(w="7d")).stem for s in specs}
    assert stems - set(phrases()) <= {
        "account_has_org",
        "infra_tls_rarity",
        "infra_header_rarity",
        "infra_user_agent_rarity",
    }


def test_well_formed_rejects_code_leftovers():
    assert not is_well_formed("value was nan.")
    assert not is_well_formed("Cadence_iat_cv was 3.")
    assert not is_well_formed("Value was {x}.")
    assert not is_well_formed("No full stop")
    assert is_well_formed("93% of exchanges were coding.")
