"""Benchmark: `make retrain` on a world (features included), and the time per Optuna trial.

``python -m bench training [--world=data/world-demo]``; the MLflow store is a temporary one
so the benchmark never moves the real champion.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> dict:
    """Time snapshot building, the Optuna study (per trial) and the whole retrain."""
    import optuna

    from training.config import load_train_config
    from training.dataset import load_snapshots
    from training.retrain import retrain

    opts = dict(a.lstrip("-").split("=", 1) for a in argv if "=" in a)
    world = Path(opts.get("world", ROOT / "data" / "world-demo"))
    cfg = load_train_config(ROOT / "configs" / "train.yaml")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as store:
        os.environ["DISTILLGUARD_MLRUNS"] = store
        t0 = time.time()
        snaps, _ = load_snapshots(world, cfg)
        t_features = time.time() - t0
        result = retrain(snaps, cfg, world_dir=world, started=t0)
        study = result.report.tuning.study
        trials = study.trials if study else []
        done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        per_trial = [t.duration.total_seconds() for t in trials if t.duration is not None]
        os.environ.pop("DISTILLGUARD_MLRUNS")
    return {
        "world": str(world),
        "snapshots": len(snaps),
        "labelled_snapshots": int(snaps["label"].notna().sum()),
        "features": len(result.report.model.feature_names),
        "cv_folds": len(result.report.folds),
        "features_seconds": round(t_features, 1),
        "retrain_seconds_total": round(result.seconds, 1),
        "trials": len(trials),
        "trials_complete": len(done),
        "seconds_per_trial_median": round(sorted(per_trial)[len(per_trial) // 2], 1)
        if per_trial
        else None,
        "seconds_per_trial_max": round(max(per_trial), 1) if per_trial else None,
        "tuning_timeout_s": cfg.tuning.timeout_s,
        "gate": "passed" if result.decision.promote else "failed",
        "cpu_seconds": round(time.process_time(), 1),
        "loadavg_1_5_15_before": [round(x, 2) for x in load_before],
        "loadavg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
    }
