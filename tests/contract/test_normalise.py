"""Reading and normalising: layout, types, optional and extra columns, UTC, SimHash fill."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.contract import ContractError, load_inputs, load_world
from distillguard.contract.config import ContractConfig
from distillguard.contract.simhash import simhash
from distillguard.contract.spec import schema
from distillguard.world import WorldError, WorldPaths
from tests.contract.builders import T0, accounts_table, events_table, labels_table, replace


def _arrow_schema(t):
    return pa.schema([(n, t.schema()[n].to_pyarrow()) for n in t.columns])


def test_every_contract_column_with_contract_type(write):
    paths = write()
    inputs = load_inputs(paths["events"], paths["accounts"], paths["labels"])
    for name in ("events", "accounts", "labels"):
        got = _arrow_schema(getattr(inputs, name))
        want = schema(name)
        assert got.names == want.names, name
        assert [f.type for f in got] == [f.type for f in want], name
    # the arrow table that comes out has exactly the contract types too
    assert inputs.events.to_pyarrow().schema.field("ts").type == pa.timestamp("us", tz="UTC")


def test_optional_columns_absent_become_typed_nulls(write):
    paths = write()  # events lack e.g. asn, latency_ms, has_system_prompt
    inputs = load_inputs(paths["events"], paths["accounts"])
    got = inputs.events.select("asn", "latency_ms", "has_system_prompt", "tls_fingerprint")
    tbl = got.to_pyarrow()
    assert tbl.num_rows == 6
    assert tbl.schema.field("asn").type == pa.int64()
    assert tbl.schema.field("has_system_prompt").type == pa.bool_()
    assert all(tbl[c].null_count == 6 for c in tbl.column_names)
    assert inputs.labels is None


def test_extra_columns_are_dropped(write):
    ev = replace(events_table(), "secret_internal_score", [0.5] * 6)
    paths = write(events=ev, accounts=replace(accounts_table(), "notes", ["x", "y", "z"]))
    inputs = load_inputs(paths["events"], paths["accounts"])
    assert "secret_internal_score" not in inputs.events.columns
    assert "notes" not in inputs.accounts.columns


def test_naive_and_zoned_timestamps_read_as_utc(write):
    ev = events_table()
    naive = [(T0 + dt.timedelta(hours=i)).replace(tzinfo=None) for i in range(6)]
    ev = replace(ev, "ts", naive, pa.timestamp("ns"))
    ny = dt.timezone(dt.timedelta(hours=-4))
    acc = replace(
        accounts_table(),
        "created_at",
        [dt.datetime(2026, 4, 1, 8, 0, tzinfo=ny)] * 3,
        pa.timestamp("ms", tz="America/New_York"),
    )
    paths = write(events=ev, accounts=acc)
    inputs = load_inputs(paths["events"], paths["accounts"])
    ts = inputs.events.order_by("request_id").ts.to_pyarrow().to_pylist()
    assert ts[0] == T0 and ts[0].utcoffset() == dt.timedelta(0)
    created = inputs.accounts.created_at.to_pyarrow().to_pylist()[0]
    assert created == dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


def test_safe_casts_are_applied(write):
    ev = replace(events_table(), "input_tokens", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    ev = replace(ev, "status_code", [200, 429, 200, 400, 529, 200], pa.int64())
    ev = replace(ev, "account_id", [1, 2, 3, 1, 2, 3], pa.int64())
    acc = replace(accounts_table(), "account_id", [1, 2, 3], pa.int32())
    paths = write(events=ev, accounts=acc)
    inputs = load_inputs(paths["events"], paths["accounts"])
    got = inputs.events.order_by("request_id").to_pyarrow()
    assert got["input_tokens"].type == pa.int32() and got["input_tokens"].to_pylist()[2] == 3
    assert got["status_code"].type == pa.int16() and got["status_code"].to_pylist()[3] == 400
    assert got["account_id"].to_pylist()[:3] == ["1", "2", "3"]


def test_hive_partitioned_directory(tmp_path, write):
    ev = events_table(9)
    root = tmp_path / "events"
    for day in range(3):
        part = root / f"date=2026-05-0{day + 1}"
        part.mkdir(parents=True)
        pq.write_table(ev.slice(day * 3, 3), part / "part-0.parquet")
    paths = write()
    inputs = load_inputs(root, paths["accounts"])
    assert inputs.events.count().execute() == 9
    assert "date" not in inputs.events.columns
    assert sorted(inputs.events.request_id.to_pyarrow().to_pylist()) == sorted(
        ev["request_id"].to_pylist()
    )


def test_directory_files_with_different_columns(tmp_path, write):
    ev = events_table(6)
    root = tmp_path / "events"
    root.mkdir()
    pq.write_table(ev.slice(0, 3), root / "a.parquet")
    pq.write_table(ev.slice(3, 3).drop_columns(["prompt", "task_category"]), root / "b.parquet")
    inputs = load_inputs(root, write()["accounts"])
    assert inputs.events.prompt.isnull().sum().execute() == 3


def test_empty_directory_is_refused(tmp_path, write):
    (tmp_path / "events").mkdir()
    with pytest.raises(ContractError) as info:
        load_inputs(tmp_path / "events", write()["accounts"])
    assert (info.value.table, info.value.rule) == ("events", "no_files")


def test_simhash_filled_only_where_null(write):
    ev = events_table()
    given = [None, None, 12345, None, 777, None]
    ev = replace(ev, "prompt_simhash", given, pa.int64())
    ev = replace(ev, "prompt", ["Hello world", None, "Hello", "Hello world", "x y z", "Hello"])
    paths = write(events=ev)
    inputs = load_inputs(paths["events"], paths["accounts"])
    got = inputs.events.order_by("request_id").prompt_simhash.to_pyarrow().to_pylist()
    assert got == [
        simhash("Hello world"),
        None,
        12345,
        simhash("Hello world"),
        777,
        simhash("Hello"),
    ]
    assert inputs.report.tables["events"].simhash_filled == 3


def test_world_paths_and_load_world(tmp_path):
    world = tmp_path / "world"
    part = world / "events" / "date=2026-05-01"
    part.mkdir(parents=True)
    pq.write_table(events_table(), part / "part-0.parquet")
    pq.write_table(accounts_table(), world / "accounts.parquet")
    pq.write_table(labels_table(), world / "labels.parquet")
    (world / "world.json").write_text(json.dumps({"name": "t", "seed": 1}))
    wp = WorldPaths.from_dir(world)
    assert wp.events == world / "events" and wp.labels == world / "labels.parquet"
    assert wp.truth is None and wp.manifest == {"name": "t", "seed": 1}
    inputs = load_world(world)
    assert inputs.labels is not None and inputs.labels.count().execute() == 2
    (world / "accounts.parquet").unlink()
    with pytest.raises(WorldError, match="accounts"):
        WorldPaths.from_dir(world)
    with pytest.raises(WorldError, match="not found"):
        WorldPaths.from_dir(tmp_path / "nope")


def test_validation_leaves_pyarrow_timezone_handling_alone(write, monkeypatch):
    monkeypatch.delenv("PYARROW_IGNORE_TIMEZONE", raising=False)
    paths = write()
    load_inputs(paths["events"], paths["accounts"])
    assert "PYARROW_IGNORE_TIMEZONE" not in __import__("os").environ
    ny = dt.timezone(dt.timedelta(hours=-4))
    arr = pa.array([dt.datetime(2026, 4, 1, 8, 0, tzinfo=ny)], pa.timestamp("us", tz="UTC"))
    assert arr.to_pylist()[0] == dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


def test_labels_of_unknown_accounts_are_kept_and_noted(write):
    lab = replace(labels_table(), "account_id", ["a1", "stranger"])
    paths = write(labels=lab)
    inputs = load_inputs(paths["events"], paths["accounts"], paths["labels"])
    assert inputs.labels.count().execute() == 2
    assert any("1 labelled account(s) not in accounts" in n for n in inputs.report.notes)


@pytest.mark.parametrize("engine", ["pandera", "aggregate"])
def test_empty_tables_load_with_zero_counts(write, engine):
    paths = write(events=events_table().slice(0, 0), labels=labels_table().slice(0, 0))
    cfg = ContractConfig(strict_engine=engine)
    inputs = load_inputs(paths["events"], paths["accounts"], paths["labels"], config=cfg)
    assert inputs.events.count().execute() == 0
    rep = inputs.report.tables
    assert (rep["events"].read, rep["labels"].read, rep["accounts"].read) == (0, 0, 3)


def test_bool_label_casts_to_int8(write):
    lab = replace(labels_table(), "label", [True, False], pa.bool_())
    paths = write(labels=lab)
    inputs = load_inputs(paths["events"], paths["accounts"], paths["labels"])
    got = inputs.labels.order_by("account_id").label.to_pyarrow()
    assert got.type == pa.int8() and got.to_pylist() == [1, 0]
