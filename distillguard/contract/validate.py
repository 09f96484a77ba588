"""Check a typed table against the contract's rules: strictly, or with a quarantine.

Strict (``on_error="raise"``), engine ``pandera`` (default): a pandera
``DataFrameSchema`` (``pandera.ibis``, run on the ibis table, so DuckDB
evaluates each check as an aggregate query without copying the table into
Python) holds the contract dtypes and one dataframe check per row-level rule
of :mod:`distillguard.contract.rules`. Engine ``aggregate``: every rule of a
table in one aggregate query. Either way every broken rule becomes a
:class:`Violation` with its count and up to ``example_rows`` offending rows,
and all of them are raised at once as a :class:`ContractError`.

Quarantine (``on_error="quarantine"``): each row's reason is its first broken
rule; offending rows (their columns as read, plus ``reason``) are streamed to
``<quarantine_dir>/<table>.parquet`` and counted per reason; accepted rows are
a lazy filter of the source. read == accepted + quarantined is asserted.
"""

from __future__ import annotations

import functools
import logging
import operator
import os
import shutil
from pathlib import Path

import ibis

from distillguard.contract.read import RAW_PREFIX, Typed, contract_dtype
from distillguard.contract.report import ContractError, TableReport, Violation
from distillguard.contract.rules import Context, Rule
from distillguard.contract.spec import KEYS, TABLES

log = logging.getLogger(__name__)


def examples(typed: Typed, rule: Rule, ctx: Context, n: int) -> tuple[dict, ...]:
    """Up to `n` offending rows of `rule`: the table's key, the rule's column (as read)."""
    t = typed.wide
    cols = []
    for c in dict.fromkeys([KEYS[typed.table], "account_id", rule.column]):
        raw = f"{RAW_PREFIX}{c}"
        if raw in t.columns:
            cols.append(t[raw].name(c))
    if rule.name == "campaign_required":
        cols.append(t.label)
    key = t[f"{RAW_PREFIX}{KEYS[typed.table]}"]
    bad = t.filter(rule.offending(t, ctx)).order_by(key)
    rows = bad.select(*cols).limit(n).to_pyarrow().to_pylist()
    return tuple(rows)


def pandera_ibis():
    """Import ``pandera.ibis`` without its process-wide side effect.

    pandera 0.35 sets ``PYARROW_IGNORE_TIMEZONE=1`` on import (for pyspark), after
    which pyarrow silently drops the offset of tz-aware Python datetimes
    (08:00-04:00 becomes 08:00Z). The variable is removed again unless the
    caller had set it.
    """
    before = os.environ.get("PYARROW_IGNORE_TIMEZONE")
    import pandera.ibis as pdi

    if before is None:
        os.environ.pop("PYARROW_IGNORE_TIMEZONE", None)
    return pdi


def _pandera_schema(typed: Typed, rules: list[Rule], ctx: Context, n: int):
    """The pandera schema of a typed table: contract dtypes plus one check per rule."""
    pdi = pandera_ibis()

    columns = {c.name: pdi.Column(contract_dtype(c), nullable=True) for c in TABLES[typed.table]}
    checks = [
        pdi.Check(lambda d, r=r: ~r.offending(d.table, ctx), name=r.reason, n_failure_cases=n)
        for r in rules
    ]
    return pdi.DataFrameSchema(columns=columns, checks=checks, name=typed.table)


def rule_counts(typed: Typed, rules: list[Rule], ctx: Context) -> tuple[int, dict[str, int]]:
    """Rows read and offending rows per rule, in one aggregate query (one scan).

    Returns:
        (rows read, reason -> offending rows) for every rule.
    """
    t = typed.wide
    metrics = {f"rule_{i}": r.offending(t, ctx).cast("int64").sum() for i, r in enumerate(rules)}
    row = t.aggregate(n_read=t.count(), **metrics).to_pyarrow().to_pylist()[0]
    return int(row["n_read"]), {r.reason: int(row[f"rule_{i}"] or 0) for i, r in enumerate(rules)}


def _failed_by_pandera(typed: Typed, rules: list[Rule], ctx: Context, n: int) -> list[str]:
    """Reasons of the rules pandera finds broken (one query per check)."""
    schema = _pandera_schema(typed, rules, ctx, n)
    import pandera.errors as pe

    try:
        schema.validate(typed.wide, lazy=True)
    except pe.SchemaErrors as exc:
        return [getattr(e.check, "name", None) or str(e.check) for e in exc.schema_errors]
    return []


