"""Fixtures of the feature tests: a small synthetic world, loaded like any contract input."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from tests.features.synth import make_world, to_inputs


@pytest.fixture(scope="session")
def synth_tables():
    """(events, accounts, labels) Arrow tables of the synthetic world."""
    return make_world(seed=3)


@pytest.fixture
def synth_inputs(synth_tables):
    """The synthetic world as in-memory ibis tables on a fresh DuckDB."""
    return to_inputs(*synth_tables)


@pytest.fixture(scope="session")
def synth_dir(synth_tables, tmp_path_factory):
    """The synthetic world written as a world directory (events/, accounts, labels)."""
    out = tmp_path_factory.mktemp("synth-world")
    events, accounts, labels = synth_tables
    (out / "events").mkdir()
    pq.write_table(events, out / "events" / "part-0.parquet")
    pq.write_table(accounts, out / "accounts.parquet")
    pq.write_table(labels, out / "labels.parquet")
    return out
