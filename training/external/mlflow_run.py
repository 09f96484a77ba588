"""One MLflow run per `distillguard external`: every fold's metrics and the report."""

from __future__ import annotations

from pathlib import Path

from training.external.config import ExternalConfig
from training.external.runner import ExternalResult


def log_to_mlflow(res: ExternalResult, cfg: ExternalConfig, report: Path | None = None) -> str:
    """One MLflow run (experiment train.overrides.experiment) with every fold's metrics.

    Metric keys are ``<feature_set>/<vendor>/<metric>``; the report is attached as an
    artifact. Returns the run id.
    """
    import mlflow

    from distillguard import tracking

    train_cfg = cfg.train_config()
    exp = tracking.experiment(train_cfg.experiment)
    with mlflow.start_run(experiment_id=exp, run_name="cresci2015-leave-one-vendor-out") as run:
        mlflow.log_params(
            {
                "window": cfg.run.window,
                "as_of": cfg.run.as_of.isoformat(),
                "human_test_share": cfg.run.human_test_share,
                "target_fpr": train_cfg.target_fpr,
                "threshold_policy": cfg.threshold.policy,
                "threshold_criterion": cfg.threshold.criterion,
                "seed": train_cfg.seed,
                "n_trials": train_cfg.tuning.n_trials,
                "age_features": ",".join(res.age_features),
                "excluded": ",".join(sorted(res.excluded)),
            }
        )
        keys = ["precision", "recall", "f1", "mcc", "average_precision", "best_threshold_mcc"]
        keys.append("threshold_rate")
        for row in res.metrics.to_dict("records"):
            mlflow.log_metrics({f"{row['feature_set']}/{row['vendor']}/{k}": row[k] for k in keys})
        if report is not None and Path(report).exists():
            mlflow.log_artifact(str(report))
        return run.info.run_id
