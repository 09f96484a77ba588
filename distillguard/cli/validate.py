"""`distillguard validate`: check input tables against the data contract.

Strict by default: any broken rule prints the ContractError (table, column,
rule, offending rows) and exits 1. With ``--quarantine DIR`` offending rows are
written to ``DIR/<table>.parquet`` with a ``reason`` and counted; exit 0.
"""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.cli._inputs import resolve_inputs


def command(
    world: Path | None = typer.Option(
        None, "--world", help="World directory (events/, accounts.parquet, labels.parquet)."
    ),
    events: Path | None = typer.Option(None, "--events", help="Events Parquet file or dir."),
    accounts: Path | None = typer.Option(None, "--accounts", help="Accounts Parquet file or dir."),
    labels: Path | None = typer.Option(None, "--labels", help="Labels Parquet file or dir."),
    quarantine: Path | None = typer.Option(
        None, "--quarantine", help="Set offending rows aside in DIR/<table>.parquet instead."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Contract settings (default configs/contract.yaml)."
    ),
) -> None:
    """Validate events / accounts / labels against the input contract and report counts."""
    from rich.console import Console
    from rich.table import Table

    from distillguard.contract import ContractError, load_inputs
    from distillguard.contract.config import load_contract_config

    out = Console()
    events, accounts, labels = resolve_inputs(world, events, accounts, labels)
    try:
        inputs = load_inputs(
            events,
            accounts,
            labels,
            on_error="quarantine" if quarantine is not None else "raise",
            quarantine_dir=quarantine,
            config=load_contract_config(config),
        )
    except ContractError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc

    rep = inputs.report
    mode = "quarantine" if quarantine is not None else "strict"
    counts = Table(title=f"data contract ({mode} mode): rows per table")
    for col in ("table", "read", "accepted", "quarantined", "simhash filled"):
        counts.add_column(col, justify="left" if col == "table" else "right")
    detail = Table(title="quarantined and mapped rows per rule")
    for col in ("table", "kind", "rule:column", "rows"):
        detail.add_column(col, justify="right" if col == "rows" else "left", no_wrap=True)
    for name, t in rep.tables.items():
        counts.add_row(
            name, f"{t.read:,}", f"{t.accepted:,}", f"{t.quarantined:,}", f"{t.simhash_filled:,}"
        )
        for reason, n in t.by_rule.items():
            detail.add_row(name, "quarantined", reason, f"{n:,}")
        for col, n in t.mapped.items():
            detail.add_row(name, "mapped", f"allowed_values:{col}", f"{n:,}")
    out.print(counts)
    if detail.row_count:
        out.print(detail)
    for note in rep.notes:
        out.print(f"note: {note}")
    for name, t in rep.tables.items():
        if t.quarantine_path:
            out.print(f"{name}: quarantined rows in {t.quarantine_path}")
