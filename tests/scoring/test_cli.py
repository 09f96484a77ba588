"""`distillguard score` end to end through CliRunner: reconciliation, rings, errors, review run."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from distillguard.cli import app

from .conftest import AS_OF, RING

runner = CliRunner()


def _score(planted, out, *extra):
    args = ["score", "--events", str(planted["events"]), "--accounts", str(planted["accounts"])]
    args += ["--config", str(planted["config"])]
    return runner.invoke(app, [*args, "--out", str(out), *extra], env={"COLUMNS": "200"})


def test_scores_reconcile_rings_and_review_run(planted, registered, tmp_path):
    out = tmp_path / "scores.parquet"
    res = _score(planted, out, "--as-of", AS_OF.isoformat())
    assert res.exit_code == 0, res.output
    s = pd.read_parquet(out)
    events = pd.read_parquet(planted["events"])
    active = events.loc[events["ts"] >= AS_OF - pd.Timedelta("7d"), "account_id"].nunique()
    assert len(s) == active == s["account_id"].nunique()
    m = re.search(
        r"accounts in input ([\d,]+) >= active in window ([\d,]+).*= scored ([\d,]+)", res.output
    )
    assert m and int(m[2].replace(",", "")) == int(m[3].replace(",", "")) == len(s)
    assert (s["model_version"] == registered["version"]).all()
    assert (pd.to_datetime(s["as_of"], utc=True) == AS_OF).all()
    flagged = s[s["flagged"]]
    assert set(RING) <= set(flagged["account_id"])  # the planted ring is caught...
    ring_ids = flagged.loc[flagged["account_id"].isin(RING), "ring_id"]
    assert ring_ids.nunique() == 1 and ring_ids.notna().all()  # ...as one ring
    assert (flagged["reason_1_text"].str.len() > 10).all()
    assert "Top" in res.output and "Rings" in res.output and "make ui" in res.output

    import mlflow

    from distillguard import tracking

    tracking.configure()
    runs = mlflow.search_runs(experiment_names=["scoring"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["metrics.accounts_scored"] == len(s)
    assert run["metrics.flagged"] == len(flagged)
    assert run["params.model_version"] == registered["version"]
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(run["run_id"])}
    assert {"flags.json", "report.html", "shap_waterfalls"} <= arts
    wf = mlflow.MlflowClient().list_artifacts(run["run_id"], "shap_waterfalls")
    assert len(wf) == min(len(flagged), 3)


def test_default_as_of_is_end_of_data(planted, registered, tmp_path):
    out = tmp_path / "scores.parquet"
    res = _score(planted, out, "--no-review")
    assert res.exit_code == 0, res.output
    s = pd.read_parquet(out)
    last = pd.read_parquet(planted["events"])["ts"].max()
    assert pd.to_datetime(s["as_of"].iloc[0], utc=True) > last


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("2027-01-01", "in the future of the data"), ("2020-01-01", "before the first event")],
)
def test_bad_as_of_fails_clearly_and_writes_nothing(planted, registered, tmp_path, as_of, message):
    out = tmp_path / "scores.parquet"
    res = _score(planted, out, "--as-of", as_of, "--no-review")
    assert res.exit_code == 2
    assert message in res.output
    assert [p.name for p in tmp_path.iterdir() if p.name != "mlruns"] == []


def test_no_champion_fails_clearly(planted, empty_store, tmp_path):
    res = _score(planted, tmp_path / "s.parquet")
    assert res.exit_code == 2
    assert "no model registered as models:/distillguard@champion" in res.output
    assert not (tmp_path / "s.parquet").exists()


def test_contract_violation_fails_clearly(planted, registered, tmp_path):
    events = pd.read_parquet(planted["events"])
    events.loc[3, "input_tokens"] = -5
    bad = tmp_path / "bad-events.parquet"
    events.to_parquet(bad)
    out = tmp_path / "s.parquet"
    res = runner.invoke(
        app,
        ["score", "--events", str(bad), "--accounts", str(planted["accounts"]), "--out", str(out)],
    )
    assert res.exit_code == 2
    assert "input_tokens" in res.output and "events" in res.output
    assert not out.exists()


def test_file_path_model_is_refused(planted, registered, tmp_path):
    res = _score(planted, tmp_path / "s.parquet", "--model", "mlruns/model.pkl")
    assert res.exit_code == 2 and "only through the registry" in res.output


def test_inputs_must_be_given_once(planted, tmp_path):
    res = runner.invoke(
        app,
        [
            "score",
            "--world",
            str(tmp_path),
            "--events",
            str(planted["events"]),
            "--out",
            str(tmp_path / "s.parquet"),
        ],
    )
    assert res.exit_code == 2 and "not both" in res.output
