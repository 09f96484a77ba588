"""The MLflow model registry: log, register as "distillguard", move `champion` only via the gate.

Scoring loads ``models:/distillguard@champion`` through :func:`load_champion` (never a
file path). The alias moves in :func:`apply_gate`, and only when the gate said so.
"""

from __future__ import annotations

import json
import logging
from importlib import metadata as importlib_metadata
from typing import Any

import pandas as pd

from distillguard import tracking
from models.detector import DistillGuardModel

log = logging.getLogger(__name__)

REQUIREMENTS = ("lightgbm", "scikit-learn", "pandas", "numpy", "mlflow", "cloudpickle")


def _pip_requirements() -> list[str]:
    """Pinned requirements of the logged model (explicit: no slow inference)."""
    out = []
    for name in REQUIREMENTS:
        try:
            out.append(f"{name}=={importlib_metadata.version(name)}")
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


def log_model(model: DistillGuardModel, X_example: pd.DataFrame, name: str = "model") -> Any:
    """Log `model` as a pyfunc in the active run, with signature and input example.

    Args:
        model: the trained detector.
        X_example: rows with the model's feature columns (a few are kept as the example).
        name: artifact name inside the run.

    Returns:
        mlflow's ModelInfo (``.model_uri``).
    """
    import mlflow
    from mlflow.models import infer_signature

    from models.pyfunc import DistillGuardPyfunc, input_example

    wrapper = DistillGuardPyfunc(model)
    example = input_example(model, X_example)
    signature = infer_signature(example, wrapper.predict(None, example))
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=wrapper,
        signature=signature,
        input_example=example,
        pip_requirements=_pip_requirements(),
    )


def register(model_uri: str, tags: dict[str, str] | None = None) -> str:
    """Register `model_uri` under tracking.MODEL_NAME without any alias; returns the version."""
    import mlflow

    tracking.configure()
    mv = mlflow.register_model(model_uri, tracking.MODEL_NAME, tags=tags or {})
    return str(mv.version)


def champion_version(name: str = tracking.MODEL_NAME) -> str | None:
    """The version the `champion` alias points at, or None (no model or no alias yet)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    tracking.configure()
    try:
        return str(MlflowClient().get_model_version_by_alias(name, tracking.CHAMPION).version)
    except MlflowException:
        return None


def apply_gate(version: str, promote: bool, reasons: list[str], metrics: dict[str, Any]) -> None:
    """Record the gate's decision on `version`; move `champion` to it only if `promote`."""
    from mlflow import MlflowClient

    tracking.configure()
    client = MlflowClient()
    client.set_model_version_tag(
        tracking.MODEL_NAME, version, "gate", "passed" if promote else "failed"
    )
    client.set_model_version_tag(tracking.MODEL_NAME, version, "gate_reasons", "; ".join(reasons))
    client.set_model_version_tag(
        tracking.MODEL_NAME, version, "gate_metrics", json.dumps(metrics, default=str)[:5000]
    )
    if promote:
        client.set_registered_model_alias(tracking.MODEL_NAME, tracking.CHAMPION, version)
        log.info("champion -> version %s", version)
    else:
        log.warning("version %s registered without the champion alias: %s", version, reasons)


def load_model(uri: str) -> DistillGuardModel:
    """Load a DistillGuardModel from any MLflow model URI (models:/..., runs:/...)."""
    import mlflow.pyfunc

    tracking.configure()
    return mlflow.pyfunc.load_model(uri).unwrap_python_model().model


def load_champion(name: str = tracking.MODEL_NAME) -> tuple[DistillGuardModel, str]:
    """The current champion through ``models:/NAME@champion`` and its version.

    Raises:
        LookupError: no version holds the alias yet (train first).
    """
    version = champion_version(name)
    if version is None:
        raise LookupError(
            f"no '{tracking.CHAMPION}' alias on registered model '{name}' in "
            f"{tracking.tracking_uri()} (run `distillguard train` first)"
        )
    return load_model(tracking.champion_uri(name)), version
