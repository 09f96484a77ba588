"""Rings: a planted ring is grouped exactly; popular or borrowed attributes link nothing."""

from __future__ import annotations

import pandas as pd

from scoring.likeness import most_like_campaign
from scoring.linkage import shared_values
from scoring.rings import components, group_rings, pair_edges

from .conftest import AS_OF, FEATURES, RING, as_inputs, feature_table, make_world, reference_of

STRONG = ["payment_fingerprint", "signup_wave"]


def _flag_scores(ids):
    return pd.DataFrame({"account_id": ids, "score": 0.9, "exchanges": 10})


def _rows(spec: dict[str, list[tuple[str, str]]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, k, v) for a, kvs in spec.items() for k, v in kvs],
        columns=["account_id", "kind", "value"],
    )


def test_planted_ring_is_one_ring_and_decoys_stay_alone(score_cfg):
    events, accounts = make_world()
    inputs = as_inputs(events, accounts)
    decoys = ["legit-003", "legit-050", "legit-120"]
    flagged = RING + decoys
    rows = shared_values(inputs, AS_OF, pd.Timedelta("7d"), flagged, score_cfg.rings)
    assert set(rows["kind"]) >= {"payment_fingerprint", "ip_prefix", "prompt_template"}
    assert "tls_fingerprint" not in set(rows["kind"])  # used by every account: links nothing
    assert set(rows["account_id"]) == set(RING)
    assign, rings = group_rings(
        rows, _flag_scores(flagged), strong_kinds=STRONG, min_kinds=2, min_size=2, examples=3
    )
    assert len(rings) == 1
    ring = rings.iloc[0]
    assert ring["size"] == len(RING)
    assert ring["exchanges"] == 10 * len(RING)
    assert "payment instrument" in ring["shared"] and "/24 network" in ring["shared"]
    members = set(assign.loc[assign["ring_id"] == ring["ring_id"], "account_id"])
    assert members == set(RING)
    alone = assign.set_index("account_id").loc[decoys]
    assert alone["ring_id"].isna().all() and (alone["ring_size"] == 1).all()


def test_values_mostly_used_by_unflagged_accounts_link_nothing(score_cfg):
    events, accounts = make_world()
    inputs = as_inputs(events, accounts)
    half = RING[:4]  # 4 of the 12 accounts on the ring's card are flagged: under the share
    cfg = score_cfg.rings.model_copy(update={"min_flagged_share": 0.5})
    rows = shared_values(inputs, AS_OF, pd.Timedelta("7d"), half, cfg)
    assert "payment_fingerprint" not in set(rows["kind"])
    low = score_cfg.rings.model_copy(update={"min_flagged_share": 0.3})
    rows = shared_values(inputs, AS_OF, pd.Timedelta("7d"), half, low)
    assert "payment_fingerprint" in set(rows["kind"])


def test_linkage_respects_the_window(score_cfg):
    events, accounts = make_world()
    inputs = as_inputs(events, accounts)
    before = AS_OF - pd.Timedelta("30d")  # the ring's events all lie after this window
    rows = shared_values(inputs, before, pd.Timedelta("7d"), RING, score_cfg.rings)
    assert rows.empty


def test_weak_kinds_link_only_together():
    rows = _rows(
        {
            "a": [("payment_fingerprint", "p1")],
            "b": [("payment_fingerprint", "p1"), ("ip_prefix", "1.2.3")],
            "c": [("ip_prefix", "1.2.3")],  # one weak kind shared with b: not linked
            "x": [("ip_prefix", "9.9.9"), ("tls_fingerprint", "t9")],
            "y": [("ip_prefix", "9.9.9"), ("tls_fingerprint", "t9")],  # two weak kinds: linked
            "z": [],
        }
    )
    edges = pair_edges(rows, STRONG, 2)
    pairs = set(zip(edges["account_a"], edges["account_b"], strict=True))
    assert pairs == {("a", "b"), ("x", "y")}
    labels = components(edges, list("abcxyz"))
    assert labels["a"] == labels["b"] != labels["c"]
    assert labels["x"] == labels["y"] != labels["a"]
    assign, rings = group_rings(
        rows,
        _flag_scores(list("abcxyz")),
        strong_kinds=STRONG,
        min_kinds=2,
        min_size=2,
        examples=2,
        prefix="R",
    )
    assert rings["size"].tolist() == [2, 2]
    assert rings["ring_id"].tolist() == ["R0001", "R0002"]
    assert assign.set_index("account_id").loc["c", "ring_size"] == 1


def test_ring_resembles_the_closer_campaign():
    df, y = feature_table(300, 30)
    ref = reference_of(df, y)
    ids = df["account_id"].iloc[:10].tolist()  # positives: coding-heavy
    assign = pd.DataFrame({"account_id": ids, "ring_id": "R1", "ring_size": 10})
    rings = pd.DataFrame({"ring_id": ["R1"], "size": [10]})
    cents, feats = ref["campaign_centroids"], ref["features"]
    out = most_like_campaign(rings, df, assign, cents, feats, z_clip=3, max_distance=1.0)
    assert out.loc[0, "campaign_like"] == "camp-coding"
    assert 0 <= out.loc[0, "campaign_distance"] < 1.0
    legit = assign.assign(account_id=df["account_id"].iloc[100:110].to_numpy())
    out = most_like_campaign(rings, df, legit, cents, feats, z_clip=3, max_distance=0.2)
    assert out.loc[0, "campaign_like"] is None  # legitimate accounts resemble no campaign
    assert FEATURES[0] in ref["campaign_centroids"]["camp-coding"]


def test_sign_up_wave_needs_a_known_sign_up_network(score_cfg):
    """A wave is one sign-up bucket from one /24: without sign-up IPs nothing links by it."""
    events, accounts = make_world()
    pair = ["legit-010", "legit-011"]
    accounts.loc[accounts["account_id"].isin(pair), "created_at"] = accounts["created_at"].min()
    rows = shared_values(
        as_inputs(events, accounts), AS_OF, pd.Timedelta("7d"), pair, score_cfg.rings
    )
    assert "signup_wave" not in set(rows["kind"])  # different sign-up /24s
    same_net = accounts.assign(
        signup_ip=accounts["signup_ip"].where(~accounts["account_id"].isin(pair), "198.51.7.1")
    )
    rows = shared_values(
        as_inputs(events, same_net), AS_OF, pd.Timedelta("7d"), pair, score_cfg.rings
    )
    assert "signup_wave" in set(rows["kind"])  # same bucket, same /24: one wave
    unknown = accounts.assign(signup_ip=pd.Series(pd.NA, index=accounts.index, dtype="string"))
    rows = shared_values(
        as_inputs(events, unknown), AS_OF, pd.Timedelta("7d"), pair, score_cfg.rings
    )
    assert "signup_wave" not in set(rows["kind"])
