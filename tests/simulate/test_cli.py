"""`distillguard simulate` and `distillguard world-report` from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from distillguard.cli import app

runner = CliRunner()


def test_simulate_writes_then_keeps_an_up_to_date_world(tiny_config_path, tmp_path):
    out = tmp_path / "w"
    r = runner.invoke(app, ["simulate", "--config", str(tiny_config_path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "world.json").exists() and (out / "events").is_dir()
    mtime = (out / "world.json").stat().st_mtime
    r = runner.invoke(app, ["simulate", "--config", str(tiny_config_path), "--out", str(out)])
    assert r.exit_code == 0 and "kept" in r.output
    assert (out / "world.json").stat().st_mtime == mtime


def test_simulate_refuses_a_world_from_another_config(tiny_config_path, tmp_path):
    out = tmp_path / "w"
    assert (
        runner.invoke(
            app, ["simulate", "--config", str(tiny_config_path), "--out", str(out)]
        ).exit_code
        == 0
    )
    other = tmp_path / "other.yaml"
    other.write_text(tiny_config_path.read_text() + "seed: 99\n")
    r = runner.invoke(app, ["simulate", "--config", str(other), "--out", str(out)])
    assert r.exit_code == 1 and "--force" in r.output


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    r = runner.invoke(app, ["simulate", "--config", str(bad), "--out", str(tmp_path / "w")])
    assert r.exit_code == 2 and "invalid world config" in r.output


def test_world_report_writes_markdown_plots_and_verdicts(test_world, tmp_path):
    out = tmp_path / "report"
    r = runner.invoke(app, ["world-report", str(test_world), "--out", str(out)])
    assert r.exit_code == 0, r.output
    md = (out / "world-report.md").read_text()
    assert "industrial_45d" in md and "28,800,000" in md and "hardness" in md.lower()
    for png in ("daily_volume.png", "raw_statistics.png", "model_adoption.png"):
        assert (out / png).stat().st_size > 1000
    assert "PASS industrial_45d" in r.output


def test_world_report_refuses_a_directory_that_is_not_a_world(tmp_path):
    r = runner.invoke(app, ["world-report", str(tmp_path)])
    assert r.exit_code == 2 and "world.json" in r.output
