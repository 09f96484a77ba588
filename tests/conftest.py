"""Fixtures shared by every test area.

Area fixtures live in tests/<area>/conftest.py; this file holds only what
several areas need: an isolated MLflow store and the simulated `test` world.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def mlruns_tmp(tmp_path, monkeypatch) -> Path:
    """A private MLflow store (SQLite + artifacts) for one test."""
    store = tmp_path / "mlruns"
    monkeypatch.setenv("DISTILLGUARD_MLRUNS", str(store))
    return store


@pytest.fixture(scope="session")
def test_world(tmp_path_factory) -> Path:
    """The `test` world (configs/world/test.yaml), simulated once per session."""
    from simulate.config import load_world_config
    from simulate.world import generate

    out = tmp_path_factory.mktemp("world-test")
    generate(load_world_config(ROOT / "configs" / "world" / "test.yaml"), out)
    return out
