"""`distillguard external`: leave-one-vendor-out validation on an imported outside dataset."""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.config import CONFIGS


def command(
    config: Path = typer.Option(CONFIGS / "cresci2015.yaml", "--config", help="External config."),
    world: Path = typer.Option(..., "--world", help="World directory from `distillguard import`."),
    out: Path = typer.Option(
        Path("docs/external-validation.md"), "--out", help="Markdown page to (re)write."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Training seed (folds, splits, Optuna); default: the config's."
    ),
) -> None:
    """Train per held-out vendor with the ordinary pipeline; write the measured tables."""
    import json
    import shlex
    import sys

    from distillguard.config import load_config
    from training.external import ExternalConfig, log_to_mlflow, run_external
    from training.external_report import render, write_report

    cfg = load_config(config, ExternalConfig)
    if seed is not None:
        cfg = cfg.with_seed(seed)
    result = run_external(world, cfg)
    manifest_path = world / "world.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    cmd = "distillguard " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    write_report(out, render(result, cfg, cmd, manifest))
    run_id = log_to_mlflow(result, cfg, out)
    cols = ["feature_set", "vendor", "precision", "recall", "f1", "mcc", "average_precision"]
    typer.echo(result.metrics[cols].round(3).to_string(index=False))
    typer.echo(f"wrote {out}; MLflow run {run_id}")
