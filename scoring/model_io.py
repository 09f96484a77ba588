"""Load the scoring model through the MLflow registry (``models:/NAME@alias`` or ``/VERSION``).

Never from a file path: what scores production traffic is what the registry's alias says, so
a run can always be traced to a registered, gated version.
"""

from __future__ import annotations

import logging
import re

from distillguard import tracking

log = logging.getLogger(__name__)

URI_RE = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))$")


class ModelLoadError(RuntimeError):
    """The model URI is not a registry URI, or nothing is registered under it."""


def _detector(obj):
    """The DistillGuardModel inside a loaded pyfunc (or the object itself)."""
    if hasattr(obj, "contributions") and hasattr(obj, "feature_names"):
        return obj
    for attr in ("model", "detector", "dg_model", "_model"):
        inner = getattr(obj, attr, None)
        if inner is not None and hasattr(inner, "contributions"):
            return inner
    raise ModelLoadError(f"the registered model ({type(obj).__name__}) holds no DistillGuardModel")


def resolve_version(uri: str) -> tuple[str, str]:
    """(model name, version string) that `uri` points to now.

    Raises:
        ModelLoadError: not a models:/ URI, or no such alias / version in the registry.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    m = URI_RE.match(uri)
    if not m:
        raise ModelLoadError(
            f"--model {uri!r}: scoring loads only through the registry "
            "(models:/NAME@ALIAS or models:/NAME/VERSION), never a file path"
        )
    tracking.configure()
    client = MlflowClient()
    name = m["name"]
    try:
        if m["alias"]:
            mv = client.get_model_version_by_alias(name, m["alias"])
        else:
            mv = client.get_model_version(name, m["version"])
    except MlflowException as exc:
        hint = " (run `make retrain` to train and register one)" if m["alias"] else ""
        raise ModelLoadError(
            f"no model registered as {uri} in {tracking.tracking_uri()}{hint}: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    return name, str(mv.version)


def load_model(uri: str | None = None):
    """Load the DistillGuardModel registered at `uri` (default: the champion).

    Returns:
        (model, version).

    Raises:
        ModelLoadError: bad URI or nothing registered there.
    """
    from models import registry

    uri = uri or tracking.champion_uri()
    name, version = resolve_version(uri)
    if uri == tracking.champion_uri():
        try:
            model, version = registry.load_champion()
        except LookupError as exc:
            raise ModelLoadError(str(exc)) from exc
        return _detector(model), str(version)
    log.info("loading %s (version %s)", uri, version)
    return _detector(registry.load_model(f"models:/{name}/{version}")), version
