"""`distillguard validate` through Typer's CliRunner: strict failure, quarantine success."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from distillguard.cli import app
from tests.contract.builders import events_table, replace

runner = CliRunner()


def test_strict_failure_exits_nonzero_naming_table_column_rule(write):
    ev = replace(events_table(), "output_tokens", [1, -2, 3, 4, 5, 6], pa.int32())
    paths = write(events=ev)
    res = runner.invoke(
        app,
        ["validate", "--events", str(paths["events"]), "--accounts", str(paths["accounts"])],
    )
    assert res.exit_code == 1
    out = res.output
    assert "table 'events'" in out and "column 'output_tokens'" in out
    assert "rule 'non_negative'" in out and "r1" in out


def test_quarantine_succeeds_and_reports_counts(write, tmp_path):
    ev = replace(events_table(), "output_tokens", [1, -2, 3, 4, 5, 6], pa.int32())
    paths = write(events=ev)
    world = tmp_path / "world"
    (world / "events" / "date=2026-05-01").mkdir(parents=True)
    pq.write_table(pq.read_table(paths["events"]), world / "events/date=2026-05-01/p.parquet")
    for name in ("accounts", "labels"):
        pq.write_table(pq.read_table(paths[name]), world / f"{name}.parquet")
    qdir = tmp_path / "q"
    res = runner.invoke(app, ["validate", "--world", str(world), "--quarantine", str(qdir)])
    assert res.exit_code == 0, res.output
    assert "non_negative:output_tokens" in res.output
    assert pq.read_table(qdir / "events.parquet").num_rows == 1


def test_clean_world_strict_succeeds(write):
    paths = write()
    args = ["validate", "--events", str(paths["events"]), "--accounts", str(paths["accounts"])]
    res = runner.invoke(app, [*args, "--labels", str(paths["labels"])])
    assert res.exit_code == 0, res.output
    assert "events" in res.output and "accounts" in res.output and "labels" in res.output


def test_missing_world_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["validate", "--world", str(tmp_path / "nowhere")])
    assert res.exit_code == 2
    assert "not found" in res.output
