"""The training set of a world: contract inputs -> labelled feature snapshots."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from distillguard.config import ROOT
from training.config import TrainConfig

log = logging.getLogger(__name__)


def load_snapshots(world_dir: str | Path, cfg: TrainConfig) -> tuple[pd.DataFrame, Any]:
    """Snapshots (features.build_snapshots) of the world at `world_dir` and its inputs."""
    from distillguard.contract import load_world
    from features import build_snapshots

    inputs = load_world(world_dir)
    snaps = build_snapshots(inputs, offsets_days=tuple(cfg.snapshots.offsets_days))
    log.info(
        "snapshots: %d rows, %d accounts, %d labelled",
        len(snaps),
        snaps["account_id"].nunique(),
        int(snaps["label"].notna().sum()),
    )
    return snaps, inputs


def feature_set_version() -> str:
    """features.FEATURE_SET_VERSION, or "unknown" if the package does not define it."""
    try:
        from features import FEATURE_SET_VERSION
    except ImportError:
        return "unknown"
    return str(FEATURE_SET_VERSION)


def world_manifest(world_dir: str | Path) -> dict:
    """DIR/world.json, or {} for a world without a manifest (outside producers)."""
    p = Path(world_dir) / "world.json"
    return json.loads(p.read_text()) if p.exists() else {}


def git_commit() -> str:
    """The repository's HEAD commit (with "-dirty" when the tree has changes), or "unknown"."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")
