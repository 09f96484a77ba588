"""The contract's row-level rules, as data: one :class:`Rule` per (table, column, rule).

Each rule is an ibis predicate over a typed table (``read.Typed.wide``) that is
true on offending rows and never null. The same predicates drive the strict
check (through pandera) and the quarantine (the first broken rule of a row is
its reason), so the rules are written once.

Rules, in the order a row's quarantine reason is chosen:

- ``cast``: a value that does not fit the contract type (e.g. 2**40 for int32, 1.5 for int);
- ``not_null``: a null in a required column;
- ``unique``: a duplicated key (events.request_id, accounts.account_id,
  labels.account_id); every row sharing the key is offending;
- ``non_negative``: input_tokens or output_tokens below 0;
- ``label_values``: a label other than 0 or 1;
- ``campaign_required``: label = 1 with a null campaign_id;
- ``allowed_values``: a value outside an enumerated set, only under
  ``enum_policy: violation`` (the default ``map`` policy maps it instead, see
  :mod:`distillguard.contract.normalise`);
- ``account_quarantined`` / ``unknown_account``: an event whose account was
  quarantined, or is absent from accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis

from distillguard.contract.read import FAIL_PREFIX, RAW_PREFIX
from distillguard.contract.spec import KEYS, TABLES


@dataclass(frozen=True)
class Context:
    """Tables some rules look up, built by the validator.

    Attributes:
        duplicate_keys: table -> one-column table of key values seen more than once.
        accepted_accounts: one-column table (account_id) of accounts that passed.
        known_accounts: one-column table (account_id) of every account id read.
    """

    duplicate_keys: dict[str, ibis.Table]
    accepted_accounts: ibis.Table | None = None
    known_accounts: ibis.Table | None = None


@dataclass(frozen=True)
class Rule:
    """One row-level rule.

    Attributes:
        table: contract table.
        column: the column it is about.
        name: the rule name (``not_null``, ``unique``, ...).
        offending: (wide table, context) -> boolean expression, true on offending rows.
    """

    table: str
    column: str
    name: str
    offending: Callable[[ibis.Table, Context], ibis.BooleanValue]

    @property
    def reason(self) -> str:
        """Quarantine reason: ``<rule>:<column>``."""
        return f"{self.name}:{self.column}"


def _cast(col: str) -> Callable:
    return lambda t, ctx: t[f"{FAIL_PREFIX}{col}"].fill_null(False)


def _not_null(col: str) -> Callable:
    # On the value as read: a value that failed its cast is a `cast` violation, not a null.
    return lambda t, ctx: t[f"{RAW_PREFIX}{col}"].isnull()


def _unique(table: str, col: str) -> Callable:
    def pred(t: ibis.Table, ctx: Context) -> ibis.BooleanValue:
        return t[col].isin(ctx.duplicate_keys[table][col]).fill_null(False)

    return pred


def _non_negative(col: str) -> Callable:
    return lambda t, ctx: (t[col] < 0).fill_null(False)


def _in_set(col: str, allowed: tuple[str, ...]) -> Callable:
    return lambda t, ctx: (t[col].notnull() & ~t[col].isin(list(allowed))).fill_null(False)


def _label_values(t: ibis.Table, ctx: Context) -> ibis.BooleanValue:
    return (t.label.notnull() & ~t.label.isin([0, 1])).fill_null(False)


def _campaign_required(t: ibis.Table, ctx: Context) -> ibis.BooleanValue:
    return ((t.label == 1) & t.campaign_id.isnull()).fill_null(False)


def _account_quarantined(t: ibis.Table, ctx: Context) -> ibis.BooleanValue:
    ok = t.account_id.isin(ctx.accepted_accounts.account_id)
    known = t.account_id.isin(ctx.known_accounts.account_id)
    return (known & ~ok).fill_null(False)


def _unknown_account(t: ibis.Table, ctx: Context) -> ibis.BooleanValue:
    return (t.account_id.notnull() & ~t.account_id.isin(ctx.known_accounts.account_id)).fill_null(
        False
    )


def rules_for(
    table: str, cast_checked: list[str], enum_policy: str, present: list[str] | None = None
) -> list[Rule]:
    """The row-level rules of a table, in reason-priority order.

    Args:
        table: contract table name.
        cast_checked: columns whose source type needs a row-level cast check.
        enum_policy: "map" (values outside a set are mapped, no rule) or "violation".
        present: columns found in the source (absent optional columns are all null).

    Returns:
        The rules; events' account rules need a Context with accounts filled in.
    """
    cols = TABLES[table]
    out = [Rule(table, c, "cast", _cast(c)) for c in cast_checked]
    out += [Rule(table, c.name, "not_null", _not_null(c.name)) for c in cols if c.required]
    out.append(Rule(table, KEYS[table], "unique", _unique(table, KEYS[table])))
    if table == "events":
        out += [
            Rule(table, c, "non_negative", _non_negative(c))
            for c in ("input_tokens", "output_tokens")
        ]
    if table == "labels":
        out.append(Rule(table, "label", "label_values", _label_values))
        out.append(Rule(table, "campaign_id", "campaign_required", _campaign_required))
    if enum_policy == "violation":
        out += [
            Rule(table, c.name, "allowed_values", _in_set(c.name, c.allowed))
            for c in cols
            if c.allowed and (present is None or c.name in present)
        ]
    if table == "events":
        out.append(Rule(table, "account_id", "account_quarantined", _account_quarantined))
        out.append(Rule(table, "account_id", "unknown_account", _unknown_account))
    return out
