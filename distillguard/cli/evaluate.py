"""`distillguard evaluate`: held-out campaigns, forward in time, time to detection, baselines."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    world: Path = typer.Option(..., "--world", help="World directory (events, accounts, labels)."),
    config: Path = typer.Option(Path("configs/train.yaml"), "--config", help="TrainConfig YAML."),
    out: Path = typer.Option(Path("docs/evaluation.md"), "--out", help="Markdown report."),
    snapshots: Path = typer.Option(
        None,
        "--snapshots",
        help="Prebuilt build_snapshots Parquet of the same world: skips the all-account"
        " snapshots, so test sides hold only its accounts (daily detection passes still run).",
    ),
    features_cache: Path = typer.Option(
        None,
        "--features-cache",
        help="Directory for the evaluation's feature passes: reused when an earlier run with"
        " the same world, settings and member sample wrote them there, else written there.",
    ),
    truth: bool = typer.Option(
        True, "--truth/--no-truth", help="Label test sides with DIR/truth.parquet if present."
    ),
    seed: int = typer.Option(
        None,
        "--seed",
        help="Evaluation seed (legitimate test organisations, sampled members, training);"
        " default: the config's. Rerun with other seeds to see the spread of every figure.",
    ),
) -> None:
    """Honest evaluation report (markdown + plots beside it), also logged to MLflow."""
    from training.config import load_train_config
    from training.evaluate_world import evaluate_world

    cfg = load_train_config(config, {"seed": seed} if seed is not None else None)
    cmd = f"distillguard evaluate --config {config} --world {world} --out {out}"
    if seed is not None:
        cmd += f" --seed {seed}"
    if snapshots is not None:
        cmd += f" --snapshots {snapshots}"
    if not truth:
        cmd += " --no-truth"
    if features_cache is not None:
        cmd += f" --features-cache {features_cache}"
    evaluate_world(
        world, cfg, out, cmd, snapshots=snapshots, use_truth=truth, features_cache=features_cache
    )
    typer.echo(f"wrote {out}")
