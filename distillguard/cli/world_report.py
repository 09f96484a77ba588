"""`distillguard world-report`: sizes, volumes and hardness of a simulated world."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    world: Path = typer.Argument(..., help="World directory written by `distillguard simulate`."),
    out: Path = typer.Option(None, "--out", help="Report directory (default: WORLD/report)."),
) -> None:
    """Write WORLD's report: markdown + PNG plots, hardness table and its acceptance verdict."""
    import pandas as pd

    from simulate.report import write_report

    for need in ("world.json", "truth.parquet", "accounts.parquet", "events"):
        if not (world / need).exists():
            typer.echo(f"error: {world} has no {need}; is it a simulated world?", err=True)
            raise typer.Exit(code=2)
    path = write_report(world, out or world / "report")
    acc = pd.read_csv(path.parent / "acceptance.csv")
    for r in acc.itertuples():
        verdict = "PASS" if r.passes else "FAIL"
        typer.echo(
            f"{verdict} {r.campaign_id}: rate-rule recall {r.rate_rule_recall:.3f}, "
            f"max single-statistic AUC {r.max_auc:.3f} ({r.max_auc_statistic})"
        )
    typer.echo(f"report: {path}")
