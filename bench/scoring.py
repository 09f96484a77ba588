"""Scoring benchmarks: SHAP engine choice, one million accounts, the demo world end to end.

``python -m bench scoring`` runs:
1. shap_engines: TreeSHAP contributions of the same booster by LightGBM's ``pred_contrib``
   and by ``shap.TreeExplainer`` (rows/s, max difference), to pick the faster.
2. million: score_frame on a ready table of 1,000,000 accounts with a model whose threshold
   flags the top 1%: calibrated scores, flags, ranks, SHAP reasons for the 10,000 flags, drift
   (no rings: linking needs the event log, timed in 3).
3. demo (``--demo``): ``distillguard score --world data/world-demo`` end to end (contract load,
   features, scoring, rings, write; the MLflow review run timed separately), if the demo world
   and a champion exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N_FEATURES = 80
N_TREES = 300
N_LEAVES = 31


def synthetic(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A feature table shaped like features.build_features output: 80 float features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES)).astype("float64")
    logit = X[:, 0] * 2 + X[:, 1] * X[:, 2] - X[:, 3] ** 2 + rng.normal(size=n)
    y = (logit > 2.5).astype(int)
    cols = [f"bench_f{j:02d}_7d" for j in range(N_FEATURES)]
    df = pd.DataFrame(X, columns=cols)
    df.insert(0, "account_id", [f"acc{i:08d}" for i in range(n)])
    return df, y


def train_model(n_train: int = 20_000):
    """A DistillGuardModel of realistic size (300 trees x 31 leaves x 80 features)."""
    from models.detector import DistillGuardModel, PlattCalibrator
    from training.config import ReferenceConfig
    from training.reference import build_reference

    df, y = synthetic(n_train, seed=1)
    cols = [c for c in df.columns if c != "account_id"]
    booster = lgb.train(
        {
            "objective": "binary",
            "num_leaves": N_LEAVES,
            "learning_rate": 0.05,
            "verbose": -1,
            "num_threads": 1,
        },
        lgb.Dataset(df[cols], y),
        num_boost_round=N_TREES,
    )
    ref = build_reference(
        df[cols], y, pd.Series(["c"] * len(y)), {}, ReferenceConfig(n_bins=10, max_levels=20)
    )
    return DistillGuardModel(
        booster=booster,
        calibrator=PlattCalibrator(1.0, 0.0),
        margin_threshold=0.0,
        feature_names=cols,
        metadata={"window": "7d"},
        reference=ref,
    )


def shap_engines(model, n: int = 5_000) -> dict:
    """pred_contrib vs shap.TreeExplainer on the same rows."""
    import shap

    df, _ = synthetic(n, seed=2)
    X = df[model.feature_names]
    t = time.perf_counter()
    a = model.booster.predict(X, pred_contrib=True)
    t_lgb = time.perf_counter() - t
    t = time.perf_counter()
    explainer = shap.TreeExplainer(model.booster)
    b = explainer.shap_values(X)
    t_shap = time.perf_counter() - t
    b = np.column_stack([np.asarray(b), np.full(n, explainer.expected_value)])
    return {
        "rows": n,
        "pred_contrib_s": round(t_lgb, 3),
        "tree_explainer_s": round(t_shap, 3),
        "pred_contrib_rows_per_s": round(n / t_lgb),
        "tree_explainer_rows_per_s": round(n / t_shap),
        "max_abs_diff": float(np.max(np.abs(a - b))),
        "faster": "pred_contrib" if t_lgb <= t_shap else "tree_explainer",
    }


def million(model, n: int = 1_000_000) -> dict:
    """score_frame on n accounts, threshold at the 99th percentile of margins (top 1% flagged)."""
    from scoring.batch import score_frame
    from scoring.config import load_score_config

    df, _ = synthetic(n, seed=3)
    t = time.perf_counter()
    margin = model.margin(df.head(100_000))
    model.margin_threshold = float(np.quantile(margin, 0.99))
    calib_s = time.perf_counter() - t
    cfg = load_score_config()
    t = time.perf_counter()
    res = score_frame(
        df, model, model_version="bench", as_of=pd.Timestamp("2026-06-01", tz="UTC"), cfg=cfg
    )
    total = time.perf_counter() - t
    return {
        "accounts": n,
        "features": N_FEATURES,
        "trees": N_TREES,
        "flagged_with_reasons": int(res.scores["flagged"].sum()),
        "total_s": round(total, 2),
        "stages_s": {k: round(v, 2) for k, v in res.timings.items()},
        "threshold_setup_s": round(calib_s, 2),
        "target_s": 60,
    }


def demo(world: Path) -> dict:
    """`distillguard score` on the demo world, without and with the MLflow review run."""
    out = {}
    if not (world / "world.json").exists():
        return {"skipped": f"{world} has no world.json (make simulate WORLD=demo)"}
    dg = str(ROOT / ".venv" / "bin" / "distillguard")
    for review in ("--no-review", "--review"):
        t = time.perf_counter()
        proc = subprocess.run(
            [
                dg,
                "score",
                "--world",
                str(world),
                "--out",
                str(world / "scores-bench.parquet"),
                review,
            ],
            capture_output=True,
            text=True,
            env=os.environ | {"COLUMNS": "200"},
        )
        out[f"score{review.replace('--', '_').replace('-', '_')}_s"] = round(
            time.perf_counter() - t, 1
        )
        if proc.returncode:
            return {"failed": proc.stderr[-2000:]}
        out["last_lines"] = proc.stdout.strip().splitlines()[:2]
    return out


def main(argv: list[str]) -> dict:
    """Run the scoring benchmarks (``--demo`` adds the end-to-end demo-world timing)."""
    t = time.perf_counter()
    model = train_model()
    res = {"train_bench_model_s": round(time.perf_counter() - t, 1)}
    res["shap_engines"] = shap_engines(model)
    res["million"] = million(model)
    if "--demo" in argv:
        res["demo"] = demo(ROOT / "data" / "world-demo")
    return res


if __name__ == "__main__":
    print(main(sys.argv[1:]))
