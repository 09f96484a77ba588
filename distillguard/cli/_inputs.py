"""Where a verb's contract tables are: `--world DIR`, or explicit `--events/--accounts/--labels`.

One resolution for every verb that reads contract input, so each gives the same
answers to the same mistakes: both forms at once, or neither, is a usage error
(exit 2); a world directory without its events or accounts names what is missing.
"""

from __future__ import annotations

from pathlib import Path

import typer


def fail(msg: str) -> None:
    """Print `error: msg` to stderr and exit with code 2."""
    typer.secho(f"error: {msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def resolve_inputs(
    world: Path | None,
    events: Path | None,
    accounts: Path | None,
    labels: Path | None = None,
) -> tuple[Path, Path, Path | None]:
    """Return (events, accounts, labels) from a world directory or the explicit paths.

    Args:
        world: a world directory (events/, accounts.parquet, labels.parquet), or None.
        events: explicit events path (file or directory), used when `world` is None.
        accounts: explicit accounts path, used when `world` is None.
        labels: explicit labels path, or None; a world supplies its own when present.
    """
    if world is not None:
        from distillguard.world import WorldError, WorldPaths

        if events is not None or accounts is not None:
            fail("give either --world or --events/--accounts, not both")
        try:
            paths = WorldPaths.from_dir(world)
        except WorldError as exc:
            fail(str(exc))
        return paths.events, paths.accounts, paths.labels
    if events is None or accounts is None:
        fail("give --world DIR, or both --events and --accounts")
    return events, accounts, labels
