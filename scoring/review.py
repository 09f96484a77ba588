"""The MLflow review run of one scoring (experiment ``scoring``).

Params: as-of, window, inputs, model URI and version, threshold, linkage. Metrics: the
reconciliation counts, flagged, flag rate, rings, drift (max PSI, features over the warning
level, PSI per feature). Artifacts a reviewer opens in the UI: the flags table (mlflow.log_table),
the ring and drift tables, one SHAP waterfall per top flag, a beeswarm of the flagged set and
an HTML report of the flags with their reasons.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from pathlib import Path

import pandas as pd

from distillguard import tracking
from distillguard.log import progress
from scoring.batch import ScoreResult
from scoring.config import ScoreConfig
from scoring.html_report import render
from scoring.plots import beeswarm_png, waterfall_png

log = logging.getLogger(__name__)

EXPERIMENT = "scoring"


def _metric_key(name: str) -> str:
    return re.sub(r"[^\w\-. /]", "_", name)


def flags_table(result: ScoreResult, max_rows: int, top: int) -> pd.DataFrame:
    """Flagged accounts by rank, reasons first (what mlflow.log_table shows in the UI).

    as-of, threshold and model version are run params; each reason's value is in its text.
    """
    f = result.scores[result.scores["flagged"]].sort_values("rank").head(max_rows)
    cols = ["rank", "account_id", "score", "ring_id", "ring_size", "exchanges"]
    cols += [f"reason_{i}_text" for i in range(1, top + 1)]
    cols += [f"reason_{i}_{k}" for i in range(1, top + 1) for k in ("feature", "shap")]
    out = f[cols].copy()
    out["score"] = out["score"].round(4)
    out["exchanges"] = pd.to_numeric(out["exchanges"], errors="coerce")
    for i in range(1, top + 1):
        out[f"reason_{i}_shap"] = out[f"reason_{i}_shap"].round(3)
    return out.reset_index(drop=True)


def log_review_run(
    result: ScoreResult,
    cfg: ScoreConfig,
    *,
    params: dict[str, str],
    output: Path | None,
) -> tuple[str, str]:
    """Log `result` as one run of experiment ``scoring``; returns (experiment id, run id)."""
    import mlflow

    exp_id = tracking.experiment(EXPERIMENT)
    rc = result.reconciliation
    n, flagged = rc.get("accounts_scored", len(result.scores)), int(result.scores["flagged"].sum())
    name = f"score {result.as_of:%Y-%m-%d %H:%M} v{result.model_version}"
    with mlflow.start_run(experiment_id=exp_id, run_name=name) as run:
        mlflow.log_params(
            {
                "as_of": result.as_of.isoformat(),
                "window": result.window,
                "model_version": result.model_version,
                "threshold": f"{result.threshold:.6g}",
                "linkage": result.linkage or "none",
                "campaign_match": str(result.campaign_match),
                "output": str(output) if output else "",
                **params,
            }
        )
        metrics = {k: float(v) for k, v in rc.items()}
        metrics |= {
            "accounts_scored": float(n),
            "flagged": float(flagged),
            "flag_rate": flagged / n if n else 0.0,
            "rings": float(len(result.rings)),
            "ringed_accounts": float(result.rings["size"].sum()) if len(result.rings) else 0.0,
            "drift_psi_max": float(result.drift.max()) if len(result.drift) else 0.0,
            "drift_features_over_warn": float((result.drift > cfg.drift.psi_warn).sum()),
        }
        metrics |= {_metric_key(f"psi.{k}"): float(v) for k, v in result.drift.items()}
        metrics |= {f"time.{k}": float(v) for k, v in result.timings.items()}
        mlflow.log_metrics(metrics)
        mlflow.set_tags({"distillguard.kind": "scoring", "distillguard.as_of": str(result.as_of)})

        table = flags_table(result, cfg.review.table_max_rows, cfg.reasons.top)
        mlflow.log_table(table, "flags.json")
        if len(result.rings):
            mlflow.log_table(result.rings.astype({"size": "int64"}), "rings.json")
        if len(result.drift):
            drift = result.drift.rename("psi").reset_index().rename(columns={"index": "feature"})
            mlflow.log_table(drift, "drift.json")
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            _log_plots(result, cfg, d)
            (d / "report.html").write_text(
                render(
                    result,
                    top=cfg.reasons.top,
                    max_rows=cfg.review.html_max_rows,
                    psi_warn=cfg.drift.psi_warn,
                )
            )
            mlflow.log_artifact(str(d / "report.html"))
        return exp_id, run.info.run_id


def _log_plots(result: ScoreResult, cfg: ScoreConfig, d: Path) -> None:
    import mlflow

    s = result.scores
    fl = s[s["flagged"]].sort_values("rank")
    n_wf = min(cfg.review.waterfalls, len(fl))
    t0 = time.perf_counter()
    wf = d / "shap_waterfalls"
    wf.mkdir()
    names = result.feature_names
    with progress() as bar:
        task = bar.add_task("SHAP waterfalls", total=n_wf)
        for i in range(n_wf):
            row = fl.iloc[i]
            title = (
                f"#{row['rank']} {row['account_id']}  score {row['score']:.3f}"
                f"  (SHAP on the raw margin, before calibration)"
            )
            waterfall_png(
                result.flagged_contributions[i],
                result.flagged_features.iloc[i],
                names,
                title,
                wf / f"rank{int(row['rank']):04d}_{row['account_id']}.png",
                cfg.review.waterfall_features,
            )
            bar.advance(task)
    if n_wf:
        mlflow.log_artifacts(str(wf), "shap_waterfalls")
    m = min(cfg.review.beeswarm_max_rows, len(fl))
    if m >= 2:
        beeswarm_png(
            result.flagged_contributions[:m],
            result.flagged_features.iloc[:m],
            f"SHAP (raw margin, before calibration) of the top {m:,} flagged accounts",
            d / "shap_beeswarm_flagged.png",
        )
        mlflow.log_artifact(str(d / "shap_beeswarm_flagged.png"))
    log.info(
        "review plots: %d waterfalls, beeswarm of %d in %.1fs", n_wf, m, time.perf_counter() - t0
    )
