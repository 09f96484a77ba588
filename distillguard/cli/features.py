"""`distillguard features`: account features as of a cutoff, or the generated catalogue.

``distillguard features --events E --accounts A [--as-of T] [--window 7d] --out F.parquet``
(or ``--world DIR``) writes one row per account active in ``[T - window, T)``;
``distillguard features --catalogue docs/features.md`` writes the feature catalogue.
"""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.cli._inputs import resolve_inputs


def command(
    world: Path | None = typer.Option(None, "--world", help="World directory (events/, accounts)."),
    events: Path | None = typer.Option(None, "--events", help="Events Parquet file or dir."),
    accounts: Path | None = typer.Option(None, "--accounts", help="Accounts Parquet file or dir."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Cutoff (ISO time, UTC); default: just after the last event."
    ),
    window: str | None = typer.Option(None, "--window", help="Look-back window, e.g. 7d."),
    out: Path | None = typer.Option(None, "--out", help="Output Parquet file."),
    catalogue: Path | None = typer.Option(
        None, "--catalogue", help="Write the feature catalogue (markdown) here."
    ),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark."),
    config: Path | None = typer.Option(
        None, "--config", help="Feature settings (default configs/features.yaml)."
    ),
) -> None:
    """Build point-in-time account features (or the catalogue) from contract tables."""
    import logging
    import time

    import pandas as pd

    from features.config import load_feature_config, window_label

    cfg = load_feature_config(config)
    log = logging.getLogger("distillguard.cli.features")
    if catalogue is not None:
        from features.catalogue import render_markdown

        catalogue.parent.mkdir(parents=True, exist_ok=True)
        catalogue.write_text(render_markdown(window_label(window or cfg.window), cfg))
        typer.echo(f"catalogue written to {catalogue}")
        if world is None and events is None:
            return
    if out is None:
        raise typer.BadParameter("need --out F.parquet (or only --catalogue PATH)")
    events, accounts, _ = resolve_inputs(world, events, accounts)
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter("--engine must be duckdb or spark")

    from distillguard.contract import ContractError, load_inputs
    from features import build_features
    from features import engine as eng
    from features.frame import to_utc

    backend = eng.spark_backend(cfg) if engine == "spark" else None
    start = time.perf_counter()
    try:
        inputs = load_inputs(events, accounts, backend=backend)
    except ContractError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    if as_of is None:
        last = eng.to_pandas(inputs.events.agg(hi=inputs.events.ts.max()))["hi"].iloc[0]
        if pd.isna(last):
            typer.echo("error: the events table is empty; give --as-of", err=True)
            raise typer.Exit(code=2)
        cutoff = to_utc(last) + pd.Timedelta(microseconds=1)
    else:
        cutoff = to_utc(as_of)
    df = build_features(inputs, cutoff, window or cfg.window, cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(out, index=False)
    log.info("wrote %s", out)
    typer.echo(
        f"{len(df):,} accounts x {df.shape[1] - 2} features as of {cutoff.isoformat()} "
        f"-> {out} ({time.perf_counter() - start:.1f}s)"
    )
