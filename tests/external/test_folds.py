"""Fold protocol of the external runner on synthetic labels (fast; no data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from distillguard.config import CONFIGS, load_config


@pytest.fixture(scope="module")
def cfg():
    from training.external import ExternalConfig

    return load_config(CONFIGS / "cresci2015.yaml", ExternalConfig)


def _labels(n_h=200, vendors=(("A", 60), ("B", 40), ("C", 30))) -> pd.DataFrame:
    rows = [{"account_id": f"h{i}", "label": 0, "campaign_id": None} for i in range(n_h)]
    for v, n in vendors:
        rows += [{"account_id": f"{v}{i}", "label": 1, "campaign_id": v} for i in range(n)]
    return pd.DataFrame(rows)


def test_vendor_folds_hold_each_vendor_out_and_split_humans_by_account():
    from training.external import vendor_folds

    lab = _labels()
    folds = vendor_folds(lab, ["A", "B", "C"], 0.5, seed=3)
    for f in folds:
        assert not f.train & f.test
        test_fakes = {a for a in f.test if not a.startswith("h")}
        train_fakes = {a for a in f.train if not a.startswith("h")}
        assert test_fakes and all(a.startswith(f.vendor) for a in test_fakes)
        assert train_fakes and not any(a.startswith(f.vendor) for a in train_fakes)
        assert sum(a.startswith("h") for a in f.test) == 100
    again = vendor_folds(lab, ["A", "B", "C"], 0.5, seed=3)
    assert [f.test for f in folds] == [f.test for f in again]


def test_vendor_folds_refuse_an_unknown_vendor():
    from training.external import vendor_folds

    with pytest.raises(ValueError, match="Z"):
        vendor_folds(_labels(), ["A", "Z"], 0.5, seed=0)


def test_internal_splits_are_by_account_and_hold_out_training_vendors(cfg):
    from training.external import internal_splits

    lab = _labels(vendors=(("A", 60), ("B", 40)))
    lab["feature"] = np.arange(len(lab), dtype=float)
    folds, cal = internal_splits(lab, cfg.run, seed=1)
    camp = lab["campaign_id"].to_numpy()
    assert [f.held_out_campaigns for f in folds] == [("A",), ("B",)]
    for f in folds:
        assert not set(f.train) & set(f.test)
        (v,) = f.held_out_campaigns
        assert (camp[f.train] != v).all() and (
            camp[f.test][lab["label"].to_numpy()[f.test] == 1] == v
        ).all()
    assert not set(cal.train) & set(cal.test)
    assert len(cal.train) + len(cal.test) == len(lab)
    for v, n in (("A", 60), ("B", 40)):
        got = (camp[cal.test] == v).sum()
        assert got == round(cfg.run.calibration_share * n)


def test_declared_age_columns_follow_the_catalogue():
    from training.external import declared_age_columns

    cols = ["account_age_days_asof", "volume_exchanges_30d", "cohort_signup_span_hours_30d"]
    got = declared_age_columns(cols)
    assert "account_age_days_asof" in got and "cohort_signup_span_hours_30d" in got
    assert "volume_exchanges_30d" not in got


def test_excluded_columns_carry_their_reason(cfg):
    from training.external import excluded_columns

    got = excluded_columns(
        ["adoption_share_24h_30d", "volume_exchanges_30d"], cfg.run.excluded_features
    )
    assert list(got) == ["adoption_share_24h_30d"] and got["adoption_share_24h_30d"]


def test_best_mcc_matches_a_brute_force_search():
    from sklearn.metrics import matthews_corrcoef

    from training.external import best_mcc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(y * 0.6 + rng.random(300), 2)
    brute = max(matthews_corrcoef(y, (s >= t).astype(int)) for t in np.unique(s))
    assert best_mcc(y, s) == pytest.approx(brute)


def test_import_names_the_missing_source_file_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from distillguard.cli import app

    out = tmp_path / "world"
    res = CliRunner().invoke(
        app, ["import", "cresci2015", str(tmp_path / "nope"), "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "accounts.parquet" in res.output and "not found" in res.output
    assert not out.exists()


def test_report_rewrites_only_its_generated_section(cfg, tmp_path):
    from training.external import ExternalResult
    from training.external_report import BEGIN, END, render, write_report

    rows = []
    for fs in cfg.feature_sets:
        for i, v in enumerate(cfg.run.vendors):
            rows.append(
                {
                    "feature_set": fs.name,
                    "vendor": v,
                    "n_test_fakes": 10,
                    "n_test_humans": 20,
                    "vendor_not_scored": 1,
                    "precision": 0.9,
                    "recall": 0.5 + i / 10,
                    "f1": 0.6,
                    "mcc": 0.5 + i / 10,
                    "average_precision": 0.9,
                    "fp": 1,
                    "fn": 5,
                    "threshold": 0.7,
                    "recall_all_vendor_accounts": 0.45,
                    "best_threshold_mcc": 0.8,
                    "threshold_rate": 0.0345,
                    "threshold_oof_criterion": 0.8125,
                    "mcc_at_val_fpr_0.005": 0.2,
                    "mcc_at_val_fpr_0.05": 0.7,
                }
            )
    shap = pd.DataFrame(
        [
            {
                "feature_set": fs.name,
                "vendor": "FSF",
                "feature": "volume_x_1d",
                "mean_abs_shap": 1.0,
                "mean_shap_fakes": 0.5,
                "median_fakes": 1.0,
                "median_humans": 3.0,
            }
            for fs in cfg.feature_sets
        ]
    )
    res = ExternalResult(
        pd.DataFrame(rows),
        shap,
        ["account_age_days_asof"],
        {},
        {
            "accounts": 30,
            "labelled": 30,
            "with_feature_row": 29,
            "without_feature_row": 1,
            "without_account_age": 3,
        },
        {"load": 1.0},
    )
    page = tmp_path / "page.md"
    page.write_text(f"# Title\n\nhand-written\n\n{BEGIN}\nold numbers\n{END}\n\ntail text\n")
    write_report(page, render(res, cfg, "distillguard external ...", None))
    text = page.read_text()
    assert "hand-written" in text and "tail text" in text and "old numbers" not in text
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "**NOT met** (worst 0.500)" in text
    assert f"policy {cfg.threshold.policy} (the result)" in text and "| 3.45% |" in text
    assert "0.005 calibration-human FPR (target_fpr, the product's rule)" in text
    assert "| 5.00% |" in text  # test-side human FPR: 1 FP of 20 test humans
    assert "pooled inner-fold mcc at that rate" in text and "| 0.812 |" in text


def test_with_seed_changes_only_the_training_seed(cfg):
    other = cfg.with_seed(cfg.train_config().seed + 1)
    assert other.train_config().seed == cfg.train_config().seed + 1
    assert other.train_config().tuning == cfg.train_config().tuning
    assert other.run == cfg.run and other.threshold == cfg.threshold
