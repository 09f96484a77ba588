"""Quarantine mode: offending rows set aside with a reason, counted, and reconciled."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.contract import load_inputs
from tests.contract.builders import accounts_table, events_table, labels_table, replace


@pytest.fixture
def bad_world(write):
    """Tables with one offence of each row-level kind (and clean rows beside them)."""
    n = 12
    ev = events_table(n, accounts=("a1", "a2", "a3", "a4"))
    ev = replace(ev, "account_id", ev["account_id"].to_pylist()[:-1] + ["ghost"])  # r11
    ev = replace(ev, "request_id", ["r0", "r0"] + [f"r{i}" for i in range(2, n)])  # r0 twice
    ev = replace(ev, "input_tokens", [5, 5, -1] + [5] * (n - 3), pa.int32())  # r2
    ev = replace(ev, "output_tokens", [5] * 4 + [2**40] + [5] * (n - 5), pa.int64())  # r4
    ev = replace(ev, "model", ["m"] * 5 + [None] + ["m"] * (n - 6))  # r5
    acc = accounts_table(("a1", "a2", "a3", "a4", "a4"))  # a4 duplicated -> its events
    lab = pa.table(
        {
            "account_id": ["a1", "a2", "a3"],
            "label": pa.array([1, 3, 1], pa.int8()),
            "campaign_id": ["c", "c", None],
            "labelled_at": labels_table()["labelled_at"].to_pylist()[:1] * 3,
        }
    )
    return write(events=ev, accounts=acc, labels=lab)


def test_quarantine_counts_reasons_and_reconciles(bad_world, tmp_path):
    qdir = tmp_path / "quarantine"
    inputs = load_inputs(
        bad_world["events"],
        bad_world["accounts"],
        bad_world["labels"],
        on_error="quarantine",
        quarantine_dir=qdir,
    )
    rep = inputs.report
    assert not rep.ok
    acc = rep.tables["accounts"]
    assert acc.by_rule == {"unique:account_id": 2}
    lab = rep.tables["labels"]
    assert lab.by_rule == {"label_values:label": 1, "campaign_required:campaign_id": 1}
    ev = rep.tables["events"]
    # a4's events: r3 and r7 (r11 was re-pointed to ghost); r4 belongs to a1 but fails the cast
    assert ev.by_rule == {
        "unique:request_id": 2,
        "non_negative:input_tokens": 1,
        "cast:output_tokens": 1,
        "not_null:model": 1,
        "account_quarantined:account_id": 2,
        "unknown_account:account_id": 1,
    }
    for name, t in rep.tables.items():
        assert t.read == t.accepted + t.quarantined, name
        assert sum(t.by_rule.values()) == t.quarantined
        written = pq.read_table(qdir / f"{name}.parquet")
        assert written.num_rows == t.quarantined
        assert "reason" in written.column_names
        got = {}
        for r in written["reason"].to_pylist():
            got[r] = got.get(r, 0) + 1
        assert got == t.by_rule
    # the accepted tables hold exactly the accepted rows, none of the offending ones
    assert inputs.events.count().execute() == ev.accepted == 12 - 8
    kept = set(inputs.events.request_id.to_pyarrow().to_pylist())
    assert kept == {"r6", "r8", "r9", "r10"}
    assert inputs.accounts.count().execute() == 3
    assert inputs.labels.account_id.to_pyarrow().to_pylist() == ["a1"]


def test_quarantined_file_keeps_values_as_read(bad_world, tmp_path):
    qdir = tmp_path / "q"
    load_inputs(
        bad_world["events"], bad_world["accounts"], on_error="quarantine", quarantine_dir=qdir
    )
    rows = pq.read_table(qdir / "events.parquet").to_pylist()
    cast_row = next(r for r in rows if r["reason"] == "cast:output_tokens")
    assert cast_row["output_tokens"] == 2**40 and cast_row["request_id"] == "r4"


def test_clean_input_quarantines_nothing_and_writes_no_file(write, tmp_path):
    paths = write()
    qdir = tmp_path / "q"
    inputs = load_inputs(
        paths["events"],
        paths["accounts"],
        paths["labels"],
        on_error="quarantine",
        quarantine_dir=qdir,
    )
    assert inputs.report.ok
    assert all(t.quarantined == 0 and t.read == t.accepted for t in inputs.report.tables.values())
    assert not qdir.exists() or not any(qdir.iterdir())


def test_quarantine_needs_a_directory(write):
    paths = write()
    with pytest.raises(ValueError, match="quarantine_dir"):
        load_inputs(paths["events"], paths["accounts"], on_error="quarantine")


def test_reconcile_catches_a_mismatch():
    from distillguard.contract import TableReport

    with pytest.raises(AssertionError, match="reconcile"):
        TableReport("events", read=10, accepted=7, quarantined=2, by_rule={"x": 2}).reconcile()


def test_rerun_replaces_an_old_quarantine_file(write, tmp_path):
    qdir = tmp_path / "q"
    qdir.mkdir()
    pq.write_table(pa.table({"stale": [1]}), qdir / "events.parquet")
    paths = write()
    load_inputs(paths["events"], paths["accounts"], on_error="quarantine", quarantine_dir=qdir)
    assert not (qdir / "events.parquet").exists()
