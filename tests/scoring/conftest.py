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


def train_tiny_model(df: pd.DataFrame, y: np.ndarray, flag_quantile: float = 0.9):
    """A DistillGuardModel around a 30-tree booster; threshold at `flag_quantile` of margins."""
    from models.detector import DistillGuardModel, PlattCalibrator, prepare_frame

    cats = {"account_payment_kind": ["card", "invoice", "prepaid_card"]}
    X = prepare_frame(df, FEATURES, cats)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 0, "num_threads": 1},
        lgb.Dataset(X, y),
        num_boost_round=30,
    )
    margin = booster.predict(X, raw_score=True)
    m_thr = float(np.quantile(margin, flag_quantile))
    cal = PlattCalibrator(a=1.0, b=0.0)
    return DistillGuardModel(
        booster=booster,
        calibrator=cal,
        threshold=float(cal(np.array([m_thr]))[0]),
        margin_threshold=m_thr,
        feature_names=list(FEATURES),
        categories=cats,
        metadata={"window": "7d", "feature_set_version": "test"},
        reference=reference_of(df, y),
    )


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


@pytest.fixture
def planted(tmp_path) -> dict[str, Path]:
    """The planted world written as contract Parquet files."""
    events, accounts = make_world()
    e, a = tmp_path / "events.parquet", tmp_path / "accounts.parquet"
    events.to_parquet(e)
    accounts.to_parquet(a)
    return {"events": e, "accounts": a}
