"""The contract on the Spark backend agrees with DuckDB (marker: spark; `make parity`)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.contract import ContractError, load_inputs
from tests.contract.builders import events_table, replace

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_con(tmp_path_factory):
    pytest.importorskip("pyspark")
    from features.config import FeatureConfig
    from features.engine import spark_backend

    return spark_backend(FeatureConfig())


def _rows(t):
    return sorted(t.to_pyarrow().to_pylist(), key=lambda r: r["request_id"])


def test_spark_normalises_like_duckdb(write, spark_con):
    paths = write()
    duck = load_inputs(paths["events"], paths["accounts"], paths["labels"])
    spark = load_inputs(paths["events"], paths["accounts"], paths["labels"], backend=spark_con)
    assert spark.events.columns == duck.events.columns
    assert _rows(spark.events) == _rows(duck.events)
    assert spark.report.to_dict()["tables"] == duck.report.to_dict()["tables"]


def test_spark_strict_and_quarantine(write, spark_con, tmp_path):
    ev = replace(events_table(), "input_tokens", [1, -2, 3, 4, 5, 6], pa.int32())
    paths = write(events=ev)
    with pytest.raises(ContractError) as info:
        load_inputs(paths["events"], paths["accounts"], backend=spark_con)
    assert (info.value.table, info.value.column, info.value.rule) == (
        "events",
        "input_tokens",
        "non_negative",
    )
    q = load_inputs(
        paths["events"],
        paths["accounts"],
        backend=spark_con,
        on_error="quarantine",
        quarantine_dir=tmp_path / "q",
    )
    rep = q.report.tables["events"]
    assert (rep.read, rep.accepted, rep.by_rule) == (6, 5, {"non_negative:input_tokens": 1})
    assert pq.read_table(tmp_path / "q" / "events.parquet").num_rows == 1
