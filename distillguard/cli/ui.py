"""`distillguard ui`: the MLflow UI over the project's store, on loopback."""

from __future__ import annotations

import subprocess
import sys

import typer


def command(
    port: int = typer.Option(5000, help="Port on 127.0.0.1."),
) -> None:
    """Start the MLflow UI on 127.0.0.1 over mlruns/ (SQLite store, artifacts under mlruns/)."""
    from distillguard.tracking import mlruns_dir, tracking_uri

    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        tracking_uri(),
        "--default-artifact-root",
        (mlruns_dir() / "artifacts").as_uri(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    typer.echo(f"MLflow UI: http://127.0.0.1:{port}  (Ctrl-C to stop)")
    raise typer.Exit(subprocess.call(cmd))
