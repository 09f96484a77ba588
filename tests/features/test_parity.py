"""Engine parity: the same feature code on DuckDB and on local Spark gives the same table.

Marker ``spark`` (``make parity``); starts a local Spark session (Java 17), about a minute.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from features import build_features
from features.config import load_feature_config
from tests.features.synth import START, make_world, to_inputs

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_con():
    pytest.importorskip("pyspark")
    from features.engine import spark_backend

    con = spark_backend(load_feature_config())
    yield con
    con._session.stop()


@pytest.mark.parametrize("cutoff_days", [8])
def test_duckdb_and_spark_agree(spark_con, cutoff_days):
    tables = make_world(seed=5, legit=20, ring=6, days=10)
    cutoff = START + timedelta(days=cutoff_days)
    duck = build_features(to_inputs(*tables[:2]), cutoff, "7d")
    spark = build_features(to_inputs(*tables[:2], con=spark_con), cutoff, "7d")
    assert len(duck) > 10
    pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-9, atol=1e-12)
