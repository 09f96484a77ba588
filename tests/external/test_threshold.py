"""Threshold policy of the external runner on synthetic grouped scores (fast; no data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import matthews_corrcoef

from distillguard.config import CONFIGS, load_config


@pytest.fixture(scope="module")
def cfg():
    from training.external import ExternalConfig

    return load_config(CONFIGS / "cresci2015.yaml", ExternalConfig)


def _grouped(rng, shifts=(3.0, 1.2), n_h=300, n_f=(400, 250)):
    """One (labels, scores) pair per held-out vendor: humans N(0, 1), fakes N(shift, 1)."""
    folds = []
    for shift, n in zip(shifts, n_f, strict=True):
        s = np.r_[rng.normal(0, 1, n_h), rng.normal(shift, 1, n)]
        folds.append((np.r_[np.zeros(n_h, int), np.ones(n, int)], s))
    return folds


def _brute(folds, rate, balance):
    """Pooled weighted MCC when each fold flags its top floor(rate * n) humans (independent)."""
    ys, flags = [], []
    for y, s in folds:
        neg = np.sort(s[y == 0])[::-1]
        k = int(np.floor(rate * len(neg) + 1e-9))
        flag = s > neg[k] if k < len(neg) else s >= neg[-1]
        ys.append(y)
        flags.append(flag.astype(int))
    y, f = np.concatenate(ys), np.concatenate(flags)
    w = np.where(y == 1, 1 / (y == 1).sum(), 1 / (y == 0).sum()) if balance else None
    return matthews_corrcoef(y, f, sample_weight=w)


@pytest.mark.parametrize("balance", [True, False])
def test_chosen_rate_maximises_pooled_mcc(cfg, balance):
    from training.external import choose_rate

    policy = cfg.threshold.model_copy(update={"balance_classes": balance, "criterion": "mcc"})
    folds = _grouped(np.random.default_rng(1))
    choice = choose_rate(folds, policy)
    grid = [k / 300 for k in range(0, int(policy.max_fpr * 300) + 1)]
    brute = {r: _brute(folds, r, balance) for r in grid}
    assert choice.value == pytest.approx(max(brute.values()), abs=1e-9)
    assert choice.value == pytest.approx(brute[min(brute, key=lambda r: (-brute[r], r))], abs=1e-9)
    assert 0 <= choice.rate <= policy.max_fpr
    assert choice.n_folds == 2 and choice.n_negative == 600 and choice.n_positive == 650


def test_a_shifted_vendor_moves_the_operating_point_to_a_higher_rate(cfg):
    from training.external import choose_rate

    rng = np.random.default_rng(2)
    easy = _grouped(rng, shifts=(4.0, 4.0))
    shifted = _grouped(np.random.default_rng(2), shifts=(4.0, 1.5))
    assert choose_rate(shifted, cfg.threshold).rate > choose_rate(easy, cfg.threshold).rate


def test_balanced_classes_ignore_how_many_fakes_the_pool_holds(cfg):
    from training.external import choose_rate

    folds = _grouped(np.random.default_rng(3))
    doubled = [(np.r_[y, y[y == 1]], np.r_[s, s[y == 1]]) for y, s in folds]
    policy = cfg.threshold.model_copy(update={"balance_classes": True})
    assert choose_rate(doubled, policy).rate == choose_rate(folds, policy).rate


def test_no_fold_with_both_classes_is_an_error(cfg):
    from training.external import choose_rate

    with pytest.raises(ValueError, match="both fakes and humans"):
        choose_rate([(np.ones(5, int), np.arange(5.0))], cfg.threshold)


def _frame(rng) -> pd.DataFrame:
    rows = []
    groups = [("h", 0, None, 400, 0.0), ("A", 1, "A", 150, 2.5), ("B", 1, "B", 120, 1.5)]
    groups.append(("C", 1, "C", 100, 1.0))
    for prefix, label, camp, n, shift in groups:
        for i in range(n):
            rows.append(
                {
                    "account_id": f"{prefix}{i:04d}",
                    "label": label,
                    "campaign_id": camp,
                    "labelled_at": pd.Timestamp("2020-01-02", tz="UTC"),
                    "org_id": None,
                    "f_signal": rng.normal(shift, 1.0),
                    "f_noise": rng.normal(0, 1.0),
                }
            )
    return pd.DataFrame(rows)


def test_fit_static_sets_the_threshold_from_training_vendor_oof_only(cfg, mlruns_tmp, monkeypatch):
    from training.external import fit as fit_mod
    from training.external import internal_splits, threshold_at_rate, vendor_folds

    df = _frame(np.random.default_rng(4))
    fold = next(f for f in vendor_folds(df, ["A", "B", "C"], 0.5, seed=0) if f.vendor == "C")
    train = df[df["account_id"].isin(fold.train)].reset_index(drop=True)
    seen = []
    real_choose = fit_mod.choose_rate

    def spy(folds, policy):
        seen.extend(folds)
        return real_choose(folds, policy)

    monkeypatch.setattr(fit_mod, "choose_rate", spy)
    tcfg = cfg.train_config()
    tcfg = tcfg.model_copy(update={"tuning": tcfg.tuning.model_copy(update={"n_trials": 2})})
    model = fit_mod.fit_static(train, tcfg, cfg.run, "synthetic/C", threshold=cfg.threshold)

    inner, cal = internal_splits(train, cfg.run, tcfg.seed)
    assert len(seen) == 2
    assert sum(len(y) for y, _ in seen) == sum(len(s.test) for s in inner)
    for (y, _), split in zip(seen, inner, strict=True):
        assert (y == train["label"].to_numpy()[split.test]).all()
    assert not set(train["campaign_id"].dropna()) & {"C"}
    meta = model.metadata
    assert meta["threshold_policy"] == "max_mcc_grouped_oof"
    assert 0 <= meta["threshold_rate"] <= cfg.threshold.max_fpr
    cal_humans = train.iloc[cal.test][train["label"].to_numpy()[cal.test] == 0]
    neg = model.margin(cal_humans)
    assert model.margin_threshold == threshold_at_rate(neg, meta["threshold_rate"], deployable=True)
    assert (neg >= model.margin_threshold).sum() <= np.floor(meta["threshold_rate"] * len(neg))
