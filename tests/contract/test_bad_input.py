"""Every bad-input kind of the contract: refused naming table, column, rule and rows."""

from __future__ import annotations

import pyarrow as pa
import pytest

from distillguard.contract import ContractError, load_inputs
from distillguard.contract.config import ContractConfig
from tests.contract.builders import accounts_table, events_table, labels_table, replace


def _ev(name, values, type_=None):
    return {"events": replace(events_table(), name, values, type_)}


def _drop(table_fn, name):
    t = table_fn()
    return t.drop_columns([name])


CASES = {
    # name: (tables, table, column, rule, a value that must appear in the example rows)
    "missing required column": (
        {"events": _drop(events_table, "ip")},
        "events",
        "ip",
        "required_column",
        None,
    ),
    "missing required accounts column": (
        {"accounts": _drop(accounts_table, "created_at")},
        "accounts",
        "created_at",
        "required_column",
        None,
    ),
    "missing required labels column": (
        {"labels": _drop(labels_table, "label")},
        "labels",
        "label",
        "required_column",
        None,
    ),
    "string where int32": (
        _ev("input_tokens", [str(i) for i in range(6)]),
        "events",
        "input_tokens",
        "type",
        None,
    ),
    "string where timestamp": (
        {"accounts": replace(accounts_table(), "created_at", ["2026-01-01"] * 3)},
        "accounts",
        "created_at",
        "type",
        None,
    ),
    "int where bool": (
        _ev("has_system_prompt", [1] * 6),
        "events",
        "has_system_prompt",
        "type",
        None,
    ),
    "int64 overflowing int32": (
        _ev("output_tokens", [1, 2, 3, 4, 5, 2**40], pa.int64()),
        "events",
        "output_tokens",
        "cast",
        "r5",
    ),
    "non-integral float": (
        _ev("input_tokens", [1.0, 2.0, 3.5, 4.0, 5.0, 6.0]),
        "events",
        "input_tokens",
        "cast",
        "r2",
    ),
    "null in required events column": (
        _ev("model", ["m", None, "m", "m", "m", "m"]),
        "events",
        "model",
        "not_null",
        "r1",
    ),
    "null in required accounts column": (
        {
            "accounts": replace(
                accounts_table(), "created_at", [None, None, None], pa.timestamp("us", "UTC")
            )
        },
        "accounts",
        "created_at",
        "not_null",
        "a1",
    ),
    "null in required labels column": (
        {"labels": replace(labels_table(), "labelled_at", [None, None], pa.timestamp("us", "UTC"))},
        "labels",
        "labelled_at",
        "not_null",
        "a1",
    ),
    "duplicate request_id": (
        _ev("request_id", ["r0", "r1", "r2", "r3", "r4", "r0"]),
        "events",
        "request_id",
        "unique",
        "r0",
    ),
    "duplicate account_id": (
        {"accounts": accounts_table(("a1", "a2", "a3", "a2"))},
        "accounts",
        "account_id",
        "unique",
        "a2",
    ),
    "duplicate labels account_id": (
        {"labels": pa.concat_tables([labels_table(), labels_table().slice(1)])},
        "labels",
        "account_id",
        "unique",
        "a2",
    ),
    "negative input_tokens": (
        _ev("input_tokens", [1, 2, -3, 4, 5, 6], pa.int32()),
        "events",
        "input_tokens",
        "non_negative",
        "r2",
    ),
    "negative output_tokens": (
        _ev("output_tokens", [1, 2, 3, -4, 5, 6], pa.int32()),
        "events",
        "output_tokens",
        "non_negative",
        "r3",
    ),
    "label not 0/1": (
        {"labels": replace(labels_table(), "label", [1, 2], pa.int8())},
        "labels",
        "label",
        "label_values",
        "a2",
    ),
    "campaign missing for label 1": (
        {"labels": replace(labels_table(), "campaign_id", [None, None], pa.string())},
        "labels",
        "campaign_id",
        "campaign_required",
        "a1",
    ),
    "event of unknown account": (
        {"events": events_table(accounts=("a1", "a2", "ghost"))},
        "events",
        "account_id",
        "unknown_account",
        "ghost",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_strict_refuses_with_table_column_rule_rows(write, case):
    tables, table, column, rule, example = CASES[case]
    paths = write(**tables)
    with pytest.raises(ContractError) as info:
        load_inputs(paths["events"], paths["accounts"], paths["labels"])
    err = info.value
    hit = [v for v in err.violations if (v.table, v.column, v.rule) == (table, column, rule)]
    assert hit, f"expected {table}.{column} {rule}, got {[v.reason for v in err.violations]}"
    msg = str(err)
    assert f"table '{table}'" in msg and f"column '{column}'" in msg and f"rule '{rule}'" in msg
    if example is not None:
        assert hit[0].count >= 1
        assert any(example in map(str, row.values()) for row in hit[0].examples)
        assert example in msg


def test_at_most_example_rows_shown(write):
    n = 20
    ev = replace(events_table(n), "input_tokens", [-1] * n, pa.int32())
    paths = write(events=ev)
    with pytest.raises(ContractError) as info:
        load_inputs(paths["events"], paths["accounts"], config=ContractConfig(example_rows=5))
    v = info.value.violations[0]
    assert (v.rule, v.count, len(v.examples)) == ("non_negative", n, 5)


def test_schema_errors_raise_even_in_quarantine_mode(write, tmp_path):
    paths = write(events=_drop(events_table, "ts"))
    with pytest.raises(ContractError) as info:
        load_inputs(
            paths["events"], paths["accounts"], on_error="quarantine", quarantine_dir=tmp_path / "q"
        )
    assert (info.value.table, info.value.column, info.value.rule) == (
        "events",
        "ts",
        "required_column",
    )


def test_enum_outside_set_is_violation_under_violation_policy(write):
    paths = write(events=replace(events_table(), "task_category", ["coding"] * 5 + ["poetry"]))
    with pytest.raises(ContractError) as info:
        load_inputs(
            paths["events"], paths["accounts"], config=ContractConfig(enum_policy="violation")
        )
    v = info.value.violations[0]
    assert (v.table, v.column, v.rule, v.count) == ("events", "task_category", "allowed_values", 1)


def test_enum_outside_set_maps_and_counts_under_map_policy(write):
    ev = replace(events_table(), "task_category", ["coding", "poetry", None, "chat", "x", "math"])
    ev = replace(ev, "asn_kind", ["satellite", "mobile", None, None, None, None])
    ev = replace(ev, "stop_reason", ["end_turn", "timeout", None, None, None, None])
    acc = replace(accounts_table(), "tier", ["free", "platinum", "scale"])
    paths = write(events=ev, accounts=acc)
    inputs = load_inputs(paths["events"], paths["accounts"], config=ContractConfig())
    got = inputs.events.order_by("request_id").to_pyarrow()
    assert got["task_category"].to_pylist() == ["coding", "other", None, "chat", "other", "math"]
    assert got["asn_kind"].to_pylist()[:2] == ["unknown", "mobile"]
    assert got["stop_reason"].to_pylist()[:2] == ["end_turn", None]
    tiers = inputs.accounts.order_by("account_id").to_pyarrow()["tier"].to_pylist()
    assert tiers == ["free", None, "scale"]
    rep = inputs.report.tables
    assert rep["events"].mapped == {"asn_kind": 1, "task_category": 2, "stop_reason": 1}
    assert rep["accounts"].mapped == {"tier": 1}
    assert rep["events"].accepted == rep["events"].read == 6


def test_pandera_and_aggregate_engines_agree(write):
    ev = replace(events_table(), "input_tokens", [1, -2, 3, -4, 5, 6], pa.int32())
    ev = replace(ev, "model", ["m", "m", None, "m", "m", "m"])
    ev = replace(ev, "account_id", ["a1", "a2", "a3", "a1", "nobody", "a2"])
    lab = replace(labels_table(), "label", [1, 7], pa.int8())
    paths = write(events=ev, labels=lab)
    found = {}
    for engine in ("aggregate", "pandera"):
        with pytest.raises(ContractError) as info:
            load_inputs(
                paths["events"],
                paths["accounts"],
                paths["labels"],
                config=ContractConfig(strict_engine=engine),
            )
        found[engine] = sorted(
            (v.table, v.column, v.rule, v.count, v.examples) for v in info.value.violations
        )
    assert found["aggregate"] == found["pandera"]
    assert {(t, c, r, n) for t, c, r, n, _ in found["pandera"]} == {
        ("events", "input_tokens", "non_negative", 2),
        ("events", "model", "not_null", 1),
        ("events", "account_id", "unknown_account", 1),
        ("labels", "label", "label_values", 1),
    }
