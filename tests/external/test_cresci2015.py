"""Cresci-2015 adapter and fold protocol on a slice of the real data (marker: external).

The data is not redistributable: it is read from ../shared/external/cresci-2015 and the
tests skip, saying so, where it is absent.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from distillguard.config import CONFIGS, load_config

ROOT = CONFIGS.parent
SRC = ROOT.parent / "shared" / "external" / "cresci-2015"
pytestmark = pytest.mark.external


@pytest.fixture(scope="module")
def cfg():
    from training.external import ExternalConfig

    return load_config(CONFIGS / "cresci2015.yaml", ExternalConfig)


@pytest.fixture(scope="module")
def source_slice(tmp_path_factory):
    """Per group: accounts with a profile, fakes without one, accounts without a tweet."""
    if not (SRC / "accounts.parquet").exists():
        pytest.skip(f"Cresci-2015 not found at {SRC} (not redistributable: lives in ../shared)")
    acc = pd.read_parquet(SRC / "accounts.parquet").sort_values("account_id")
    parts = []
    for _, g in acc.groupby("group"):
        has_ev = g["n_events_kept"] > 0
        parts += [
            g[(g["has_profile_metadata"] == 1) & has_ev].head(12),
            g[(g["has_profile_metadata"] == 0) & has_ev].head(6),
            g[~has_ev].head(2),
        ]
    sl = pd.concat(parts)
    ev = pq.read_table(SRC / "events.parquet", filters=[("account_id", "in", list(sl.account_id))])
    out = tmp_path_factory.mktemp("cresci-src")
    sl.to_parquet(out / "accounts.parquet", index=False)
    pq.write_table(ev, out / "events.parquet")
    return out


@pytest.fixture(scope="module")
def world(source_slice, cfg, tmp_path_factory):
    from distillguard.adapters.cresci2015_world import import_cresci2015

    out = tmp_path_factory.mktemp("cresci-world") / "w"
    import_cresci2015(source_slice, out, cfg.adapter)
    return out


def _events(world) -> pd.DataFrame:
    return pq.read_table(world / "events").to_pandas()


def test_each_tweet_is_one_exchange(source_slice, world, cfg):
    from distillguard.contract.simhash import simhash

    src = pd.read_parquet(source_slice / "events.parquet").set_index("tweet_id")
    ev = _events(world).set_index("request_id")
    assert len(ev) == len(src) and set(ev.index) == set(src.index)
    src = src.loc[ev.index]
    assert (ev["account_id"] == src["account_id"]).all()
    assert (ev["ts"] == src["created_at_utc"]).all()
    assert (ev["model"] == src["event_type"]).all()
    assert ev["prompt"].fillna("\0").equals(src["text"].fillna("\0").astype(ev["prompt"].dtype))
    tokens = [len(re.findall(cfg.adapter.token_pattern, (t or "").lower())) for t in src["text"]]
    assert ev["input_tokens"].tolist() == tokens
    assert (ev["output_tokens"] == cfg.adapter.output_tokens).all()
    assert (ev["status_code"] == cfg.adapter.status_code).all()
    sample = ev.head(200)
    assert sample["prompt_simhash"].tolist() == [simhash(t) for t in sample["prompt"]]
    for col in ("asn", "country", "tls_fingerprint", "user_agent", "task_category"):
        assert ev[col].isna().all(), col


def test_ip_stand_in_is_one_unshared_address_per_account(world):
    ev = _events(world)
    per_account = ev.groupby("account_id")["ip"].nunique()
    assert (per_account == 1).all()
    owners = ev.groupby("ip")["account_id"].nunique()
    assert (owners == 1).all()
    prefixes = ev.drop_duplicates("account_id")["ip"].str.extract(
        r"^([0-9a-f]+:[0-9a-f]+:[0-9a-f]+)"
    )
    assert prefixes[0].is_unique


def test_sign_up_is_profile_creation_or_the_documented_sentinel(source_slice, world, cfg):
    src = pd.read_parquet(source_slice / "accounts.parquet").set_index("account_id")
    acc = pd.read_parquet(world / "accounts.parquet").set_index("account_id").loc[src.index]
    truth = pd.read_parquet(world / "truth.parquet").set_index("account_id").loc[src.index]
    has = src["has_profile_metadata"] == 1
    parsed = pd.to_datetime(src.loc[has, "profile_created_at"], format="%a %b %d %H:%M:%S %z %Y")
    assert (acc.loc[has, "created_at"] == parsed.dt.tz_convert("UTC")).all()
    assert (acc.loc[~has, "created_at"] == pd.Timestamp(cfg.adapter.missing_created_at)).all()
    assert (truth["has_profile_metadata"] == has).all()
    assert (~has).sum() > 0 and has.sum() > 0


def test_labels_humans_zero_fakes_one_with_vendor(source_slice, world, cfg):
    src = pd.read_parquet(source_slice / "accounts.parquet").set_index("account_id")
    lab = pd.read_parquet(world / "labels.parquet").set_index("account_id").loc[src.index]
    human = src["label"] == "human"
    assert (lab.loc[human, "label"] == 0).all() and lab.loc[human, "campaign_id"].isna().all()
    assert (lab.loc[~human, "label"] == 1).all()
    assert (lab.loc[~human, "campaign_id"] == src.loc[~human, "campaign"]).all()
    assert (lab["labelled_at"] == pd.Timestamp(cfg.adapter.labelled_at)).all()
    assert lab["labelled_at"].min() > _events(world)["ts"].max()


def test_every_table_passes_contract_validation(source_slice, world):
    from distillguard.contract import load_world

    inputs = load_world(world, on_error="raise")
    n_acc = len(pd.read_parquet(source_slice / "accounts.parquet"))
    n_ev = pq.read_metadata(source_slice / "events.parquet").num_rows
    for table, n in (("events", n_ev), ("accounts", n_acc), ("labels", n_acc)):
        rep = inputs.report.tables[table]
        assert rep.read == rep.accepted == n and rep.quarantined == 0, table
    assert inputs.report.tables["events"].simhash_filled == 0  # filled at import


def test_refuses_to_replace_a_foreign_directory(source_slice, cfg, tmp_path):
    from distillguard.adapters.cresci2015_world import import_cresci2015

    (tmp_path / "keep.txt").write_text("someone else's")
    with pytest.raises(FileExistsError):
        import_cresci2015(source_slice, tmp_path, cfg.adapter)
    assert (tmp_path / "keep.txt").exists()


def test_account_age_columns_are_exactly_the_declared_ones(world, cfg):
    """No behaviour column moves when every sign-up time is the same: no age leaks into it."""
    from distillguard.contract import load_world
    from features import build_features
    from training.external import (
        age_feature_columns,
        declared_age_columns,
        with_constant_created_at,
    )

    inputs = load_world(world)
    as_of = pd.Timestamp(cfg.run.as_of)
    real = build_features(inputs, as_of, window=cfg.run.window)
    neutral = build_features(
        with_constant_created_at(inputs, cfg.run.neutral_created_at), as_of, window=cfg.run.window
    )
    from features.catalogue import feature_columns

    observed = set(age_feature_columns(real, neutral))
    declared = set(declared_age_columns(feature_columns(real)))
    assert "account_age_days_asof" in observed
    assert observed <= declared
    assert all(real[c].isna().all() for c in declared - observed)


def test_vendor_folds_on_the_real_labels_share_no_account(cfg):
    if not (SRC / "accounts.parquet").exists():
        pytest.skip(f"Cresci-2015 not found at {SRC}")
    from distillguard.adapters.cresci2015 import map_labels
    from training.external import vendor_folds

    labels = map_labels(pd.read_parquet(SRC / "accounts.parquet"), cfg.adapter).to_pandas()
    folds = vendor_folds(labels, cfg.run.vendors, cfg.run.human_test_share, 7)
    camp = labels.set_index("account_id")["campaign_id"]
    humans = set(labels.loc[labels["label"] == 0, "account_id"])
    assert [f.vendor for f in folds] == cfg.run.vendors
    for f in folds:
        assert not f.train & f.test
        assert f.train | f.test == set(labels["account_id"])
        assert (camp.loc[list(f.test - humans)] == f.vendor).all()
        assert not (camp.loc[list(f.train - humans)] == f.vendor).any()
        share = len(f.test & humans) / len(humans)
        assert abs(share - cfg.run.human_test_share) < 1 / len(humans) + 1e-9
    assert len({frozenset(f.test & humans) for f in folds}) == len(folds)
    assert np.isclose(len(humans), 1950)


def test_a_second_import_of_the_same_source_is_skipped_until_the_source_changes(
    source_slice, cfg, tmp_path
):
    import os

    from typer.testing import CliRunner

    from distillguard.adapters.cresci2015_world import is_current
    from distillguard.cli import app

    out = tmp_path / "w"
    args = ["import", "cresci2015", str(source_slice), "--out", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0 and "wrote" in first.output
    assert is_current(source_slice, out, cfg.adapter)
    stamp = (out / "world.json").stat().st_mtime_ns
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "up to date" in again.output
    assert (out / "world.json").stat().st_mtime_ns == stamp
    other = cfg.adapter.model_copy(update={"status_code": 201})
    assert not is_current(source_slice, out, other)
    src = source_slice / "events.parquet"
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    try:
        assert not is_current(source_slice, out, cfg.adapter)
        forced = CliRunner().invoke(app, [*args, "--force"])
        assert forced.exit_code == 0 and "wrote" in forced.output
        assert is_current(source_slice, out, cfg.adapter)
    finally:
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
