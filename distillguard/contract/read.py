"""Read a contract table from Parquet and type it to the contract, lazily.

A table is one Parquet file or a directory of them (searched recursively, hive
partitions such as ``date=2026-05-01/`` allowed; their partition columns, like
every other extra column, are dropped). Nothing is loaded into Python: the
result is an ibis expression over the files.

Schema-level rules, checked here and always fatal (a column cannot be
quarantined): ``required_column`` (a required column is absent) and ``type``
(a column whose type cannot be cast safely to the contract type). Safe casts:

- to string: from string, or from integers (lossless text);
- to an integer type: from integers, bools (1/0) and floats; a value that does not
  fit the target type, or a non-integral float, is a row-level ``cast`` violation;
- to timestamp UTC: from timestamps of any unit, with or without a zone
  (naive timestamps are read as UTC), and from dates (midnight UTC);
- to bool: from bool only;
- an all-null column (Arrow null type) casts to anything.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt

from distillguard.contract.report import ContractError, Violation
from distillguard.contract.spec import TABLES, Column

RAW_PREFIX = "raw__"
FAIL_PREFIX = "castfail__"
_ids = itertools.count()

_INT_RANGE = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


def contract_dtype(col: Column) -> dt.DataType:
    """The ibis type of a contract column (timestamps: UTC, microseconds)."""
    return dt.dtype(col.type)


def _source(path: Path, table: str) -> tuple[str, bool]:
    """Parquet glob of a file or directory and whether it has hive partitions."""
    if path.is_file():
        return str(path), False
    if path.is_dir():
        files = sorted(path.rglob("*.parquet"))
        if not files:
            raise ContractError(
                Violation(table, "*", "no_files", detail=f"no *.parquet under {path}")
            )
        hive = any("=" in part for f in files for part in f.relative_to(path).parts[:-1])
        return str(path / "**" / "*.parquet"), hive
    raise ContractError(Violation(table, "*", "no_files", detail=f"{path} does not exist"))


def read_parquet(con: ibis.BaseBackend, path: str | Path, table: str) -> ibis.Table:
    """Open a contract table's Parquet file(s) as an ibis table, without loading it.

    Args:
        con: the ibis backend (DuckDB by default; any backend with read_parquet).
        path: a Parquet file or a directory of them.
        table: the contract table name (for error messages).

    Returns:
        The raw table, columns as found in the files.
    """
    glob, hive = _source(Path(path), table)
    name = f"dg_raw_{table}_{next(_ids)}"
    if con.name == "duckdb":
        raw = con.read_parquet(glob, table_name=name, hive_partitioning=hive, union_by_name=True)
        return _utc_view(con, raw, name)
    return con.read_parquet(str(path), table_name=name)


UTC_US = dt.Timestamp(timezone="UTC", scale=6)


def _utc_view(con: ibis.BaseBackend, raw: ibis.Table, name: str) -> ibis.Table:
    """DuckDB: the raw table with every timestamp or date column as a UTC instant (us).

    Naive timestamps are read as UTC (``timezone('UTC', ts)``), zoned ones keep their
    instant, dates become midnight UTC. Done in a view rather than as an ibis cast: a
    cast compiles to ``CAST(ts AS TIMESTAMPTZ)`` inline, and sqlglot then refuses to
    compile any ``EXTRACT`` (hour, day) over it for DuckDB, so features would fail on
    a producer that writes naive timestamps (pandas' default).
    """
    fixes = []
    for col, typ in raw.schema().items():
        q = '"' + col.replace('"', '""') + '"'
        if typ.is_date() or (typ.is_timestamp() and typ.timezone is None):
            fixes.append(f"timezone('UTC', CAST({q} AS TIMESTAMP)) AS {q}")
        elif typ.is_timestamp() and typ != UTC_US:
            fixes.append(f"CAST({q} AS TIMESTAMPTZ) AS {q}")
    if not fixes:
        return raw
    con.raw_sql(
        f'CREATE OR REPLACE TEMP VIEW "{name}_utc" AS '
        f'SELECT * REPLACE ({", ".join(fixes)}) FROM "{name}"'
    )
    return con.table(f"{name}_utc")


def _cast_expr(
    table: str, col: Column, raw: ibis.Column
) -> tuple[ibis.Value, ibis.BooleanValue | None]:
    """The typed expression of one column and its row-level cast-failure predicate.

    Raises:
        ContractError: rule ``type`` when the source type cannot be cast safely.
    """
    src, dst = raw.type(), contract_dtype(col)
    if src.is_null():
        return ibis.null().cast(dst), None
    bad = Violation(table, col.name, "type", detail=f"found {src}, expected {dst}; no safe cast")
    if dst.is_string():
        if src.is_string():
            return raw, None
        if src.is_integer():
            return raw.cast(dst), None
        raise ContractError(bad)
    if dst.is_integer():
        lo, hi = _INT_RANGE[str(dst)]
        if src.is_integer():
            if src == dst:
                return raw, None
            return raw.try_cast(dst), raw.notnull() & ~raw.between(lo, hi).fill_null(False)
        if src.is_boolean():
            return raw.cast(dst), None
        if src.is_floating() or src.is_decimal():
            ok = (raw == raw.floor()) & raw.between(lo, hi)
            return raw.try_cast(dst), raw.notnull() & ~ok.fill_null(False)
        raise ContractError(bad)
    if dst.is_timestamp():
        if src.is_timestamp() or src.is_date():
            return (raw if src == dst else raw.cast(dst)), None
        raise ContractError(bad)
    if dst.is_boolean():
        if src.is_boolean():
            return raw, None
        raise ContractError(bad)
    raise ContractError(bad)  # pragma: no cover - the contract has no other types


@dataclass
class Typed:
    """A raw table typed to the contract.

    Attributes:
        table: contract table name.
        wide: raw columns (prefixed ``raw__``) beside the typed contract columns.
        raw_columns: the raw column names, in file order.
        cast_checked: columns with a row-level cast check; ``castfail__<column>`` in
            `wide` is true where the value could not be cast.
        present: contract columns present in the source.
    """

    table: str
    wide: ibis.Table
    raw_columns: list[str]
    cast_checked: list[str]
    present: list[str]

    @property
    def columns(self) -> list[str]:
        """The contract columns, in contract order."""
        return [c.name for c in TABLES[self.table]]


def type_table(table: str, raw: ibis.Table) -> Typed:
    """Check a raw table's schema against the contract and type its columns.

    Missing optional columns become typed nulls; extra columns are kept only
    under their ``raw__`` name (for quarantine files) and never reach the
    contract columns.

    Raises:
        ContractError: every missing required column (rule ``required_column``)
            and every column of an unsafe type (rule ``type``), all at once.
    """
    cols = TABLES[table]
    errors: list[Violation] = []
    missing = [c.name for c in cols if c.required and c.name not in raw.columns]
    errors += [
        Violation(table, m, "required_column", detail=f"columns found: {list(raw.columns)}")
        for m in missing
    ]
    typed: dict[str, ibis.Value] = {}
    fails: dict[str, ibis.BooleanValue] = {}
    for c in cols:
        if c.name not in raw.columns:
            typed[c.name] = ibis.null().cast(contract_dtype(c))
            continue
        try:
            expr, fail = _cast_expr(table, c, raw[c.name])
        except ContractError as exc:
            errors += exc.violations
            continue
        typed[c.name] = expr
        if fail is not None:
            fails[c.name] = fail
    if errors:
        raise ContractError(errors)
    wide = raw.select(
        **{f"{RAW_PREFIX}{n}": raw[n] for n in raw.columns},
        **{k: v.name(k) for k, v in typed.items()},
        **{f"{FAIL_PREFIX}{k}": v for k, v in fails.items()},
    )
    present = [c.name for c in cols if c.name in raw.columns]
    return Typed(table, wide, list(raw.columns), sorted(fails), present)
