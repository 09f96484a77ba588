"""Atomic write and loading the model only through the registry."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from scoring import output
from scoring.model_io import ModelLoadError, load_model, resolve_version


def test_write_atomic_replaces_whole_file_with_metadata(tmp_path):
    path = tmp_path / "out" / "scores.parquet"
    output.write_atomic(pd.DataFrame({"a": [1, 2]}), path, {"as_of": "2026-05-08"})
    output.write_atomic(pd.DataFrame({"a": [3, 4, 5]}), path, {"as_of": "2026-05-09"})
    t = pq.read_table(path)
    assert t.column("a").to_pylist() == [3, 4, 5]
    assert t.schema.metadata[b"distillguard.as_of"] == b"2026-05-09"
    assert [p.name for p in path.parent.iterdir()] == ["scores.parquet"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "scores.parquet"
    output.write_atomic(pd.DataFrame({"a": [1]}), path)

    def broken(table, where, **kw):
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(output.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        output.write_atomic(pd.DataFrame({"a": [7, 8]}), path)
    assert pq.read_table(path).column("a").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]
    new = tmp_path / "new.parquet"
    with pytest.raises(OSError):
        output.write_atomic(pd.DataFrame({"a": [7]}), new)
    assert not new.exists() and [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]


def test_file_paths_are_refused(empty_store):
    with pytest.raises(ModelLoadError, match="only through the registry"):
        resolve_version("mlruns/artifacts/model.pkl")


def test_no_champion_is_a_clear_error(empty_store):
    with pytest.raises(ModelLoadError, match="no model registered as models:/distillguard@"):
        load_model()


def test_loads_champion_and_pinned_version(mlruns_tmp, registered):
    model, version = load_model()
    assert version == registered["version"]
    assert model.feature_names == registered["model"].feature_names
    pinned, v = load_model(f"models:/distillguard/{version}")
    assert v == version and pinned.threshold == registered["model"].threshold
    with pytest.raises(ModelLoadError):
        load_model("models:/distillguard/99")
