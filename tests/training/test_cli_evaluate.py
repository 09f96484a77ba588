"""`distillguard evaluate` options reach the run: --seed overrides the config's seed."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from distillguard.cli import app
from training.config import load_train_config

runner = CliRunner()


def test_seed_option_overrides_the_config_and_is_in_the_command(monkeypatch, tmp_path):
    seen = {}

    def fake(world, cfg, out, cmd, **kw):
        seen.update(seed=cfg.seed, cmd=cmd, world=world)
        return ""

    monkeypatch.setattr("training.evaluate_world.evaluate_world", fake)
    out = tmp_path / "e.md"
    res = runner.invoke(app, ["evaluate", "--world", str(tmp_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert seen["seed"] == load_train_config().seed and "--seed" not in seen["cmd"]
    res = runner.invoke(
        app, ["evaluate", "--world", str(tmp_path), "--out", str(out), "--seed", "1234"]
    )
    assert res.exit_code == 0, res.output
    assert seen["seed"] == 1234
    assert seen["cmd"].endswith("--seed 1234")
    assert Path(seen["world"]) == tmp_path
