"""Engine plumbing: DuckDB by default, local Spark when asked, and temporary tables on both.

ibis 12 with this sqlglot renders ``DROP TABLE`` without a name, so ``Table.release()``
and ``create_table(..., overwrite=True)`` fail on DuckDB; temporary tables are
created and dropped here with the backends' own calls instead.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from features.config import FeatureConfig

log = logging.getLogger(__name__)
_names = itertools.count()
_slots: dict[int, set[int]] = {}


def acquire_slot(con) -> int:
    """The smallest table-name slot not in use on `con` (fixed names are per slot)."""
    used = _slots.setdefault(id(con), set())
    n = next(i for i in itertools.count() if i not in used)
    used.add(n)
    return n


def release_slot(con, n: int) -> None:
    """Give a slot back (see :func:`acquire_slot`)."""
    _slots.get(id(con), set()).discard(n)


def backend_name(con) -> str:
    """'duckdb' or 'pyspark' (or another ibis backend name)."""
    return getattr(con, "name", type(con).__module__.split(".")[-1])


def spark_backend(cfg: FeatureConfig, session=None):
    """An ibis PySpark backend on `session`, or on a new local session from cfg.spark.

    The session's time zone is forced to UTC so hour and date extraction agree with DuckDB.
    """
    from pyspark.sql import SparkSession

    if session is None:
        session = (
            SparkSession.builder.master(cfg.spark.master)
            .appName("distillguard-features")
            .config("spark.sql.shuffle.partitions", str(cfg.spark.shuffle_partitions))
            .config("spark.driver.memory", cfg.spark.driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config(
                "spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "dg-spark-warehouse")
            )
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return ibis.pyspark.connect(session)


def quiet(con) -> None:
    """No DuckDB progress bar on stdout (it would interleave with logs)."""
    if backend_name(con) == "duckdb":
        con.con.execute("SET enable_progress_bar = false")


def materialize(con, expr: ibis.Table, stem: str) -> ibis.Table:
    """Compute `expr` once into a temporary table on `con` and return it."""
    name = f"_dg_{stem}_{next(_names)}"
    if backend_name(con) == "duckdb":
        return con.create_table(name, expr, temp=True)
    return expr.cache()


def release(con, table: ibis.Table) -> None:
    """Drop a table made by :func:`materialize` (errors are logged, not raised)."""
    try:
        name = table.op().name
        if backend_name(con) == "duckdb":
            con.raw_sql(f'DROP TABLE IF EXISTS temp.main."{name}"')
        else:
            con._session.catalog.dropTempView(name)
    except Exception as exc:  # cleanup must never mask the result
        log.debug("could not drop temporary table: %s", exc)


def upload(table: pa.Table | pd.DataFrame) -> ibis.Table:
    """A small Arrow/pandas table as an ibis memtable (registered on whichever engine runs it)."""
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    return ibis.memtable(table)


def to_pandas(expr: ibis.Table) -> pd.DataFrame:
    """Execute an ibis table; strings stay plain object/str, timestamps UTC."""
    return expr.to_pyarrow().to_pandas()


def compile_sql(con, expr: ibis.Table) -> str:
    """The SQL of an ibis expression in the backend's dialect."""
    return str(con.compile(expr))


def run_sql(con, sql: str) -> pd.DataFrame:
    """Run compiled SQL on the backend and fetch the result as pandas (through Arrow)."""
    if backend_name(con) == "duckdb":
        return con.con.sql(sql).to_arrow_table().to_pandas()
    return con._session.sql(sql).toArrow().to_pandas()


def replace_fixed(con, name: str, expr: ibis.Table) -> None:
    """(Re)create the temporary table `name` from `expr` (cached in memory on Spark)."""
    replace_fixed_sql(con, name, compile_sql(con, expr))


def replace_fixed_sql(con, name: str, sql: str) -> None:
    """(Re)create the temporary table `name` from compiled SQL (cached in memory on Spark)."""
    if backend_name(con) == "duckdb":
        con.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
        return
    session = con._session
    drop_fixed(con, name)
    df = session.sql(sql).cache()
    df.createOrReplaceTempView(name)


def add_gap_duckdb(con, src: str, dst: str, order: tuple[str, ...]) -> None:
    """DuckDB: ``dst`` = ``src`` plus gap_ms, the t_ms gap to the account's previous row.

    The same as ``t_ms - lag(t_ms) OVER (PARTITION BY account_id ORDER BY order)`` on the
    wide rows, but the window sorts only (row id, account, order keys, t_ms).
    """
    keys = ", ".join(f'"{c}"' for c in order)
    con.con.execute(
        f'CREATE OR REPLACE TEMP TABLE "{dst}" AS SELECT s.*, g.gap_ms FROM "{src}" s JOIN '
        f"(SELECT rowid AS _dg_r, t_ms - lag(t_ms) OVER (PARTITION BY account_id ORDER BY "
        f'{keys}) AS gap_ms FROM "{src}") g ON s.rowid = g._dg_r'
    )


def materialize_with_previous_duckdb(con, expr: ibis.Table, order: tuple[str, ...]) -> ibis.Table:
    """DuckDB: materialise `expr` plus prev_ts / prev_t_ms, each row's predecessor in its
    account in ``order`` (the same as features.derive.with_previous).

    The window sorts narrow rows joined back by row id, a fraction of sorting the wide rows.
    """
    base = materialize(con, expr, "events_base")
    src = base.op().name
    name = f"_dg_events_{next(_names)}"
    keys = ", ".join(f'"{c}"' for c in order)
    win = f"(PARTITION BY account_id ORDER BY {keys})"
    con.con.execute(
        f'CREATE TEMP TABLE "{name}" AS SELECT s.*, g.prev_ts, g.prev_t_ms FROM "{src}" s JOIN '
        f"(SELECT rowid AS _dg_r, lag(ts) OVER {win} AS prev_ts, lag(t_ms) OVER {win} AS "
        f'prev_t_ms FROM "{src}") g ON s.rowid = g._dg_r'
    )
    release(con, base)
    return con.table(name, database=("temp", "main"))


def replace_fixed_ids(con, name: str, ids: list[str]) -> None:
    """(Re)create the temporary one-column table `name` (account_id string) from ids."""
    if backend_name(con) == "duckdb":
        arrow = pa.table({"account_id": pa.array(ids, type=pa.string())})
        view = f"{name}__src"
        con.con.register(view, arrow)
        try:
            con.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM "{view}"')
        finally:
            con.con.unregister(view)
        return
    session = con._session
    drop_fixed(con, name)
    df = session.createDataFrame([(i,) for i in ids], "account_id string")
    df.cache().createOrReplaceTempView(name)


def fixed_table(con, name: str) -> ibis.Table:
    """An ibis handle on a table made by :func:`replace_fixed`."""
    if backend_name(con) == "duckdb":
        return con.table(name, database=("temp", "main"))
    return con.table(name)


def drop_fixed(con, name: str) -> None:
    """Drop a table made by :func:`replace_fixed` (no error if it does not exist)."""
    try:
        if backend_name(con) == "duckdb":
            con.con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')
        else:
            session = con._session
            if session.catalog.tableExists(name):
                session.catalog.uncacheTable(name)
                session.catalog.dropTempView(name)
    except Exception as exc:  # cleanup must never mask the result
        log.debug("could not drop %s: %s", name, exc)
