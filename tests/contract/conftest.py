"""Fixtures of the contract tests: write small contract tables to tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.contract.builders import accounts_table, events_table, labels_table


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., dict[str, Path]]:
    """Write events / accounts / labels tables as Parquet; returns their paths."""

    def _write(
        events: pa.Table | None = None,
        accounts: pa.Table | None = None,
        labels: pa.Table | None = None,
    ) -> dict[str, Path]:
        paths = {}
        for name, t, default in (
            ("events", events, events_table),
            ("accounts", accounts, accounts_table),
            ("labels", labels, labels_table),
        ):
            p = tmp_path / f"{name}.parquet"
            pq.write_table(t if t is not None else default(), p)
            paths[name] = p
        return paths

    return _write
