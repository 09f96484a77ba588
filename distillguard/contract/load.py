"""Load the contract's input tables: read, type, validate, normalise; lazily.

:func:`load_inputs` returns ibis tables over the Parquet sources (DuckDB by
default) with every contract column in its contract type, timestamps UTC,
missing optional columns as typed nulls, extra columns dropped, values outside
enumerated sets handled by ``enum_policy`` and ``prompt_simhash`` filled from
``prompt``. Nothing is copied into pandas; small lookup tables (duplicated
keys, account ids, SimHash of prompts that lacked one) are materialised once
in the backend.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ibis

from distillguard.contract import read, rules, validate
from distillguard.contract.config import ContractConfig, load_contract_config
from distillguard.contract.normalise import fill_simhash, map_enums
from distillguard.contract.report import ContractError, TableReport, ValidationReport
from distillguard.contract.spec import KEYS, TABLES

log = logging.getLogger(__name__)
_ids = itertools.count()


@dataclass
class Inputs:
    """The normalised, validated input tables.

    Attributes:
        con: the ibis backend holding them (DuckDB unless one was passed).
        events: normalised events (ibis table).
        accounts: normalised accounts.
        labels: normalised labels, or None when none were given.
        report: rows read / accepted / quarantined per table and rule.
    """

    con: ibis.BaseBackend
    events: ibis.Table
    accounts: ibis.Table
    labels: ibis.Table | None
    report: ValidationReport


def _materialise(con: ibis.BaseBackend, expr: ibis.Table, stem: str) -> ibis.Table:
    """Store a small table in the backend once, so lookups do not recompute it.

    DuckDB: an in-memory table. Other backends (Spark): ``expr.cache()``, never a
    managed table (Spark would write it under ./spark-warehouse).
    """
    if con.name == "duckdb":
        return con.create_table(f"dg_{stem}_{next(_ids)}", expr)
    return expr.cache()


def _duckdb(cfg: ContractConfig) -> ibis.BaseBackend:
    """A new in-memory DuckDB (UTC session) that spills to a temp directory, not to ./.tmp."""
    temp = cfg.duckdb_temp_directory or str(Path(tempfile.gettempdir()) / "distillguard-duckdb")
    con = ibis.duckdb.connect(temp_directory=temp)
    if cfg.duckdb_memory_limit:
        con.raw_sql(f"SET memory_limit = '{cfg.duckdb_memory_limit}'")
    return con


def _duplicate_keys(con: ibis.BaseBackend, typed: read.Typed) -> ibis.Table:
    key = KEYS[typed.table]
    t = typed.wide
    dups = (
        t.filter(t[key].notnull())
        .group_by(key)
        .aggregate(n=lambda g: g.count())
        .filter(lambda g: g.n > 1)
        .select(key)
    )
    return _materialise(con, dups, f"dup_{typed.table}")


def _check(
    con: ibis.BaseBackend,
    typed: read.Typed,
    ctx: rules.Context,
    cfg: ContractConfig,
    on_error: str,
    qdir: Path | None,
) -> tuple[ibis.Table, TableReport]:
    table_rules = rules.rules_for(typed.table, typed.cast_checked, cfg.enum_policy, typed.present)
    if on_error == "quarantine":
        return validate.quarantine(typed, table_rules, ctx, qdir)
    return typed.wide, validate.check_strict(
        typed, table_rules, ctx, cfg.example_rows, cfg.strict_engine
    )


def _finish(
    con: ibis.BaseBackend,
    accepted: ibis.Table,
    rep: TableReport,
    cfg: ContractConfig,
    present: list[str],
) -> ibis.Table:
    """Select the contract columns, apply the enum policy, fill SimHash; fill the report."""
    table = rep.table
    base = accepted.select(*[c.name for c in TABLES[table]])
    out, counts = map_enums(base, table, cfg.enum_policy, present)
    if counts:
        row = base.aggregate(**counts).to_pyarrow().to_pylist()[0]
        rep.mapped = {k: int(v or 0) for k, v in row.items() if v}
        for col, n in rep.mapped.items():
            log.warning("%s.%s: %d value(s) outside the contract's set mapped", table, col, n)
    if table == "events" and "prompt" in present:
        out, rep.simhash_filled = fill_simhash(con, out, cfg.simhash_batch_rows)
    return out


def load_inputs(
    events: str | Path,
    accounts: str | Path,
    labels: str | Path | None = None,
    *,
    on_error: Literal["raise", "quarantine"] = "raise",
    quarantine_dir: str | Path | None = None,
    backend: ibis.BaseBackend | None = None,
    config: ContractConfig | None = None,
) -> Inputs:
    """Read, validate and normalise the contract's tables.

    Args:
        events: events Parquet file or directory (hive partitions allowed).
        accounts: accounts Parquet file or directory.
        labels: labels Parquet file or directory, or None.
        on_error: "raise" refuses bad input with a ContractError naming every
            broken rule; "quarantine" sets offending rows aside in
            ``quarantine_dir/<table>.parquet`` with a ``reason`` and counts them.
        quarantine_dir: required with on_error="quarantine".
        backend: an ibis backend to use; a new in-memory DuckDB by default.
        config: contract settings; configs/contract.yaml by default.

    Returns:
        Inputs with lazy, normalised ibis tables and the validation report.

    Raises:
        ContractError: a missing required column or an unsafe type (always),
            or any row-level rule in "raise" mode.
    """
    if on_error not in ("raise", "quarantine"):
        raise ValueError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")
    if on_error == "quarantine" and quarantine_dir is None:
        raise ValueError("on_error='quarantine' needs a quarantine_dir")
    cfg = config or load_contract_config()
    con = backend or _duckdb(cfg)
    qdir = Path(quarantine_dir) if quarantine_dir is not None else None
    sources = {"events": events, "accounts": accounts, "labels": labels}

    typed: dict[str, read.Typed] = {}
    schema_errors = []
    for name, src in sources.items():
        if src is None:
            continue
        try:
            typed[name] = read.type_table(name, read.read_parquet(con, src, name))
        except ContractError as exc:
            schema_errors += exc.violations
    if schema_errors:
        raise ContractError(schema_errors)

    report = ValidationReport(mode=on_error)
    dups = {name: _duplicate_keys(con, t) for name, t in typed.items()}
    accepted: dict[str, ibis.Table] = {}
    violations = []
    for name in ("accounts", "labels", "events"):
        if name not in typed:
            continue
        ctx = rules.Context(dups)
        if name == "events":
            acc_ids = accepted.get("accounts", typed["accounts"].wide)
            ctx = rules.Context(
                dups,
                accepted_accounts=_materialise(
                    con,
                    acc_ids.filter(acc_ids.account_id.notnull()).select("account_id").distinct(),
                    "accepted_accounts",
                ),
                known_accounts=_materialise(
                    con,
                    typed["accounts"]
                    .wide.filter(lambda t: t.account_id.notnull())
                    .select("account_id")
                    .distinct(),
                    "known_accounts",
                ),
            )
        try:
            accepted[name], report.tables[name] = _check(con, typed[name], ctx, cfg, on_error, qdir)
        except ContractError as exc:
            violations += exc.violations
    if violations:
        raise ContractError(violations)

    out = {
        name: _finish(con, accepted[name], report.tables[name], cfg, typed[name].present)
        for name in accepted
    }
    if out.get("labels") is not None:
        lab, acc = out["labels"], out["accounts"]
        stray = int(lab.filter(~lab.account_id.isin(acc.account_id)).count().execute())
        if stray:
            # Not a contract rule: kept, but said out loud (they cannot join any features).
            note = (
                f"labels: {stray} labelled account(s) not in accounts (kept; they have no events)"
            )
            report.notes.append(note)
            log.warning(note)
    for name, rep in report.tables.items():
        log.info(
            "%s: read %d, accepted %d, quarantined %d",
            name,
            rep.read,
            rep.accepted,
            rep.quarantined,
        )
    return Inputs(con, out["events"], out["accounts"], out.get("labels"), report)


def load_world(world_dir: str | Path, **kwargs) -> Inputs:
    """:func:`load_inputs` on a world directory (see :class:`distillguard.world.WorldPaths`)."""
    from distillguard.world import WorldPaths

    paths = WorldPaths.from_dir(world_dir)
    return load_inputs(paths.events, paths.accounts, paths.labels, **kwargs)
