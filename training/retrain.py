"""One retrain: snapshots -> fit -> MLflow parent run (nested trials, artifacts) -> registry + gate.

``distillguard train`` calls :func:`retrain`. The expensive multi-fold evaluation
(re-tuning per held-out campaign, daily time-to-detection, baselines) lives in
``distillguard evaluate`` (training/evaluation/); here the artifacts come from the
folds and calibration split fit() already has.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from distillguard import tracking
from models import registry
from training import plots
from training.config import TrainConfig
from training.dataset import feature_set_version, git_commit, world_manifest
from training.gate import GateDecision, decide
from training.markdown import md_table
from training.metrics import confusion, summary, threshold_at_fpr
from training.pipeline import FitReport, fit_with_report

log = logging.getLogger(__name__)


@dataclass
class RetrainResult:
    """What a retrain produced."""

    run_id: str
    version: str
    decision: GateDecision
    report: FitReport
    seconds: float


def trial_logger(cfg: TrainConfig):
    """Optuna callback: one nested MLflow run per finished trial (params, value, state)."""
    import mlflow

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        parent = mlflow.active_run()
        exp = parent.info.experiment_id if parent else None
        with mlflow.start_run(run_name=f"trial {trial.number}", nested=True, experiment_id=exp):
            mlflow.log_params(trial.params)
            mlflow.set_tag("state", trial.state.name)
            if trial.value is not None:
                mlflow.log_metric(f"cv_{cfg.tuning.objective}", trial.value)
            for k, v in trial.user_attrs.items():
                if isinstance(v, float) and not np.isnan(v):
                    mlflow.log_metric(k.replace(" ", "_"), v)
            if trial.duration is not None:
                mlflow.log_metric("seconds", trial.duration.total_seconds())

    return callback


def snapshot_detection_hours(report: FitReport, fpr: float) -> dict[str, np.ndarray]:
    """Per held-out campaign: hours from first request to the first flagged snapshot.

    Uses the best trial's out-of-fold margins and each fold's threshold at `fpr`; the
    resolution is that of the snapshot offsets (daily scoring is in the evaluation).
    """
    out = {}
    d = report.data
    y = d["label"].to_numpy()
    for f in report.folds:
        m = report.tuning.fold_margins.get(f.name)
        if m is None:
            continue
        rows = d.iloc[f.test].assign(margin=m)
        thr = threshold_at_fpr(m[y[f.test] == 0], fpr)
        pos = rows[rows["label"] == 1]
        age = (
            pd.to_datetime(pos["as_of"], utc=True) - pd.to_datetime(pos["first_seen"], utc=True)
        ).dt.total_seconds() / 3600
        hit = age.where(pos["margin"] >= thr)
        per_acct = hit.groupby(pos["account_id"]).min()
        for c in f.held_out_campaigns or ("all",):
            out[c] = per_acct.to_numpy()
    return out


def log_artifacts(report: FitReport, cfg: TrainConfig, out: Path) -> dict[str, float]:
    """Write and log PR/ROC, calibration, SHAP, importance, per-campaign, confusion, TTD."""
    import mlflow

    model, d, cal = report.model, report.data, report.calibration
    y_all = d["label"].to_numpy().astype(int)[cal.test]
    rows = d.iloc[cal.test]
    rev = report.reviewed
    y, margin = y_all[rev], report.cal_margin[rev]
    flagged = margin >= model.margin_threshold
    curves = {"calibration split (reviewed)": (y, margin)}
    for f in report.folds:
        if f.name in report.tuning.fold_margins:
            curves[f.name] = (d["label"].to_numpy()[f.test], report.tuning.fold_margins[f.name])
    plots.pr_roc(curves, out)
    if len(np.unique(y_all)) == 2:
        # population calibration: reviewed and presumed-legitimate snapshots
        plots.calibration(y_all, model.calibrator(report.cal_margin), out / "calibration.png")
    counts = confusion(y, flagged)
    plots.confusion(counts, out / "confusion_at_threshold.png", "calibration split at threshold")
    (out / "confusion_at_threshold.json").write_text(json.dumps(counts, indent=2))

    sample = rows.sample(min(len(rows), 3000), random_state=cfg.seed)
    contrib = model.contributions(sample)
    plots.beeswarm(contrib, model.prepare(sample), out / "shap_beeswarm.png")
    mean_abs = pd.Series(np.abs(contrib[:, :-1]).mean(0), index=model.feature_names)
    mean_abs = mean_abs.sort_values(ascending=False).rename("mean |SHAP| (margin)")
    plots.importance(mean_abs, out / "shap_importance.png")
    mean_abs.to_csv(out / "shap_importance.csv")

    report.campaign_recall.to_csv(out / "per_campaign.csv", index=False)
    (out / "per_campaign.md").write_text(md_table(report.campaign_recall))
    hours = snapshot_detection_hours(report, cfg.target_fpr)
    if hours:
        plots.detection_cdf(
            hours, out / "time_to_detection.png", "time to detection (held-out campaigns)"
        )
    mlflow.log_artifacts(str(out))
    metrics = {f"calibration_{k}": v for k, v in summary(y, margin, [0.001, 0.01]).items()}
    metrics.update({f"calibration_{k}": float(v) for k, v in counts.items()})
    all_hours = np.concatenate(list(hours.values())) if hours else np.array([])
    if len(all_hours) and np.isfinite(all_hours).any():
        metrics["snapshot_median_hours_to_detection"] = float(np.nanmedian(all_hours))
    return metrics


def retrain(
    snaps: pd.DataFrame,
    cfg: TrainConfig,
    *,
    world_dir: str | Path | None = None,
    config_path: str | Path | None = None,
    started: float | None = None,
) -> RetrainResult:
    """Fit on `snaps`, log the run, register the model and apply the gate.

    Args:
        snaps: training snapshots (features.build_snapshots of the labelled world).
        cfg: training config.
        world_dir: the world the snapshots came from (tags: world config).
        config_path: configs/train.yaml used (logged as an artifact).
        started: time.time() when the retrain began (features included), for the timing.
    """
    import mlflow

    t0 = started or time.time()
    exp = tracking.experiment(cfg.experiment)
    manifest = world_manifest(world_dir) if world_dir else {}
    labelled = snaps[snaps["label"].notna()]
    tags: dict[str, Any] = {
        "data_window_start": str(pd.to_datetime(labelled["as_of"], utc=True).min()),
        "data_window_end": str(pd.to_datetime(labelled["as_of"], utc=True).max()),
        "feature_set_version": feature_set_version(),
        "git_commit": git_commit(),
        "world": str(world_dir or ""),
        "world_name": str(manifest.get("name", "")),
        "world_seed": str(manifest.get("seed", "")),
    }
    with mlflow.start_run(experiment_id=exp, run_name="retrain") as run:
        mlflow.set_tags(tags)
        mlflow.log_dict(cfg.model_dump(), "train_config.json")
        if manifest:
            mlflow.log_dict(manifest, "world.json")
        if config_path:
            mlflow.log_artifact(str(config_path))
        report = fit_with_report(
            snaps,
            cfg,
            study_name=f"retrain-{run.info.run_id}",
            callbacks=[trial_logger(cfg)],
            metadata={
                "feature_set_version": tags["feature_set_version"],
                "window": cfg.snapshots.window,
                "git_commit": tags["git_commit"],
                "world": tags["world_name"],
                "mlflow_run_id": run.info.run_id,
            },
        )
        model = report.model
        mlflow.log_params({f"best_{k}": v for k, v in report.tuning.best_params.items()})
        mlflow.log_params({"target_fpr": cfg.target_fpr, "n_features": len(model.feature_names)})
        mlflow.log_metrics(
            {
                "threshold": model.threshold,
                "margin_threshold": model.margin_threshold,
                "n_trials": len(report.tuning.study.trials) if report.tuning.study else 0,
                "n_snapshots": len(report.data),
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            mlflow.log_metrics(log_artifacts(report, cfg, Path(tmp)))
        gate_rows = report.data.iloc[report.calibration.test][report.reviewed]
        info = registry.log_model(model, gate_rows)
        version = registry.register(info.model_uri, tags={"run_id": run.info.run_id, **tags})
        champion, champ_version = None, registry.champion_version()
        if champ_version is not None:
            champion, champ_version = registry.load_champion()
        decision = decide(
            report.cal_margin[report.reviewed],
            gate_rows,
            report.campaign_recall,
            cfg,
            champion,
            champ_version,
        )
        registry.apply_gate(version, decision.promote, decision.reasons, decision.metrics)
        mlflow.set_tags(
            {
                "model_version": version,
                "gate": "passed" if decision.promote else "failed",
                "gate_reasons": "; ".join(decision.reasons)[:4900],
            }
        )
        mlflow.log_dict(
            {"promote": decision.promote, "reasons": decision.reasons, **decision.metrics},
            "gate.json",
        )
        seconds = time.time() - t0
        mlflow.log_metric("retrain_seconds", seconds)
    return RetrainResult(run.info.run_id, version, decision, report, seconds)
