"""Same seed, same world: identical tables, whatever the batch size that bounds memory."""

from __future__ import annotations

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from simulate.config import load_world_config
from simulate.world import generate


def _tables(d):
    events = ds.dataset(d / "events", format="parquet", partitioning="hive").to_table()
    return {
        "events": events.sort_by([("ts", "ascending"), ("request_id", "ascending")]),
        "accounts": pq.read_table(d / "accounts.parquet"),
        "labels": pq.read_table(d / "labels.parquet"),
        "truth": pq.read_table(d / "truth.parquet"),
    }


def test_same_seed_same_tables_whatever_the_batch_size(tiny_config_path, tmp_path):
    cfg = load_world_config(tiny_config_path)
    generate(cfg, tmp_path / "a")
    generate(cfg.model_copy(update={"batch_events": 3000}), tmp_path / "b")  # many spills
    a, b = _tables(tmp_path / "a"), _tables(tmp_path / "b")
    assert a["events"].num_rows > 10_000
    for name in a:
        assert a[name].equals(b[name]), name
    # files per date are sorted by time in both, so even the raw files agree
    first = sorted((tmp_path / "a" / "events").iterdir())[5].name
    fa = pq.read_table(tmp_path / "a" / "events" / first / "part-0.parquet")
    fb = pq.read_table(tmp_path / "b" / "events" / first / "part-0.parquet")
    assert fa.equals(fb)


def test_another_seed_gives_another_world(tiny_config_path, tmp_path):
    cfg = load_world_config(tiny_config_path)
    generate(cfg, tmp_path / "a")
    generate(cfg.model_copy(update={"seed": cfg.seed + 1}), tmp_path / "b")
    a, b = _tables(tmp_path / "a"), _tables(tmp_path / "b")
    assert not a["accounts"]["account_id"].equals(b["accounts"]["account_id"])


def test_refuses_to_overwrite_a_non_empty_directory(tiny_config_path, tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        generate(load_world_config(tiny_config_path), tmp_path / "w")
    assert (tmp_path / "w" / "keep.txt").exists()
