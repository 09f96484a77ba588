"""`distillguard score`: score the accounts active before a cutoff with the registered champion."""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.cli._inputs import fail as _fail
from distillguard.cli._inputs import resolve_inputs


def command(
    world: Path | None = typer.Option(None, "--world", help="World directory (events/, accounts)."),
    events: Path | None = typer.Option(None, "--events", help="Events Parquet (file or dir)."),
    accounts: Path | None = typer.Option(None, "--accounts", help="Accounts Parquet."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Cutoff, UTC ISO time (default: just after the last event)."
    ),
    out: Path = typer.Option(..., "--out", help="Scores table to write (.parquet, atomically)."),
    model: str | None = typer.Option(
        None, "--model", help="Registry URI (default models:/distillguard@champion)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Scoring config (default configs/score.yaml)."
    ),
    review: bool = typer.Option(True, "--review/--no-review", help="Log the MLflow review run."),
) -> None:
    """Score accounts: features as of T -> calibrated score, flag, rank, SHAP reasons, rings."""
    from rich.console import Console

    from distillguard import tracking
    from distillguard.contract import ContractError, load_inputs
    from scoring.batch import ScoringError
    from scoring.config import load_score_config
    from scoring.console import summary
    from scoring.model_io import ModelLoadError, load_model
    from scoring.output import write_atomic
    from scoring.pipeline import score_inputs

    events, accounts, _ = resolve_inputs(world, events, accounts)
    cfg = load_score_config(config)
    uri = model or tracking.champion_uri()
    console = Console()
    try:
        detector, version = load_model(uri)
    except ModelLoadError as exc:
        _fail(str(exc))
    try:
        inputs = load_inputs(events, accounts, labels=None)
        result = score_inputs(inputs, detector, model_version=version, cfg=cfg, as_of=as_of)
    except (ContractError, ScoringError) as exc:
        _fail(str(exc))
    written = write_atomic(
        result.scores,
        out,
        metadata={"as_of": result.as_of.isoformat(), "model": uri, "model_version": version},
    )
    console.print(summary(result, cfg.review.console_top, cfg.reasons.top, cfg.drift.psi_warn))
    console.print(f"scores: {written} ({len(result.scores):,} rows)")
    if review:
        exp_id, run_id = log_run(result, cfg, events, accounts, uri, written)
        console.print(
            f"MLflow review run {run_id} (experiment 'scoring'). Open it with: make ui  "
            f"-> http://127.0.0.1:5000/#/experiments/{exp_id}/runs/{run_id}"
        )


def log_run(result, cfg, events: Path, accounts: Path, uri: str, out: Path) -> tuple[str, str]:
    """Log the MLflow review run of `result`."""
    from scoring.review import log_review_run

    params = {"events": str(events), "accounts": str(accounts), "model_uri": uri}
    return log_review_run(result, cfg, params=params, output=out)
