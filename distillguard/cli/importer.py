"""`distillguard import ...`: adapters from outside datasets into the input contract."""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.config import CONFIGS

app = typer.Typer(no_args_is_help=True)


@app.command("cresci2015")
def cresci2015(
    src: Path = typer.Argument(..., help="Folder with the dataset's accounts/events Parquet."),
    out: Path = typer.Option(..., "--out", help="World directory to write."),
    config: Path = typer.Option(
        CONFIGS / "cresci2015.yaml", "--config", help="Config whose `adapter` section is used."
    ),
    force: bool = typer.Option(
        False, "--force", help="Rewrite even when --out is an up-to-date import of SRC."
    ),
) -> None:
    """Cresci-2015 fake followers (humans + three vendors) as a world directory."""
    from distillguard.adapters.cresci2015 import SourceError, load_adapter_config
    from distillguard.adapters.cresci2015_world import import_cresci2015, is_current
    from distillguard.config import ConfigError

    try:
        cfg = load_adapter_config(config)
        if not force and is_current(src, out, cfg):
            typer.echo(f"{out} is up to date (same source, constants and code); --force rewrites")
            return
        manifest = import_cresci2015(src, out, cfg)
    except (SourceError, ConfigError, FileExistsError) as exc:
        typer.echo(f"import cresci2015: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    c = manifest["counts"]
    typer.echo(
        f"wrote {out}: {c['events']:,} events, {c['accounts']:,} accounts, "
        f"{c['labels']:,} labels; campaigns {c['campaign']}; "
        f"without profile {c['accounts_without_profile']}"
    )
