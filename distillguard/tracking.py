"""Where MLflow lives: a SQLite store and artifacts under mlruns/ (see stack-notes).

All MLflow access goes through :func:`configure`, so the tracking and registry
URIs are set in one place; DISTILLGUARD_MLRUNS moves the whole store (tests use
a temporary one).
"""

from __future__ import annotations

import os
from pathlib import Path

from distillguard.config import ROOT

MODEL_NAME = "distillguard"
CHAMPION = "champion"


def mlruns_dir() -> Path:
    """The store's folder: $DISTILLGUARD_MLRUNS, else mlruns/ at the repository root."""
    return Path(os.environ.get("DISTILLGUARD_MLRUNS", ROOT / "mlruns")).resolve()


def tracking_uri() -> str:
    """SQLite tracking and registry URI inside :func:`mlruns_dir`."""
    return f"sqlite:///{mlruns_dir() / 'mlflow.db'}"


def configure() -> str:
    """Point MLflow's tracking and registry at the project store; returns the URI."""
    import mlflow

    d = mlruns_dir()
    d.mkdir(parents=True, exist_ok=True)
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def experiment(name: str) -> str:
    """Get or create experiment `name` with its artifacts under the store; returns its id."""
    import mlflow

    configure()
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = (mlruns_dir() / "artifacts" / name).as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


def champion_uri(name: str = MODEL_NAME) -> str:
    """The registry URI scoring loads: models:/NAME@champion."""
    return f"models:/{name}@{CHAMPION}"