def check_strict(
    typed: Typed, rules: list[Rule], ctx: Context, n: int, engine: str = "aggregate"
) -> TableReport:
    """Check every rule; raise ContractError naming every broken one with example rows.

    Args:
        typed: the typed table.
        rules: its rules.
        ctx: lookup tables for the rules.
        n: example rows per broken rule.
        engine: "aggregate" (all rules in one scan) or "pandera" (a pandera.ibis
            DataFrameSchema: dtypes plus one check, hence one scan, per rule).

    Returns:
        The table's report (everything read is accepted).
    """
    by_reason = {r.reason: r for r in rules}
    if engine == "pandera":
        n_read = int(typed.wide.count().execute())
        # pandera 0.35 reads an empty table's all() (SQL NULL) as a failed check: skip it.
        failed = _failed_by_pandera(typed, rules, ctx, n) if n_read else []
        counts = {}
        for reason in failed:
            r = by_reason.get(reason)
            count = (
                int(typed.wide.filter(r.offending(typed.wide, ctx)).count().execute()) if r else 0
            )
            if count or r is None:
                counts[reason] = count
    else:
        n_read, all_counts = rule_counts(typed, rules, ctx)
        counts = {k: v for k, v in all_counts.items() if v}
    if counts:
        violations = []
        for reason, count in counts.items():
            r = by_reason.get(reason)
            if r is None:  # a pandera schema-level failure (dtype): cannot happen after typing
                violations.append(Violation(typed.table, "*", reason))
                continue
            violations.append(
                Violation(typed.table, r.column, r.name, count, examples(typed, r, ctx, n))
            )
        raise ContractError(violations)
    rep = TableReport(typed.table, read=n_read, accepted=n_read)
    rep.reconcile()
    return rep


def quarantine(
    typed: Typed, rules: list[Rule], ctx: Context, out_dir: Path
) -> tuple[ibis.Table, TableReport]:
    """Set offending rows aside with their reason; return the accepted rows and counts.

    Args:
        typed: the typed table.
        rules: its rules, in reason-priority order.
        ctx: lookup tables for the rules.
        out_dir: quarantine directory; offending rows go to ``<table>.parquet``.

    Returns:
        (accepted rows of the wide table, lazily; the reconciled report).
    """
    t = typed.wide

    def reason_of(rs: list[Rule]) -> ibis.StringValue:
        return ibis.cases(*[(r.offending(t, ctx), r.reason) for r in rs], else_=None).cast("string")

    flagged = t.mutate(reason=reason_of(rules))
    counts = flagged.group_by("reason").aggregate(n=flagged.count()).to_pyarrow().to_pylist()
    by_rule = {c["reason"]: int(c["n"]) for c in counts if c["reason"] is not None}
    # Only rules that are some row's first broken rule can reject a row (a row's first
    # broken rule always counts); filtering on those alone keeps the lazy accepted table
    # as cheap as the strict one when the input is clean, and gives identical reasons.
    fired = [r for r in rules if by_rule.get(r.reason)]
    offending = (
        functools.reduce(operator.or_, [r.offending(t, ctx) for r in fired]) if fired else None
    )
    accepted = t if offending is None else t.filter(~offending)
    rep = TableReport(
        typed.table,
        read=int(t.count().execute()),
        accepted=int(accepted.count().execute()),
        quarantined=sum(by_rule.values()),
        by_rule=by_rule,
    )
    path = out_dir / f"{typed.table}.parquet"
    # A file left by an earlier run would be read as this run's quarantine: replace it.
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if rep.quarantined:
        out_dir.mkdir(parents=True, exist_ok=True)
        bad = t.filter(offending).mutate(reason=reason_of(fired))
        bad.select(
            *[bad[f"{RAW_PREFIX}{c}"].name(c) for c in typed.raw_columns], "reason"
        ).to_parquet(path)
        rep.quarantine_path = str(path)
        log.warning(
            "%s: %d row(s) quarantined to %s: %s", typed.table, rep.quarantined, path, by_rule
        )
    rep.reconcile()
    return accepted, rep
