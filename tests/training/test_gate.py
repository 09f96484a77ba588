"""The gate: a worse model never takes `champion`; the champion loads through models:/."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from distillguard import tracking
from models import registry
from training.gate import decide
from training.pipeline import fit_with_report
from training.retrain import retrain


def _register(model, rows) -> str:
    with mlflow.start_run(experiment_id=tracking.experiment("gate-test")):
        info = registry.log_model(model, rows)
    return registry.register(info.model_uri)


def test_worse_model_does_not_take_the_alias(snaps, cfg, mlruns_tmp):
    good = fit_with_report(snaps, cfg)
    gate_rows = good.data.iloc[good.calibration.test][good.reviewed]
    first = decide(good.cal_margin[good.reviewed], gate_rows, good.campaign_recall.iloc[:0], cfg)
    assert first.promote
    v1 = _register(good.model, gate_rows)
    registry.apply_gate(v1, first.promote, first.reasons, first.metrics)
    champion, version = registry.load_champion()
    assert version == v1

    # a deliberately worse model: trained on the same snapshots with labels shuffled
    rng = np.random.default_rng(0)
    shuffled = snaps.copy()
    shuffled["label"] = rng.permutation(shuffled["label"].to_numpy())
    shuffled["campaign_id"] = np.where(shuffled["label"] == 1, "camp0", None)
    worse = fit_with_report(shuffled, cfg).model
    decision = decide(
        worse.margin(gate_rows), gate_rows, good.campaign_recall.iloc[:0], cfg, champion, version
    )
    assert not decision.promote
    assert any("worse than champion" in r for r in decision.reasons)
    v2 = _register(worse, gate_rows)
    registry.apply_gate(v2, decision.promote, decision.reasons, decision.metrics)
    assert registry.champion_version() == v1
    tags = mlflow.MlflowClient().get_model_version(tracking.MODEL_NAME, v2).tags
    assert tags["gate"] == "failed" and "worse than champion" in tags["gate_reasons"]

    # the champion comes back through the registry URI and predicts like the original
    loaded, version = registry.load_champion()
    np.testing.assert_allclose(loaded.predict_proba(gate_rows), good.model.predict_proba(gate_rows))
    out = mlflow.pyfunc.load_model(tracking.champion_uri()).predict(
        gate_rows[good.model.feature_names]
        .head(10)
        .astype({c: object for c in good.model.categories})
    )
    assert list(out.columns) == ["score", "flagged"] and len(out) == 10


def test_campaign_floor_blocks_promotion(snaps, cfg):
    rows = snaps[snaps["label"].notna()].head(300)
    margin = rows["label"].to_numpy() * 5.0  # perfect on the gate rows
    low = pd.DataFrame(
        [{"campaign_id": "camp9", "positives": 50, "recall": cfg.gate.campaign_recall_floor / 2}]
    )
    d = decide(margin, rows, low, cfg)
    assert not d.promote and any("camp9" in r for r in d.reasons)
    ok = low.assign(recall=1.0)
    assert decide(margin, rows, ok, cfg).promote


def test_load_champion_without_alias_is_a_clear_error(mlruns_tmp):
    with pytest.raises(LookupError, match="champion"):
        registry.load_champion()


def test_retrain_logs_run_registers_and_gates(snaps, cfg, mlruns_tmp):
    lenient = cfg.model_copy(
        update={"gate": cfg.gate.model_copy(update={"campaign_recall_floor": 0.0})}
    )
    result = retrain(snaps, lenient)
    assert result.decision.promote and registry.champion_version() == result.version
    client = mlflow.MlflowClient()
    run = client.get_run(result.run_id)
    for tag in ("data_window_start", "feature_set_version", "git_commit", "gate"):
        assert tag in run.data.tags
    arts = {a.path for a in client.list_artifacts(result.run_id)}
    for name in (
        "pr_curve.png",
        "roc_curve.png",
        "calibration.png",
        "shap_beeswarm.png",
        "shap_importance.png",
        "per_campaign.csv",
        "confusion_at_threshold.png",
        "time_to_detection.png",
        "gate.json",
    ):
        assert name in arts
    # MLflow 3 keeps the logged model as its own entity, linked to the run and the version
    assert client.get_model_version(tracking.MODEL_NAME, result.version).run_id == result.run_id
    runs = client.search_runs([run.info.experiment_id])
    nested = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == result.run_id]
    assert len(nested) == lenient.tuning.n_trials


def test_gate_says_when_the_champion_trained_on_the_gate_rows(snaps, cfg):
    report = fit_with_report(snaps, cfg)
    rows = report.data.iloc[report.calibration.test][report.reviewed]
    margin = report.cal_margin[report.reviewed]
    champion = report.model  # trained on every labelled snapshot, gate rows included
    d = decide(margin, rows, report.campaign_recall.iloc[:0], cfg, champion, "1")
    assert d.metrics["champion_in_sample"] is True
    assert any("in-sample" in r for r in d.reasons)

    # a champion whose training window ended before the gate rows is compared out of sample
    first = pd.to_datetime(rows["as_of"], utc=True).min()
    champion.metadata["trained_to"] = str(first - pd.Timedelta(days=1))
    d = decide(margin, rows, report.campaign_recall.iloc[:0], cfg, champion, "1")
    assert d.metrics["champion_in_sample"] is False
    assert not any("in-sample" in r for r in d.reasons)


def test_gate_compares_on_rows_newer_than_the_champion_when_there_are_enough(snaps, cfg):
    report = fit_with_report(snaps, cfg)
    rows = report.data.iloc[report.calibration.test][report.reviewed]
    margin = report.cal_margin[report.reviewed]
    champion = report.model
    as_of = pd.to_datetime(rows["as_of"], utc=True)
    cut = as_of.sort_values().iloc[len(as_of) // 2]
    champion.metadata["trained_to"] = str(cut)
    newer = (as_of > cut).to_numpy()
    y = rows["label"].to_numpy().astype(int)
    need = int(min((y[newer] == 1).sum(), (y[newer] == 0).sum()))
    assert need >= 1, "the fixture should have both classes after the cut"

    enough = cfg.model_copy(
        update={"gate": cfg.gate.model_copy(update={"min_fresh_per_class": need})}
    )
    d = decide(margin, rows, report.campaign_recall.iloc[:0], enough, champion, "1")
    assert d.metrics["compared_rows"] == int(newer.sum()) < len(rows)
    assert d.metrics["champion_in_sample"] is False
    assert any("dated after champion v1" in r for r in d.reasons)

    # one more than the newer rows hold: back to every gate row, flagged as in-sample
    short = cfg.model_copy(
        update={"gate": cfg.gate.model_copy(update={"min_fresh_per_class": need + 1})}
    )
    d = decide(margin, rows, report.campaign_recall.iloc[:0], short, champion, "1")
    assert d.metrics["compared_rows"] == len(rows)
    assert d.metrics["champion_in_sample"] is True
