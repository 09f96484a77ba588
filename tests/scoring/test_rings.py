"""Rings: a planted ring is grouped exactly; popular attributes link nothing."""

from __future__ import annotations

import pandas as pd

from scoring.linkage import link_edges
from scoring.rings import components, group_rings, most_like_campaign

from .conftest import AS_OF, FEATURES, RING, as_inputs, feature_table, make_world, reference_of


def _flag_scores(ids):
    return pd.DataFrame({"account_id": ids, "score": 0.9, "exchanges": 10})


def test_planted_ring_is_one_ring_and_decoys_stay_alone(score_cfg):
    events, accounts = make_world()
    inputs = as_inputs(events, accounts)
    decoys = ["legit-003", "legit-050", "legit-120"]
    flagged = RING + decoys
    edges = link_edges(inputs, AS_OF, pd.Timedelta("7d"), flagged, score_cfg.rings)
    assert set(edges["kind"]) >= {"payment_fingerprint", "ip_prefix", "prompt_template"}
    assert "tls_fingerprint" not in set(edges["kind"])  # used by every account: links nothing
    assign, rings = group_rings(edges, _flag_scores(flagged), min_size=2, examples=3)
    assert len(rings) == 1
    ring = rings.iloc[0]
    assert ring["size"] == len(RING)
    assert ring["exchanges"] == 10 * len(RING)
    assert "payment instrument" in ring["shared"] and "/24 network" in ring["shared"]
    members = set(assign.loc[assign["ring_id"] == ring["ring_id"], "account_id"])
    assert members == set(RING)
    alone = assign.set_index("account_id").loc[decoys]
    assert alone["ring_id"].isna().all() and (alone["ring_size"] == 1).all()


def test_linkage_respects_the_window(score_cfg):
    events, accounts = make_world()
    inputs = as_inputs(events, accounts)
    before = AS_OF - pd.Timedelta("30d")  # the ring's events all lie after this window
    edges = link_edges(inputs, before, pd.Timedelta("7d"), RING, score_cfg.rings)
    assert edges.empty


def test_components_of_hand_made_edges():
    edges = pd.DataFrame(
        {
            "account_a": ["a", "b", "x"],
            "account_b": ["b", "c", "y"],
            "kind": "payment_fingerprint",
            "value": ["p1", "p1", "p2"],
        }
    )
    labels = components(edges, ["a", "b", "c", "x", "y", "z"])
    assert labels["a"] == labels["b"] == labels["c"]
    assert labels["x"] == labels["y"] != labels["a"]
    assert labels["z"] not in {labels["a"], labels["x"]}
    assign, rings = group_rings(edges, _flag_scores(list("abcxyz")), min_size=2, examples=2)
    assert rings["size"].tolist() == [3, 2]
    assert rings["ring_id"].tolist() == ["R0001", "R0002"]


def test_ring_resembles_the_closer_campaign():
    df, y = feature_table(300, 30)
    ref = reference_of(df, y)
    ids = df["account_id"].iloc[:10].tolist()  # positives: coding-heavy
    assign = pd.DataFrame({"account_id": ids, "ring_id": "R1", "ring_size": 10})
    rings = pd.DataFrame({"ring_id": ["R1"], "size": [10]})
    out = most_like_campaign(rings, df, assign, ref["campaign_centroids"], ref["features"])
    assert out.loc[0, "campaign_like"] == "camp-coding"
    assert out.loc[0, "campaign_distance"] >= 0
    assert FEATURES[0] in ref["campaign_centroids"]["camp-coding"]
