"""The test world: layout, contract, opaque ids, shared pools, labels' timing, real signal."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from distillguard.contract import load_world


@pytest.fixture(scope="module")
def tables(test_world):
    events = ds.dataset(test_world / "events", format="parquet", partitioning="hive")
    cols = ["request_id", "account_id", "ts", "conversation_id", "user_agent", "asn",
            "country", "tls_fingerprint", "prompt", "prompt_simhash", "task_category",
            "output_tokens", "model"]  # fmt: skip
    return {
        "events": events.to_table(columns=cols).to_pandas(),
        "accounts": pq.read_table(test_world / "accounts.parquet").to_pandas(),
        "labels": pq.read_table(test_world / "labels.parquet").to_pandas(),
        "truth": pq.read_table(test_world / "truth.parquet").to_pandas(),
        "manifest": json.loads((test_world / "world.json").read_text()),
    }


def test_layout_is_the_world_directory(test_world, tables):
    parts = sorted(p.name for p in (test_world / "events").iterdir())
    assert parts and all(p.startswith("date=") for p in parts)
    assert all((test_world / "events" / p / "part-0.parquet").exists() for p in parts)
    m = tables["manifest"]
    assert {"name", "seed", "start", "end", "models", "counts", "config"} <= set(m)
    assert sum(c["events"] for c in m["counts"].values()) == len(tables["events"])
    # every partition holds exactly its own date, sorted by time
    for p in parts[:3]:
        t = pq.read_table(test_world / "events" / p / "part-0.parquet").to_pandas()
        assert (t["ts"].dt.strftime("%Y-%m-%d") == p.removeprefix("date=")).all()
        assert t["ts"].is_monotonic_increasing


def test_every_table_passes_the_contract(test_world, tables):
    inputs = load_world(test_world)
    for name in ("events", "accounts", "labels"):
        rep = inputs.report.tables[name]
        assert rep.quarantined == 0 and rep.accepted == rep.read
    assert inputs.report.tables["events"].read == len(tables["events"])
    assert inputs.report.tables["events"].simhash_filled == 0  # the simulator wrote them


def test_every_archetype_and_campaign_is_active(tables):
    truth, ev = tables["truth"], tables["events"]
    active = truth[truth["account_id"].isin(ev["account_id"].unique())]
    groups = active["campaign_id"].fillna(active["archetype"]).value_counts()
    cfg = tables["manifest"]["config"]
    assert set(groups.index) == set(cfg["archetypes"]) | set(cfg["campaigns"])
    assert groups.min() >= 3


def test_ids_are_opaque_and_do_not_encode_the_group(tables):
    ev, acc, truth = tables["events"], tables["accounts"], tables["truth"]
    assert acc["account_id"].str.fullmatch(r"acct_[0-9a-f]{20}").all()
    assert ev["request_id"].str.fullmatch(r"req_[0-9a-f]{32}").all()
    assert ev["conversation_id"].str.fullmatch(r"conv_[0-9a-f]{16}").all()
    assert ev["request_id"].is_unique and acc["account_id"].is_unique
    # the accounts table's row order carries no group information
    camp = acc["account_id"].isin(truth.loc[truth["archetype"] == "campaign", "account_id"])
    first_half = camp.iloc[: len(camp) // 2].mean()
    assert abs(first_half - camp.mean()) < 0.05


def test_campaigns_draw_from_the_legitimate_pools(tables):
    ev, truth = tables["events"], tables["truth"]
    camp_ids = set(truth.loc[truth["archetype"] == "campaign", "account_id"])
    is_camp = ev["account_id"].isin(camp_ids)
    for col in ("user_agent", "asn", "country", "tls_fingerprint", "model"):
        legit_vals = set(ev.loc[~is_camp, col])
        share = ev.loc[is_camp, col].isin(legit_vals).mean()
        # rotation reaches rare client versions a small world's legit accounts never drew
        assert share > 0.95, f"{col}: only {share:.3f} of campaign values also seen in legit"
    family = ev["user_agent"].str.split("/").str[0]
    assert set(family[is_camp]) <= set(family[~is_camp])
    # no exact per-campaign constant: output sizes are spread out
    out = ev.loc[is_camp & (ev["output_tokens"] > 0), "output_tokens"]
    assert out.value_counts(normalize=True).iloc[0] < 0.01


def test_prompts_have_text_and_the_contract_simhash(tables):
    from distillguard.contract.simhash import simhash_many

    sample = tables["events"].sample(300, random_state=0)
    assert sample["prompt"].notna().all()
    assert (simhash_many(sample["prompt"].tolist()) == sample["prompt_simhash"].to_numpy()).all()


def test_labels_arrive_after_first_use_and_only_for_the_right_accounts(tables):
    lab, truth, ev, acc = tables["labels"], tables["truth"], tables["events"], tables["accounts"]
    first = ev.groupby("account_id")["ts"].min()
    lab = lab.merge(truth, on="account_id", suffixes=("", "_truth")).merge(acc, on="account_id")
    assert (lab["labelled_at"] > lab["account_id"].map(first)).all()
    assert (lab["labelled_at"] >= lab["created_at"]).all()
    assert (lab["labelled_at"] <= pd.Timestamp(tables["manifest"]["end"])).all()
    pos = lab[lab["label"] == 1]
    assert (pos["archetype"] == "campaign").all()
    assert (pos["campaign_id"] == pos["campaign_id_truth"]).all()
    neg = lab[lab["label"] == 0]
    assert (neg["archetype"] != "campaign").all() and neg["campaign_id"].isna().all()
    hard = {"enterprise_integration", "university_class", "eval_harness", "researcher",
            "coding_agent_dev", "reseller_wrapper"}  # fmt: skip
    assert neg["archetype"].isin(hard).any(), "no hard negative was reviewed"
    # a share of every campaign is never found
    members = truth[(truth["archetype"] == "campaign") & truth["account_id"].isin(first.index)]
    found = members["account_id"].isin(pos["account_id"]).groupby(members["campaign_id"]).mean()
    assert (found < 1).all() and (found > 0.2).all()


def test_a_real_multi_feature_signal_exists(tables):
    """Campaign members share payment instruments and reuse templates more than legit ones."""
    ev, acc, truth = tables["events"], tables["accounts"], tables["truth"]
    t = truth.merge(acc, on="account_id")
    t = t[t["account_id"].isin(ev["account_id"].unique())]
    is_camp = t["archetype"] == "campaign"
    shared_pay = t.groupby("payment_fingerprint")["account_id"].transform("size") > 1
    indiv = t["archetype"].isin(["casual_chat", "free_tier_tinkerer", "coding_agent_dev"])
    assert shared_pay[is_camp].mean() > 1.5 * shared_pay[indiv].mean()
    reuse = (
        1 - ev.groupby("account_id")["prompt_simhash"].nunique() / ev.groupby("account_id").size()
    )
    camp_ids = t.loc[is_camp, "account_id"]
    assert reuse[camp_ids].median() > reuse[t.loc[indiv, "account_id"]].median()
