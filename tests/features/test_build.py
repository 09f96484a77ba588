"""build_features / build_snapshots as a whole: catalogue coverage, required-only logs, CLI."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.contract import load_inputs
from distillguard.contract.spec import required
from features import build_features, build_snapshots
from features.catalogue import META_COLUMNS, all_specs, columns, feature_columns, render_markdown
from tests.features.synth import START, to_inputs

CUTOFF = START + timedelta(days=7)


@pytest.fixture(scope="module")
def feats(synth_tables):
    return build_features(to_inputs(*synth_tables), CUTOFF, "7d")


def test_catalogue_covers_every_column(feats):
    assert list(feats.columns[:2]) == ["account_id", "as_of"]
    assert feature_columns(feats) == columns("7d")
    assert len(set(columns("7d"))) == len(columns("7d"))
    families = {s.family for s in all_specs()}
    assert families == {
        "volume",
        "cadence",
        "content",
        "infrastructure",
        "account",
        "adoption",
        "cohort",
    }
    for name in columns("7d"):
        assert name.endswith(("_7d", "_asof")), name


def test_generated_catalogue_is_committed():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    assert doc.read_text() == render_markdown("7d"), (
        "run: distillguard features --catalogue docs/features.md"
    )


def test_types_and_separation(feats):
    for spec in all_specs():
        col = feats[spec.column("7d")]
        if spec.categories:
            assert isinstance(col.dtype, pd.CategoricalDtype)
            assert list(col.cat.categories) == list(spec.categories)
        else:
            assert col.dtype == np.float64, spec.name
    ring = feats[feats.account_id.str.startswith("ring")]
    legit = feats[feats.account_id.str.startswith("legit")]
    assert len(ring) and len(legit)
    # the planted ring: regular cadence, templated prompts, one component
    assert ring["cadence_iat_cv_7d"].max() < legit["cadence_iat_cv_7d"].median()
    assert (
        ring["content_simhash_distinct_ratio_7d"].max()
        < legit["content_simhash_distinct_ratio_7d"].min()
    )
    assert (ring["cohort_component_size_7d"] >= len(ring)).all()


def test_required_columns_only(synth_tables, tmp_path):
    events, accounts, _ = synth_tables
    ev = events.select(required("events"))
    ac = accounts.select(required("accounts"))
    (tmp_path / "events").mkdir()
    pq.write_table(ev, tmp_path / "events" / "part-0.parquet")
    pq.write_table(ac, tmp_path / "accounts.parquet")
    inputs = load_inputs(tmp_path / "events", tmp_path / "accounts.parquet")
    df = build_features(inputs, CUTOFF, "7d")
    assert len(df) > 0 and feature_columns(df) == columns("7d")
    for spec in all_specs():
        col = df[spec.column("7d")]
        optional = [n for n in spec.needs if n.split(".", 1)[1] not in required(n.split(".", 1)[0])]
        if optional:
            assert col.isna().all(), f"{spec.name} should be null without {optional}"
    assert df["volume_exchanges_7d"].notna().all()
    assert df["cadence_iat_cv_7d"].notna().any()
    # raw ibis tables with the columns missing entirely work too
    raw = build_features(to_inputs(ev, ac), CUTOFF, "7d")
    pd.testing.assert_frame_equal(raw, df)


def test_naive_and_zoned_timestamps_give_the_same_features(synth_tables, tmp_path):
    """pandas writes naive nanosecond timestamps by default; the contract reads them as UTC.

    Read from Parquet (no materialisation), hour and day extraction must work on them and
    give exactly the features of the same log written as UTC microseconds.
    """
    events, accounts, _ = synth_tables
    ts = pc.cast(events["ts"], pa.timestamp("us", tz="UTC"))
    naive = pc.cast(pc.cast(ts, pa.int64()), pa.timestamp("us")).cast(pa.timestamp("ns"))
    berlin = ts.cast(pa.timestamp("us", tz="Europe/Berlin"))
    frames = []
    for k, col in enumerate((ts, naive, berlin)):
        d = tmp_path / str(k)
        d.mkdir()
        ev = events.set_column(events.schema.get_field_index("ts"), "ts", col)
        pq.write_table(ev, d / "events.parquet")
        pq.write_table(accounts, d / "accounts.parquet")
        inputs = load_inputs(d / "events.parquet", d / "accounts.parquet")
        frames.append(build_features(inputs, CUTOFF, "7d"))
    assert len(frames[0]) > 0
    pd.testing.assert_frame_equal(frames[1], frames[0])
    pd.testing.assert_frame_equal(frames[2], frames[0])


def test_snapshots(synth_tables):
    events, accounts, labels = synth_tables
    snaps = build_snapshots(to_inputs(events, accounts, labels), offsets_days=(1, 3))
    assert list(snaps.columns[: len(META_COLUMNS)]) == list(META_COLUMNS)
    assert feature_columns(snaps) == columns("7d")
    lab = labels.to_pandas()
    # every labelled account whose first cutoff is inside the log appears, labels carried through
    ev = events.to_pandas()
    first = ev.groupby("account_id")["ts"].min()
    due = (first + pd.Timedelta(days=1)).dt.ceil("D") <= ev["ts"].max() + pd.Timedelta(days=1)
    expected = set(lab.account_id) & set(first[due].index)
    got = snaps.dropna(subset=["label"]).drop_duplicates("account_id").set_index("account_id")
    assert set(got.index) == expected and len(expected) >= len(lab) - 2
    lab = lab.set_index("account_id").loc[sorted(expected)]
    assert (got.loc[lab.index, "label"].to_numpy() == lab.label.to_numpy()).all()
    assert (snaps.loc[snaps.label == 1, "campaign_id"] == "camp-A").all()
    # cutoffs on the configured grain, at least `offset` (and less than offset + grain) after
    # the first request
    from features.config import load_feature_config, parse_duration

    grain = pd.Timedelta(parse_duration(load_feature_config().snapshots.cutoff_grain))
    assert (snaps["as_of"] == snaps["as_of"].dt.floor(grain)).all()
    delay = snaps["as_of"] - snaps["first_seen"]
    assert (delay >= pd.Timedelta(days=1)).all() and (delay < pd.Timedelta(days=3) + grain).all()
    assert snaps.groupby("account_id")["as_of"].nunique().max() <= 2
    assert snaps.loc[snaps.account_id.str.startswith("legit-000"), "org_id"].eq("org-acme").all()


def test_snapshot_rows_equal_single_builds(synth_tables):
    events, accounts, labels = synth_tables
    snaps = build_snapshots(to_inputs(events, accounts, labels), offsets_days=(2,))
    cutoff = snaps["as_of"].iloc[0]
    one = build_features(to_inputs(events, accounts), cutoff).set_index("account_id")
    rows = snaps[snaps.as_of == cutoff].set_index("account_id")
    pd.testing.assert_frame_equal(
        rows[feature_columns(one.reset_index())],
        one.loc[rows.index, feature_columns(one.reset_index())],
    )


def test_snapshot_rows_equal_single_builds_at_every_cutoff(synth_tables):
    # snapshot passes run the per-account families on the due accounts only and take gaps
    # from the log's predecessor columns; every cutoff must still match a single build
    events, accounts, labels = synth_tables
    snaps = build_snapshots(to_inputs(events, accounts, labels), offsets_days=(1, 3))
    cutoffs = sorted(snaps["as_of"].unique())
    assert len(cutoffs) >= 2
    for cutoff in cutoffs[:3]:
        one = build_features(to_inputs(events, accounts), cutoff).set_index("account_id")
        rows = snaps[snaps.as_of == cutoff].set_index("account_id")
        cols = feature_columns(one.reset_index())
        assert len(rows) < len(one)  # only the due accounts, not the whole window
        pd.testing.assert_frame_equal(rows[cols], one.loc[rows.index, cols])


def test_gaps_at_the_window_start_with_ties():
    # exchanges in the same millisecond on both sides of the window start, and ties in ts:
    # the predecessor rule of snapshot passes equals the in-window sort of a single build
    from tests.features.synth import table

    lo = START + timedelta(days=3)
    stamps = [
        lo - timedelta(days=1),
        lo - timedelta(microseconds=1),
        lo,
        lo,
        lo + timedelta(microseconds=400),
        lo + timedelta(seconds=5),
        lo + timedelta(seconds=5),
        lo + timedelta(hours=2),
        lo + timedelta(days=6),  # keeps the cutoff within the log (snapshots drop later ones)
    ]
    ids = ["r7", "r3", "r5", "r1", "r0", "r2", "r6", "r4", "r8"]
    ev = table(
        "events",
        [
            dict(
                request_id=i,
                account_id="a",
                ts=ts,
                model="m",
                ip="10.0.0.1",
                input_tokens=1,
                output_tokens=1,
                status_code=200,
            )
            for i, ts in zip(ids, stamps, strict=True)
        ],
    )
    acc = table("accounts", [dict(account_id="a", created_at=START)])
    cutoff = lo + timedelta(days=7)
    lab = table("labels", [dict(account_id="a", label=0, labelled_at=lo)])
    snaps = build_snapshots(to_inputs(ev, acc, lab), offsets_days=(7,))
    assert (snaps["as_of"] == cutoff).all()  # 2-day grain: the window starts exactly at lo
    one = build_features(to_inputs(ev, acc), cutoff, "7d")
    cols = feature_columns(one)
    pd.testing.assert_frame_equal(
        snaps[cols].iloc[[0]].reset_index(drop=True), one[cols].reset_index(drop=True)
    )
    # and against hand-computed gaps (the exchanges before lo are outside the window)
    f = one
    gaps_ms = np.array([0.0, 0.0, 5000.0, 0.0, 7195000.0, 6 * 86400e3 - 7200e3])  # sorted t_ms
    assert f["cadence_iat_median_s_7d"].iloc[0] == pytest.approx(np.median(gaps_ms) / 1000)
    assert f["volume_exchanges_7d"].iloc[0] == 7


def test_cli_features_and_catalogue(synth_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "f.parquet"
    res = runner.invoke(
        app, ["features", "--world", str(synth_dir), "--as-of", str(CUTOFF), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert len(df) > 0 and feature_columns(df) == columns("7d")
    doc = tmp_path / "features.md"
    res = runner.invoke(app, ["features", "--catalogue", str(doc)])
    assert res.exit_code == 0 and "cohort_component_size_7d" in doc.read_text()
    res = runner.invoke(app, ["features", "--world", str(synth_dir)])
    assert res.exit_code != 0


def test_empty_window_gives_empty_frame(synth_tables):
    df = build_features(to_inputs(*synth_tables[:2]), START - timedelta(days=30))
    assert len(df) == 0 and feature_columns(df) == columns("7d")


def test_bad_window_is_refused(synth_tables):
    with pytest.raises(ValueError, match="duration"):
        build_features(to_inputs(*synth_tables[:2]), CUTOFF, "seven days")


def test_missing_required_column_is_named():
    ev = pa.table({"account_id": ["a"]})
    ac = pa.table({"account_id": ["a"]})
    with pytest.raises(ValueError, match="events.*request_id"):
        build_features(to_inputs(ev, ac), CUTOFF)
