"""`distillguard external`: not built yet (owned by its issue)."""

from __future__ import annotations

import typer


def command() -> None:
    """Not built yet."""
    raise typer.Exit(code=2)
