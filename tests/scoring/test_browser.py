"""Browser review: a scoring run in the MLflow UI, headless Debian Chromium (make test-browser)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from distillguard.cli import app

from .browser import CHROMIUM, mlflow_server, review_run
from .conftest import AS_OF

pytestmark = pytest.mark.browser


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="make setup-browser installs chromium")
def test_flags_table_and_waterfall_are_visible(planted, registered, tmp_path):
    import mlflow

    from distillguard import tracking

    out = tmp_path / "scores.parquet"
    args = ["score", "--events", str(planted["events"]), "--accounts", str(planted["accounts"])]
    args += ["--config", str(planted["config"]), "--as-of", AS_OF.isoformat(), "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    top = pd.read_parquet(out).sort_values("rank")["account_id"].iloc[0]
    tracking.configure()
    run = mlflow.search_runs(experiment_names=["scoring"]).iloc[0]
    shots = tmp_path / "screenshots"
    with mlflow_server(registered["store"], tmp_path / "server.log") as url:
        seen = review_run(url, run["experiment_id"], run["run_id"], top, shots)
    assert seen["flags_table"], "the top flag's row is not visible in the flags table"
    assert seen["reason"], "the reasons column is not visible"
    assert seen["waterfall"], "no SHAP waterfall image rendered"
    assert (shots / "mlflow-flags-table.png").stat().st_size > 10_000
    keep = os.environ.get("DISTILLGUARD_SCREENSHOTS")
    if keep:
        for p in shots.glob("mlflow-*.png"):
            shutil.copy2(p, Path(keep) / p.name)
