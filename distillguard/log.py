"""Logging and progress for library code: `logging` through rich, never bare print."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console(stderr=True)


def setup_logging(level: str | int = "INFO") -> None:
    """Route the `distillguard` loggers through rich; called once by the CLI, never on import."""
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=True)],
        force=True,
    )
    for noisy in ("alembic", "mlflow", "optuna", "urllib3", "py4j", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def progress(description: str = "") -> Iterator[Progress]:
    """A rich progress bar for anything that takes more than a few seconds.

    Usage: ``with progress() as p: task = p.add_task("simulating", total=n); p.advance(task)``.
    It renders to stderr and stays silent when stderr is not a terminal.
    """
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
    with bar:
        if description:
            logging.getLogger(__name__).debug(description)
        yield bar
