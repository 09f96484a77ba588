"""score_frame: scores, flags at the model's threshold, ranks, reasons, drift."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.reasons import is_well_formed
from scoring.batch import score_frame
from scoring.drift import feature_drift, psi

from .conftest import AS_OF, FEATURES, feature_table


def test_scores_flags_ranks_and_reasons(tiny_model, score_cfg):
    df, _ = feature_table(1000, 60, seed=7)
    res = score_frame(df, tiny_model, model_version="3", as_of=AS_OF, cfg=score_cfg)
    s = res.scores
    assert len(s) == len(df) and s["account_id"].tolist() == df["account_id"].tolist()
    margin = tiny_model.margin(df)
    np.testing.assert_allclose(s["margin"], margin)
    np.testing.assert_allclose(s["score"], tiny_model.predict_proba(df))
    assert (s["flagged"] == (margin >= tiny_model.margin_threshold)).all()
    assert sorted(s["rank"]) == list(range(1, len(s) + 1))
    assert s.sort_values("rank")["margin"].is_monotonic_decreasing
    assert (s["model_version"] == "3").all() and (s["threshold"] == tiny_model.threshold).all()
    flagged, calm = s[s["flagged"]], s[~s["flagged"]]
    assert 0 < len(flagged) < len(s)
    assert flagged["reason_1_text"].notna().all() and calm["reason_1_text"].isna().all()
    for r in flagged.to_dict("records"):
        shaps = [
            r[f"reason_{i}_shap"] for i in range(1, 6) if isinstance(r[f"reason_{i}_feature"], str)
        ]
        assert shaps == sorted(shaps, reverse=True) and all(v > 0 for v in shaps)
        assert all(is_well_formed(r[f"reason_{i}_text"]) for i in range(1, len(shaps) + 1))
        assert r["reason_1_feature"] in FEATURES
    # contributions explain the margin: each row sums to it
    contrib = res.flagged_contributions
    np.testing.assert_allclose(
        contrib.sum(axis=1), flagged.sort_values("rank")["margin"], atol=1e-6
    )


def test_no_flags_no_reasons(tiny_model, score_cfg):
    df, _ = feature_table(200, 0, seed=3)
    res = score_frame(df, tiny_model, model_version="1", as_of=AS_OF, cfg=score_cfg)
    assert not res.scores["flagged"].any()
    assert res.scores["reason_1_text"].isna().all()
    assert res.rings.empty


def test_drift_is_small_on_the_reference_population_and_large_when_shifted(tiny_model):
    df, _ = feature_table(3000, 0, seed=11)
    refs = tiny_model.reference["features"]
    same = feature_drift(df, refs, 1e-4)
    assert same.max() < 0.1
    shifted = df.assign(**{FEATURES[2]: df[FEATURES[2]] * 0.1})
    moved = feature_drift(shifted, refs, 1e-4)
    assert moved.index[0] == FEATURES[2] and moved.iloc[0] > 1.0
    cat = df.assign(account_payment_kind=pd.Categorical(["invoice"] * len(df)))
    assert feature_drift(cat, refs, 1e-4)["account_payment_kind"] > 0.5


def test_psi_formula():
    assert psi(np.array([0.5, 0.5]), np.array([0.5, 0.5]), 1e-4) == 0
    expected = (0.9 - 0.5) * np.log(0.9 / 0.5) + (0.1 - 0.5) * np.log(0.1 / 0.5)
    assert psi(np.array([1, 1]), np.array([9, 1]), 1e-4) == pytest_approx(expected)


def pytest_approx(x):
    import pytest

    return pytest.approx(x, rel=1e-9)
