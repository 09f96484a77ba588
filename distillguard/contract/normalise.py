"""Turn accepted, typed rows into the normalised contract table.

- every contract column, in contract order, with its contract type; nothing else;
- enumerated columns under the default ``enum_policy: map``: a value outside
  the contract's set becomes the set's catch-all (``unknown`` for asn_kind,
  signup_asn_kind and email_domain_kind, ``other`` for task_category) or null
  where the set has none (stop_reason, payment_kind, tier, verification_path);
  each mapped value is counted in the report (``mapped``), never silent.
  Rationale: providers label these with their own classifiers and add values
  over time; refusing a whole export for a new task category would be worse
  than reading it as "other". ``enum_policy: violation`` refuses / quarantines
  them instead;
- ``prompt_simhash`` filled from ``prompt`` where it is null and the prompt is
  not: SimHash is computed once per distinct such prompt (streamed in record
  batches) and joined back.
"""

from __future__ import annotations

import itertools
import logging

import ibis
import pyarrow as pa

from distillguard.contract.simhash import simhash_many
from distillguard.contract.spec import ENUM_FALLBACK, TABLES

log = logging.getLogger(__name__)
_ids = itertools.count()


def map_enums(
    t: ibis.Table, table: str, policy: str, present: list[str] | None = None
) -> tuple[ibis.Table, dict[str, ibis.Value]]:
    """Apply the enum policy to a table of contract columns.

    Columns absent from the source (``present``) are all null and skipped.

    Returns:
        (table with enumerated columns mapped when policy is "map", column ->
        aggregate expression counting the values that were mapped).
    """
    counts: dict[str, ibis.Value] = {}
    if policy != "map":
        return t, counts
    repl = {}
    for c in TABLES[table]:
        if not c.allowed or (present is not None and c.name not in present):
            continue
        col = t[c.name]
        outside = col.notnull() & ~col.isin(list(c.allowed))
        counts[c.name] = outside.cast("int64").sum()
        fallback = ENUM_FALLBACK.get(c.name)
        repl[c.name] = ibis.ifelse(outside, ibis.literal(fallback, type="string"), col)
    return (t.mutate(**repl) if repl else t), counts


def record_batches(con: ibis.BaseBackend, expr: ibis.Table, rows: int):
    """Stream a table expression as Arrow record batches.

    ibis 12's ``to_pyarrow_batches`` calls a cursor method duckdb 2.0 no longer
    has, so on DuckDB the compiled SQL is streamed through duckdb's own reader.
    """
    if con.name == "duckdb":
        yield from con.con.sql(ibis.to_sql(expr, dialect="duckdb")).to_arrow_reader(rows)
    else:
        yield from expr.to_pyarrow_batches(chunk_size=rows)


def fill_simhash(
    con: ibis.BaseBackend, events: ibis.Table, batch_rows: int
) -> tuple[ibis.Table, int]:
    """Fill null prompt_simhash from prompt, computing each distinct prompt once.

    Args:
        con: the backend holding `events`.
        events: normalised events (contract columns).
        batch_rows: record-batch size when streaming distinct prompts.

    Returns:
        (events with prompt_simhash filled, number of rows filled).
    """
    need = events.prompt_simhash.isnull() & events.prompt.notnull()
    n = int(events.filter(need).count().execute())
    if n == 0:
        return events, 0
    prompts = events.filter(need).select("prompt").distinct()
    parts = []
    for batch in record_batches(con, prompts, batch_rows):
        col = batch.column(0)
        parts.append(pa.table({"prompt": col, "fill_simhash": simhash_many(col)}))
    filled = pa.concat_tables(parts) if parts else pa.table({"prompt": [], "fill_simhash": []})
    # ibis 12 + duckdb 2.0: create_table from a bare pyarrow table fails; a memtable works.
    # Spark: the memtable becomes a temporary view (no managed table on disk).
    lookup = ibis.memtable(filled)
    if con.name == "duckdb":
        lookup = con.create_table(f"dg_simhash_fill_{next(_ids)}", lookup)
    log.info("prompt_simhash: computed for %d rows (%d distinct prompts)", n, filled.num_rows)
    cols = [c.name for c in TABLES["events"]]
    joined = events.left_join(lookup, events.prompt == lookup.prompt)
    out = joined.select(
        *[
            (joined.prompt_simhash.coalesce(joined.fill_simhash).name(c))
            if c == "prompt_simhash"
            else joined[c]
            for c in cols
        ]
    )
    return out, n
