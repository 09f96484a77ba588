"""`distillguard simulate`: write a labelled world of LLM-API traffic in the input contract."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def command(
    config: Path = typer.Option(..., "--config", help="World config (configs/world/NAME.yaml)."),
    out: Path = typer.Option(..., "--out", help="World directory to write (e.g. data/world-demo)."),
    force: bool = typer.Option(False, "--force", help="Regenerate even if OUT holds a world."),
) -> None:
    """Simulate a world: events/ (by date), accounts, labels, truth and world.json in OUT.

    A world already in OUT that was generated from the same config is kept as it is;
    one from another config is refused unless --force.
    """
    from distillguard.config import ConfigError
    from simulate.config import load_world_config
    from simulate.world import generate

    try:
        cfg = load_world_config(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    manifest = out / "world.json"
    if manifest.exists() and not force:
        old = json.loads(manifest.read_text()).get("config")
        if old == cfg.model_dump(mode="json"):
            typer.echo(f"{out}: world '{cfg.name}' already generated from this config; kept")
            return
        typer.echo(f"error: {out} holds a world from another config; use --force", err=True)
        raise typer.Exit(code=1)
    try:
        m = generate(cfg, out, overwrite=force)
    except FileExistsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    n_ev = sum(c["events"] for c in m["counts"].values())
    n_acc = sum(c["accounts"] for c in m["counts"].values())
    typer.echo(f"{out}: world '{m['name']}', {n_acc:,} accounts, {n_ev:,} events")
