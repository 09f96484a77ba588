"""Contract violations, the error that refuses bad input, and the validation report.

A :class:`Violation` is one broken rule of one column of one table, with its
count and up to a few offending rows. :class:`ContractError` carries one or
more of them and names table, column, rule and rows in its message.
:class:`ValidationReport` counts rows read / accepted / quarantined per table
and per rule, and checks that every table reconciles (read == accepted +
quarantined).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Violation:
    """One broken contract rule.

    Attributes:
        table: contract table ("events", "accounts", "labels").
        column: the column the rule is about ("*" for the whole table).
        rule: rule name, e.g. "required_column", "not_null", "unique", "non_negative".
        count: number of offending rows (0 where the rule is about the schema).
        examples: up to a few offending rows as dicts.
        detail: a short human explanation.
    """

    table: str
    column: str
    rule: str
    count: int = 0
    examples: tuple[dict[str, Any], ...] = ()
    detail: str = ""

    @property
    def reason(self) -> str:
        """The quarantine reason string: ``<rule>:<column>``."""
        return f"{self.rule}:{self.column}"

    def describe(self) -> str:
        """Multi-line text naming table, column, rule, count and example rows."""
        head = f"table '{self.table}', column '{self.column}', rule '{self.rule}'"
        if self.count:
            head += f": {self.count} offending row(s)"
        if self.detail:
            head += f" ({self.detail})"
        rows = "".join(f"\n    row: {_short(r)}" for r in self.examples)
        return head + rows


def _short(row: dict[str, Any], width: int = 80) -> str:
    """A compact one-line rendering of an example row (long values truncated)."""
    parts = []
    for k, v in row.items():
        s = repr(v)
        parts.append(f"{k}={s[:width] + '...' if len(s) > width else s}")
    return "{" + ", ".join(parts) + "}"


class ContractError(ValueError):
    """Input that breaks the data contract.

    The message names, for every violation, the table, the column, the rule and
    up to a few offending rows. The first violation is also exposed as
    ``.table``, ``.column``, ``.rule`` and ``.examples``.
    """

    def __init__(self, violations: list[Violation] | Violation):
        vs = [violations] if isinstance(violations, Violation) else list(violations)
        if not vs:
            raise ValueError("ContractError needs at least one violation")
        self.violations = vs
        first = vs[0]
        self.table, self.column, self.rule, self.examples = (
            first.table,
            first.column,
            first.rule,
            first.examples,
        )
        lines = [f"input breaks the data contract ({len(vs)} violation(s)):"]
        lines += ["  - " + v.describe() for v in vs]
        super().__init__("\n".join(lines))


@dataclass
class TableReport:
    """Row counts of one table through validation.

    Attributes:
        table: contract table name.
        read: rows read from the source.
        accepted: rows that passed every rule (the rows the normalised table holds).
        quarantined: rows set aside (quarantine mode only).
        by_rule: quarantined or offending rows per reason ``rule:column`` (first broken rule).
        mapped: values outside an enumerated set mapped to the catch-all, per column.
        simhash_filled: rows whose prompt_simhash was computed from prompt.
        quarantine_path: where quarantined rows were written, if any.
    """

    table: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    mapped: dict[str, int] = field(default_factory=dict)
    simhash_filled: int = 0
    quarantine_path: str | None = None

    def reconcile(self) -> None:
        """Assert read == accepted + quarantined and log the reconciliation."""
        msg = (
            f"{self.table}: read {self.read} = accepted {self.accepted}"
            f" + quarantined {self.quarantined}"
        )
        if self.read != self.accepted + self.quarantined:
            raise AssertionError(f"row counts do not reconcile: {msg}")
        if sum(self.by_rule.values()) != self.quarantined:
            raise AssertionError(
                f"{self.table}: per-rule counts {self.by_rule} do not sum to {self.quarantined}"
            )
        log.info("reconciled %s", msg)


@dataclass
class ValidationReport:
    """Per-table counts of one :func:`distillguard.contract.load_inputs` call."""

    mode: str = "raise"
    tables: dict[str, TableReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was quarantined."""
        return all(t.quarantined == 0 for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON, MLflow params, logs)."""
        return {
            "mode": self.mode,
            "ok": self.ok,
            "notes": list(self.notes),
            "tables": {
                name: {
                    "read": t.read,
                    "accepted": t.accepted,
                    "quarantined": t.quarantined,
                    "by_rule": dict(t.by_rule),
                    "mapped": dict(t.mapped),
                    "simhash_filled": t.simhash_filled,
                    "quarantine_path": t.quarantine_path,
                }
                for name, t in self.tables.items()
            },
        }
