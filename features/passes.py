"""The machinery of a feature pass: fixed-name tables refilled per cutoff, compiled SQL cached.

A :class:`Prepared` holds the cutoff-independent inputs; each pass refills a few tables
with fixed names (per slot), so family expressions over them are built and compiled once
and rerun at every cutoff. Families may also ask for per-pass *stages*: intermediate
tables materialised once per pass and read by several of their queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import ibis
import pandas as pd

from features import engine

_SQL: dict[tuple, dict[str, str]] = {}


@dataclass
class Tables:
    """What every family function receives for one cutoff.

    The tables have fixed names that each pass of a :class:`Prepared` refills, so family
    expressions are built and compiled once and rerun at every cutoff: a family must depend
    on the cutoff only through these tables, never through Python values of `as_of`.
    """

    con: object
    events: ibis.Table  # window events with derived columns
    accounts: ibis.Table  # accounts created before as_of, with age_days
    account_first: ibis.Table  # first event per account, before as_of
    model_first: ibis.Table  # first event per model, before as_of
    log_start: pd.Timestamp | None
    label: str  # window label used in feature names, e.g. "7d"
    window: timedelta
    available: frozenset[str] = frozenset()  # optional columns with a value (this pass)
    bands: ibis.Table | None = None  # prompt SimHash LSH band rows (features.derive.band_rows)
    as_of: pd.Timestamp | None = None  # this pass's cutoff (informational)
    due: Tables | None = None  # the same restricted to the accounts asked for (snapshots)

    @property
    def active(self) -> ibis.Table:
        """account_id of the accounts with >= 1 window event."""
        return self.events.select("account_id").distinct()

    @property
    def population(self) -> ibis.Value:
        """Number of active accounts (a scalar expression)."""
        return self.events.agg(n=self.events.account_id.nunique()).as_scalar()


@dataclass
class Prepared:
    """Cutoff-independent inputs, reused by every pass of a snapshot build."""

    con: object
    events: ibis.Table
    accounts: ibis.Table
    account_first: ibis.Table  # account_id, first_ts: the account's first event (whole log)
    model_first: ibis.Table  # model, first_ts: the model's first event (whole log)
    log_start: pd.Timestamp | None
    log_end: pd.Timestamp | None
    owned: list[ibis.Table] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    tables: Tables | None = None

    slot: int = 0
    cfg_key: str = ""
    presorted: bool = False  # events carry prev_ts / prev_t_ms (features.derive.with_previous)
    handles: dict[str, ibis.Table] = field(default_factory=dict)

    def _key(self, key: str) -> tuple:
        label = self.tables.label if self.tables is not None else ""
        return (engine.backend_name(self.con), self.slot, self.cfg_key, label, key)

    def _name(self, key: str) -> str:
        if key not in self.names:
            self.names[key] = f"_dg{self.slot}_{key.replace('.', '_')}"
        return self.names[key]

    def run(self, key: str, queries) -> dict[str, pd.DataFrame]:
        """Execute the named queries of `key`; `queries()` is built and compiled only once.

        Compiled SQL is cached process-wide by (engine, table slot, config, window, key): it
        reads only the fixed-name tables, so any later pass with the same settings reuses it.
        """
        ck = self._key(key)
        if ck not in _SQL:
            _SQL[ck] = {k: engine.compile_sql(self.con, e) for k, e in queries().items()}
        return {k: engine.run_sql(self.con, s) for k, s in _SQL[ck].items()}

    def fill(self, key: str, expr: ibis.Table) -> None:
        """(Re)create the fixed table `key` from an expression built for this pass."""
        engine.replace_fixed(self.con, self._name(key), expr)

    def fill_ids(self, key: str, ids: pd.Series) -> None:
        """(Re)create the fixed one-column table `key` (account_id) from ids in Python."""
        engine.replace_fixed_ids(self.con, self._name(key), [str(i) for i in ids])

    def stage(self, key: str, build) -> ibis.Table:
        """Materialise the fixed table `key` from `build()` (compiled once, rerun per pass).

        `build` may read fixed tables filled earlier in the pass (and earlier stages).
        """
        ck = self._key(f"stage:{key}")
        if ck not in _SQL:
            _SQL[ck] = {"sql": engine.compile_sql(self.con, build())}
        engine.replace_fixed_sql(self.con, self._name(key), _SQL[ck]["sql"])
        return self.fixed(key)

    def fixed(self, key: str) -> ibis.Table:
        """An ibis handle on the fixed table `key` (which must exist)."""
        if key not in self.handles:
            self.handles[key] = engine.fixed_table(self.con, self._name(key))
        return self.handles[key]

    def close(self) -> None:
        """Drop the temporary tables this object made."""
        for t in self.owned:
            engine.release(self.con, t)
        for name in self.names.values():
            engine.drop_fixed(self.con, name)
        engine.release_slot(self.con, self.slot)
        self.owned.clear()
        self.names.clear()
        self.handles.clear()
