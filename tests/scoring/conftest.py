"""Scoring fixtures: a small contract world with a planted ring, and a tiny trained model.

The model is a real DistillGuardModel (models/detector.py) around a small LightGBM booster
trained here on a hand-made feature table, so scoring is tested against the interface without
waiting for a full training run.
"""

from __future__ import annotations

import types
from pathlib import Path

import ibis
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from scoring.config import load_score_config

AS_OF = pd.Timestamp("2026-05-08T00:00:00Z")
RING = [f"ring-{i:02d}" for i in range(12)]
FEATURES = [
    "content_coding_agentic_share_7d",
    "cohort_payment_shared_7d",
    "cadence_iat_cv_7d",
    "volume_exchanges_per_day_7d",
    "account_payment_kind",
]


def make_world(n_legit: int = 160, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contract events and accounts: legit accounts with their own infrastructure, plus a ring.

    The ring's 12 accounts share one payment instrument, one /24 and prompt templates;
    every account (ring included) uses one popular TLS fingerprint that must link nothing.
    """
    rng = np.random.default_rng(seed)
    acc, ev = [], []
    start = AS_OF - pd.Timedelta("7d")
    ids = [f"legit-{i:03d}" for i in range(n_legit)] + RING
    for k, a in enumerate(ids):
        ring = a.startswith("ring")
        acc.append(
            {
                "account_id": a,
                "created_at": (start - pd.Timedelta(days=60)) + pd.Timedelta(hours=k * 5),
                "payment_kind": "prepaid_card" if ring else "card",
                "payment_fingerprint": "pay-ring" if ring else f"pay-{a}",
                "signup_ip": f"198.51.{k % 200}.{k % 250}",
                "email_domain_kind": "webmail",
            }
        )
        n = 30 if ring else int(rng.integers(3, 40))
        for j in range(n):
            ev.append(
                {
                    "request_id": f"{a}-{j}",
                    "account_id": a,
                    "ts": start + pd.Timedelta(seconds=int(rng.integers(0, 7 * 86400 - 1))),
                    "model": "m-1",
                    "ip": f"203.0.113.{j % 200}" if ring else f"10.{k % 250}.{j % 3}.{j}",
                    "input_tokens": 100,
                    "output_tokens": 400,
                    "status_code": 200,
                    "tls_fingerprint": "tls-popular",
                    "header_fingerprint": f"hdr-{a}",
                    "prompt_simhash": (12345 + j % 3) if ring else int(rng.integers(1, 2**62)),
                    "task_category": "coding" if ring else "chat",
                }
            )
    events = pd.DataFrame(ev)
    events["ts"] = pd.to_datetime(events["ts"], utc=True)
    accounts = pd.DataFrame(acc)
    accounts["created_at"] = pd.to_datetime(accounts["created_at"], utc=True)
    return events, accounts


def as_inputs(events: pd.DataFrame, accounts: pd.DataFrame) -> types.SimpleNamespace:
    """Ibis tables shaped like ``distillguard.contract.Inputs`` (only what linkage reads)."""
    return types.SimpleNamespace(
        con=None, events=ibis.memtable(events), accounts=ibis.memtable(accounts)
    )


def feature_table(n: int, n_pos: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Account features with a learnable signal: positives are coding-heavy, regular, linked."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[:n_pos] = 1
    share = np.where(y == 1, rng.uniform(0.8, 1.0, n), rng.uniform(0.0, 0.6, n))
    shared = np.where(y == 1, rng.integers(5, 50, n), rng.integers(0, 2, n)).astype(float)
    cv = np.where(y == 1, rng.uniform(0.05, 0.3, n), rng.uniform(0.5, 3.0, n))
    vol = rng.uniform(1, 60, n)
    kind = np.where(y == 1, "prepaid_card", rng.choice(["card", "invoice"], n))
    df = pd.DataFrame(
        {
            "account_id": [f"a{i:07d}" for i in range(n)],
            FEATURES[0]: share,
            FEATURES[1]: shared,
            FEATURES[2]: cv,
            FEATURES[3]: vol,
            FEATURES[4]: pd.Categorical(kind, categories=["card", "invoice", "prepaid_card"]),
        }
    )
    return df, y


def reference_of(df: pd.DataFrame, y: np.ndarray) -> dict:
    """Reference statistics in training.reference's layout (legit rows; campaign centroids)."""
    legit = df[y == 0]
    feats = {}
    for c in FEATURES:
        if c == "account_payment_kind":
            shares = legit[c].astype(str).value_counts(normalize=True)
            feats[c] = {
                "kind": "categorical",
                "proportions": {k: float(v) for k, v in shares.items()},
                "other_share": 0.0,
                "missing_share": 0.0,
            }
            continue
        v = legit[c].to_numpy(dtype=float)
        edges = np.unique(np.quantile(v, np.linspace(0, 1, 11)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1)
        feats[c] = {
            "kind": "numeric",
            "median": float(np.median(v)),
            "q25": float(np.quantile(v, 0.25)),
            "q75": float(np.quantile(v, 0.75)),
            "bin_edges": edges.tolist(),
            "proportions": (counts / counts.sum()).tolist(),
            "missing_share": 0.0,
        }
    pos = df.loc[y == 1, FEATURES[:4]]
    return {
        "n_legit": int(len(legit)),
        "features": feats,
        "campaign_centroids": {
            "camp-coding": pos.median().to_dict(),
            "camp-chatty": {FEATURES[0]: 0.1, FEATURES[1]: 0.0, FEATURES[2]: 2.0, FEATURES[3]: 5},
        },
    }


def train_tiny_model(
    df: pd.DataFrame,
    y: np.ndarray,
    flag_quantile: float = 0.9,
    features: list[str] | None = None,
    reference: dict | None = None,
):
    """A DistillGuardModel around a 30-tree booster; threshold at `flag_quantile` of margins."""
    from models.detector import (
        DistillGuardModel,
        PlattCalibrator,
        categorical_levels,
        prepare_frame,
    )

    features = features or list(FEATURES)
    cats = categorical_levels(df, features)
    X = prepare_frame(df, features, cats)
    booster = lgb.train(
        {
            "objective": "binary",
            "num_leaves": 7,
            "verbose": -1,
            "seed": 0,
            "num_threads": 1,
            "min_data_in_leaf": 5,
        },
        lgb.Dataset(X, y),
        num_boost_round=30,
    )
    margin = booster.predict(X, raw_score=True)
    m_thr = float(np.quantile(margin, flag_quantile))
    if y.sum() and margin[y == 1].min() > margin[y == 0].max():  # separable: flag exactly y == 1
        m_thr = float(margin[y == 1].min())
    cal = PlattCalibrator(a=1.0, b=0.0)
    return DistillGuardModel(
        booster=booster,
        calibrator=cal,
        margin_threshold=m_thr,
        feature_names=features,
        categories=cats,
        metadata={"window": "7d", "feature_set_version": "test"},
        reference=reference if reference is not None else reference_of(df, y),
    )


@pytest.fixture(scope="session")
def planted_model(tmp_path_factory):
    """A tiny model trained on build_features of the planted world (ring members = 1)."""
    from distillguard.contract import load_inputs
    from features import build_features
    from features.catalogue import feature_columns
    from training.config import ReferenceConfig
    from training.reference import build_reference

    d = tmp_path_factory.mktemp("planted")
    events, accounts = make_world()
    events.to_parquet(d / "events.parquet")
    accounts.to_parquet(d / "accounts.parquet")
    inputs = load_inputs(d / "events.parquet", d / "accounts.parquet")
    feats = build_features(inputs, AS_OF, window="7d")
    y = feats["account_id"].str.startswith("ring").to_numpy().astype(int)
    from models.detector import categorical_levels, prepare_frame

    cols = feature_columns(feats)
    cats = categorical_levels(feats, cols)
    ref = build_reference(
        prepare_frame(feats, cols, cats),
        y,
        pd.Series(np.where(y == 1, "camp-planted", None)),
        cats,
        ReferenceConfig(n_bins=10, max_levels=10),
    )
    model = train_tiny_model(feats, y, flag_quantile=0.9, features=cols, reference=ref)
    return model, feats


@pytest.fixture(scope="session")
def tiny_model():
    """A tiny trained DistillGuardModel (10% of its training accounts above threshold)."""
    df, y = feature_table(2000, 100)
    return train_tiny_model(df, y, flag_quantile=0.95)


@pytest.fixture(scope="session")
def score_cfg():
    """configs/score.yaml with the review plots cut down for speed."""
    return load_score_config(
        overrides={
            "review": {
                "console_top": 5,
                "waterfalls": 3,
                "waterfall_features": 6,
                "beeswarm_max_rows": 200,
                "table_max_rows": 500,
                "html_max_rows": 100,
            }
        }
    )


@pytest.fixture(scope="session")
def planted(tmp_path_factory) -> dict[str, Path]:
    """The planted world written as contract Parquet files, and a fast scoring config."""
    import yaml

    from scoring.config import DEFAULT_PATH

    d = tmp_path_factory.mktemp("planted-files")
    events, accounts = make_world()
    e, a = d / "events.parquet", d / "accounts.parquet"
    events.to_parquet(e)
    accounts.to_parquet(a)
    cfg = yaml.safe_load(DEFAULT_PATH.read_text())
    cfg["review"] |= {"waterfalls": 3, "beeswarm_max_rows": 100}
    (d / "score.yaml").write_text(yaml.safe_dump(cfg))
    return {"events": e, "accounts": a, "config": d / "score.yaml"}


def register_champion(model, X_example: pd.DataFrame) -> str:
    """Log `model` through models.registry in the current store and give it the champion alias."""
    import mlflow

    from distillguard import tracking
    from models import registry

    exp = tracking.experiment("training")
    with mlflow.start_run(experiment_id=exp):
        info = registry.log_model(model, X_example)
    version = registry.register(info.model_uri)
    registry.apply_gate(version, True, ["test"], {})
    return version


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory, planted_model):
    """Two MLflow stores made once per session: empty (initialised) and with a champion.

    Initialising a SQLite store costs ~10 s here, so tests copy these instead.
    """
    import os

    from distillguard import tracking

    old = os.environ.get("DISTILLGUARD_MLRUNS")
    out = {}
    try:
        for kind in ("empty", "champion"):
            d = tmp_path_factory.mktemp(f"store-{kind}") / "mlruns"
            os.environ["DISTILLGUARD_MLRUNS"] = str(d)
            if kind == "empty":
                tracking.experiment("training")
            else:
                (d / "artifacts").mkdir(parents=True)
                _copy_store(out["empty"], d, db_only=True)
                model, feats = planted_model
                out["version"] = register_champion(model, feats)
            out[kind] = d
    finally:
        if old is None:
            os.environ.pop("DISTILLGUARD_MLRUNS", None)
        else:
            os.environ["DISTILLGUARD_MLRUNS"] = old
    return out


def _copy_store(src: Path, dst: Path, db_only: bool = False) -> None:
    import shutil

    if db_only:
        shutil.copy2(src / "mlflow.db", dst / "mlflow.db")
    else:
        shutil.copytree(src, dst, dirs_exist_ok=True)


@pytest.fixture
def empty_store(mlruns_tmp, store_templates) -> Path:
    """A private, initialised MLflow store with no model registered."""
    _copy_store(store_templates["empty"], mlruns_tmp)
    return mlruns_tmp


@pytest.fixture
def registered(mlruns_tmp, store_templates, planted_model):
    """A private store where the planted-world model is models:/distillguard@champion."""
    _copy_store(store_templates["champion"], mlruns_tmp)
    return {"model": planted_model[0], "version": store_templates["version"], "store": mlruns_tmp}
