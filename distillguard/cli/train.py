"""`distillguard train`: labelled world -> snapshots -> tuned model -> MLflow run -> gated alias."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    world: Path = typer.Option(None, "--world", help="World directory (events, accounts, labels)."),
    config: Path = typer.Option(Path("configs/train.yaml"), "--config", help="TrainConfig YAML."),
    snapshots: Path = typer.Option(
        None, "--snapshots", help="Prebuilt snapshot Parquet instead of building from --world."
    ),
    n_trials: int = typer.Option(None, "--n-trials", help="Override tuning.n_trials."),
) -> None:
    """Retrain: Optuna + LightGBM, calibration, threshold, MLflow run, registry and the gate."""
    import time

    import pandas as pd

    from training.config import load_train_config
    from training.dataset import load_snapshots
    from training.retrain import retrain

    started = time.time()
    cfg = load_train_config(config)
    if n_trials is not None:
        tuning = cfg.tuning.model_copy(update={"n_trials": n_trials})
        cfg = cfg.model_copy(update={"tuning": tuning})
    if snapshots is not None:
        snaps = pd.read_parquet(snapshots)
    elif world is not None:
        snaps, _ = load_snapshots(world, cfg)
    else:
        raise typer.BadParameter("give --world DIR or --snapshots FILE")
    result = retrain(snaps, cfg, world_dir=world, config_path=config, started=started)
    m = result.report.model
    typer.echo(
        f"run {result.run_id}: registered distillguard v{result.version}, "
        f"threshold {m.threshold:.4f} (target FPR {cfg.target_fpr:g}), "
        f"{result.seconds:.0f} s"
    )
    verdict = "champion" if result.decision.promote else "NOT promoted"
    typer.echo(f"gate: {verdict}: " + "; ".join(result.decision.reasons))
