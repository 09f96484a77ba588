"""Split hygiene: no account or organisation on both sides, nothing after the cutoff in training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.pipeline import label_frame
from training.splits import (
    Split,
    SplitError,
    calibration_split,
    campaign_folds,
    check_split,
    forward_folds,
    holdout_campaign_folds,
    make_split,
    org_keys,
)


def _assert_hygienic(df: pd.DataFrame, s: Split, gap_days: float) -> None:
    tr, te = df.iloc[s.train], df.iloc[s.test]
    assert len(tr) and len(te)
    assert not set(tr["account_id"]) & set(te["account_id"])
    orgs = org_keys(df)
    assert not set(orgs.iloc[s.train]) & set(orgs.iloc[s.test])
    train_end = s.cutoff - pd.Timedelta(days=gap_days)
    assert tr["as_of"].max() < train_end
    assert tr["labelled_at"].max() < train_end  # the label was known when training ended
    assert te["as_of"].min() >= s.cutoff
    assert not tr["campaign_id"].isin(s.held_out_campaigns).any()


def test_campaign_folds_are_hygienic(snaps, cfg):
    folds = campaign_folds(snaps, cfg.splits, cfg.seed)
    assert len(folds) >= 2
    for s in folds:
        _assert_hygienic(snaps, s, cfg.splits.gap_days)
        te = snaps.iloc[s.test]
        # test positives come only from the held-out campaign
        assert set(te.loc[te["label"] == 1, "campaign_id"]) == set(s.held_out_campaigns)


def test_forward_and_calibration_splits_are_hygienic(snaps, cfg):
    folds = forward_folds(snaps, cfg.splits, cfg.seed, n_cutoffs=3, test_days=14)
    assert folds
    for s in [*folds, calibration_split(snaps, cfg.splits, cfg.seed)]:
        _assert_hygienic(snaps, s, cfg.splits.gap_days)


def test_shared_org_goes_to_one_side(snaps, cfg):
    # put one early and one late account in the same organisation: the early one must leave
    # training once the late one is a test negative
    df = snaps.copy()
    s0 = calibration_split(df, cfg.splits, cfg.seed)
    late = df.iloc[s0.test]
    late_neg = late[late["label"] == 0].iloc[0]
    early_idx = s0.train[df["label"].to_numpy()[s0.train] == 0][0]
    df.loc[df["account_id"] == df.at[early_idx, "account_id"], "org_id"] = late_neg["org_id"]
    s1 = calibration_split(df, cfg.splits, cfg.seed)
    assert early_idx not in set(s1.train)
    _assert_hygienic(df, s1, cfg.splits.gap_days)


def test_check_split_refuses_overlap_and_leakage(snaps, cfg):
    s = make_split(snaps, snaps["as_of"].quantile(0.6), cfg.splits, cfg.seed)
    leak = Split("leaky", s.cutoff, np.r_[s.train, s.test[:1]], s.test)
    with pytest.raises(SplitError, match="both sides"):
        check_split(snaps, leak, cfg.splits.gap_days)
    late = np.flatnonzero(snaps["as_of"].to_numpy() >= s.cutoff)
    outside = np.setdiff1d(late, s.test)
    ahead = Split("ahead", s.cutoff, np.r_[s.train, outside[:1]], s.test[:0])
    with pytest.raises(SplitError, match="gap or test window"):
        check_split(snaps, ahead, cfg.splits.gap_days)


def test_holdout_campaign_folds_keep_accounts_and_orgs_apart(snaps, cfg):
    folds = holdout_campaign_folds(snaps, cfg.splits, cfg.seed)
    assert len(folds) == snaps["campaign_id"].dropna().nunique()
    orgs = org_keys(snaps)
    for s in folds:
        tr, te = snaps.iloc[s.train], snaps.iloc[s.test]
        assert not set(tr["account_id"]) & set(te["account_id"])
        assert not set(orgs.iloc[s.train]) & set(orgs.iloc[s.test])
        assert not tr["campaign_id"].isin(s.held_out_campaigns).any()
        assert not s.time_ordered


def test_presumed_legitimate_rows_never_reach_a_test_side(snaps, cfg):
    pu = cfg.model_copy(
        update={"unlabelled": cfg.unlabelled.model_copy(update={"as_negative": True})}
    )
    data = label_frame(snaps, pu)
    assert data["presumed"].sum() == snaps["label"].isna().sum()
    for s in campaign_folds(data, cfg.splits, cfg.seed):
        assert not data["presumed"].to_numpy()[s.test].any()
        assert data["presumed"].to_numpy()[s.train].any()  # they do train
    cal = calibration_split(data, cfg.splits, cfg.seed)
    assert data["presumed"].to_numpy()[cal.test].any()  # calibration sees the population


def _with_truth(tmp_path, unlabelled_share: float = 0.8):
    """Synthetic snapshots where most legitimate accounts are unreviewed, and their truth."""
    from training.synthetic import synthetic_snapshots

    s = synthetic_snapshots(
        n_legit=600, campaign_size=30, signal=2.5, seed=2, unlabelled_share=unlabelled_share
    )
    acc = s.drop_duplicates("account_id")[["account_id", "org_id"]].reset_index(drop=True)
    camp = acc["account_id"].str.extract(r"^C(\d+)-")[0]
    legit = camp.isna()
    # a rare hard-negative archetype in two organisations, the rest casual
    rare_orgs = sorted(acc.loc[legit, "org_id"].dropna().unique())[:2]
    arch = np.where(acc["org_id"].isin(rare_orgs), "reseller_wrapper", "casual_chat")
    truth = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "archetype": np.where(legit, arch, "campaign"),
            "campaign_id": np.where(legit, None, "camp" + camp.fillna("")),
            "org_id": acc["org_id"],
        }
    )
    path = tmp_path / "truth.parquet"
    truth.to_parquet(path)
    return s, path


def test_truth_labelled_legit_test_side_is_large_and_hygienic(tmp_path, cfg):
    from training.eval_splits import holdout_folds, test_labels
    from training.evaluation import eval_frame

    snaps, truth = _with_truth(tmp_path)
    d, has_truth = eval_frame(snaps, cfg, truth)
    assert has_truth and len(d) == len(snaps)
    labels = test_labels(d, 0.3, cfg.seed)
    folds, skipped = holdout_folds(d, labels, cfg.splits, cfg.seed)
    assert len(folds) == 4 and not skipped
    orgs = org_keys(d)
    for s in folds:
        tr, te = d.iloc[s.train], d.iloc[s.test]
        legit = te[te["y_eval"] == 0]
        reviewed = legit[legit["label"] == 0]
        # the unreviewed majority is on the legitimate test side, not only reviewed accounts
        assert len(legit) >= 3 * len(reviewed) and len(legit) > 500
        assert legit["account_id"].nunique() > 100
        assert "reseller_wrapper" in set(legit["archetype"])  # stratified: rare kept
        # the held-out campaign's unreviewed members are test positives too
        pos = te[te["y_eval"] == 1]
        assert set(pos["campaign_eval"]) == set(s.held_out_campaigns)
        assert pos["label"].isna().any()
        # hygiene: training sees contract labels only, nothing shared with the test side
        assert tr["label"].notna().all()
        assert not set(tr["account_id"]) & set(te["account_id"])
        assert not set(orgs.iloc[s.train]) & set(orgs.iloc[s.test])
        assert not tr["campaign_id"].isin(s.held_out_campaigns).any()


def test_forward_folds_are_several_and_respect_the_label_delay(tmp_path, cfg):
    from training.eval_splits import forward_folds, test_labels
    from training.evaluation import eval_frame

    snaps, truth = _with_truth(tmp_path, unlabelled_share=0.3)
    d, _ = eval_frame(snaps, cfg, truth)
    labels = test_labels(d, 0.3, cfg.seed)
    ev = cfg.evaluation.model_copy(
        update={"forward_cutoffs": 3, "forward_step_days": 10, "forward_min_train_positives": 40}
    )
    folds, _ = forward_folds(d, labels, cfg.splits, ev, cfg.seed)
    assert len(folds) >= 2
    for s in folds:
        tr, te = d.iloc[s.train], d.iloc[s.test]
        end = s.cutoff - pd.Timedelta(days=cfg.splits.gap_days)
        assert tr["as_of"].max() < end and tr["labelled_at"].max() < end
        assert te["as_of"].min() >= s.cutoff
        assert te["as_of"].max() < s.cutoff + pd.Timedelta(days=ev.forward_test_days)
        assert not set(tr["account_id"]) & set(te["account_id"])
    # the first cutoff is the first day with enough positive labels known, plus the gap
    pos = d[d["label"] == 1]
    known = np.sort(np.maximum(pos["as_of"], pos["labelled_at"]))
    first = (known[39] + pd.Timedelta(days=cfg.splits.gap_days)).ceil("D")
    assert folds[0].cutoff == first


def test_calibration_falls_back_to_organisations_without_labelled_history(snaps, cfg):
    # every label arrives at the very end: no time cut has a labelled training side
    df = snaps[snaps["label"].notna()].reset_index(drop=True)
    df["labelled_at"] = df["as_of"].max() + pd.Timedelta(days=1)
    s = calibration_split(df, cfg.splits, cfg.seed)
    assert s.name == "calibration by organisation" and not s.time_ordered
    tr, te = df.iloc[s.train], df.iloc[s.test]
    assert (tr["label"] == 1).sum() >= cfg.splits.min_train_positives
    assert (te["label"] == 1).sum() >= cfg.splits.min_test_positives
    orgs = org_keys(df)
    assert not set(orgs.iloc[s.train]) & set(orgs.iloc[s.test])
