"""Feature benchmark: ``python -m bench features [--world=DIR] [--snapshots] [--full]``.

Measures on the demo world (data/world-demo):
- build_features at the end of the log (7-day window): seconds, window events per second;
- a bare DuckDB scan that only sums the same columns over the same window (the floor);
- a plain-pandas groupby version of three families (volume, cadence, infrastructure counts)
  against the engine's queries for the same families, on the same in-memory window;
- with --snapshots: build_snapshots (what training trains on);
- with --full: build_features on data/world-full in a child process (time, peak RSS;
  --full-timeout=SECONDS, default 3600);
- with --no-pandas: skip the (slow) pandas side-by-side.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("bench.features")
ROOT = Path(__file__).resolve().parent.parent
SUMMED = ["input_tokens", "output_tokens", "status_code", "prompt_simhash", "turn_index", "asn"]
HASHED = [
    "ip",
    "model",
    "tls_fingerprint",
    "header_fingerprint",
    "user_agent",
    "task_category",
    "stop_reason",
    "conversation_id",
    "asn_kind",
    "country",
]


def _arg(argv: list[str], name: str, default: str | None = None) -> str | None:
    for a in argv:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return default


def bare_scan(events_dir: Path, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[float, int]:
    """DuckDB straight on the Parquet: per-account sums of the columns the features read."""
    import duckdb

    con = duckdb.connect()
    sums = ", ".join([f"sum({c})" for c in SUMMED] + [f"sum(hash({c}))" for c in HASHED])
    sql = (
        f"SELECT account_id, count(*) n, sum(epoch_ms(ts)), {sums} FROM read_parquet("
        f"'{events_dir}/**/*.parquet', hive_partitioning=true) WHERE ts >= ? AND ts < ? "
        "GROUP BY account_id"
    )
    start = time.perf_counter()
    out = con.execute(sql, [lo.to_pydatetime(), hi.to_pydatetime()]).to_arrow_table()
    return time.perf_counter() - start, int(pd.Series(out.column("n").to_numpy()).sum())


def pandas_families(e: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """Volume, cadence and infrastructure counts with plain pandas groupby (as usually written)."""
    start = time.perf_counter()
    e = e.sort_values(["account_id", "ts", "request_id"])
    g = e.groupby("account_id")
    vol = pd.DataFrame(
        {
            "n": g.size(),
            "days": g["ts"].apply(lambda s: s.dt.date.nunique()),
            "tin": g["input_tokens"].sum(),
            "tout": g["output_tokens"].sum(),
            "s429": g["status_code"].apply(lambda s: (s == 429).mean()),
            "smax": g["stop_reason"].apply(lambda s: (s.dropna() == "max_tokens").mean()),
        }
    )
    e["gap_ms"] = g["ts"].diff().dt.total_seconds() * 1000

    def cadence(df: pd.DataFrame) -> pd.Series:
        gaps = df["gap_ms"].dropna()
        hours = df["ts"].dt.hour.value_counts(normalize=True)
        bins = np.floor(np.log2(gaps + 1)).value_counts(normalize=True)
        return pd.Series(
            {
                "med": gaps.median(),
                "cv": gaps.std(ddof=0) / gaps.mean() if len(gaps) else np.nan,
                "sub1": (gaps < 1000).mean(),
                "hour_h": -(hours * np.log2(hours)).sum(),
                "iat_h": -(bins * np.log2(bins)).sum(),
                "sessions": 1 + (gaps > 1_800_000).sum(),
            }
        )

    cad = e.groupby("account_id")[["ts", "gap_ms"]].apply(cadence)
    infra = pd.DataFrame(
        {
            "ips": g["ip"].nunique(),
            "asns": g["asn"].nunique(),
            "tls": g["tls_fingerprint"].nunique(),
            "dc": g["asn_kind"].apply(lambda s: (s.dropna() == "datacenter").mean()),
        }
    )
    out = vol.join(cad).join(infra)
    return time.perf_counter() - start, out


def engine_families(prep, cutoff, cfg) -> float:
    """The engine's queries for the same three families on the materialised window."""
    from features import cadence, infrastructure, volume
    from features.frame import tables_at

    t = tables_at(prep, cutoff, cfg.window, cfg)
    for mod in (volume, cadence, infrastructure):  # compile once (cached), like every later pass
        prep.run(mod.__name__, lambda m=mod: {"main": m.build(t, cutoff, cfg.window, cfg)})
    start = time.perf_counter()
    for mod in (volume, cadence, infrastructure):
        prep.run(mod.__name__, lambda m=mod: {"main": m.build(t, cutoff, cfg.window, cfg)})
    return time.perf_counter() - start


def full_world(world: Path, timeout_s: float = 3600) -> dict:
    """build_features on a large world in a child process: wall time and peak RSS."""
    code = (
        "import sys, time; from distillguard.contract import load_world; "
        "from features import build_features; from features.frame import to_utc; "
        "t=time.perf_counter(); i=load_world(sys.argv[1]); l=time.perf_counter()-t; "
        "hi=i.events.agg(h=i.events.ts.max()).to_pandas()['h'].iloc[0]; "
        "df=build_features(i, to_utc(hi)); "
        "print('RESULT', l, time.perf_counter()-t, len(df))"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(world)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout_s,
    )
    wall = time.perf_counter() - start
    rss_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")]
    if not line:
        return {"error": proc.stderr[-2000:], "wall_s": round(wall, 1)}
    _, load_s, total_s, rows = line[0].split()
    return {
        "load_s": round(float(load_s), 1),
        "total_s": round(float(total_s), 1),
        "accounts": int(rows),
        "peak_rss_gib": round(rss_gib, 2),
    }


def main(argv: list[str]) -> dict:
    """Run the benchmark; returns the figures (also written to bench/out/features.json)."""
    from distillguard.contract import load_world
    from features import build_features
    from features.config import load_feature_config, parse_duration
    from features.frame import prepare, to_utc

    world = Path(_arg(argv, "world", str(ROOT / "data" / "world-demo")))
    cfg = load_feature_config()
    res: dict = {"world": str(world), "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    start = time.perf_counter()
    inputs = load_world(world)
    res["load_inputs_lazy_s"] = round(time.perf_counter() - start, 2)
    hi = to_utc(inputs.events.agg(h=inputs.events.ts.max()).to_pandas()["h"].iloc[0])
    cutoff = hi + pd.Timedelta(microseconds=1)
    lo = cutoff - pd.Timedelta(parse_duration(cfg.window))
    res["events_total"] = int(inputs.events.count().to_pandas())

    start = time.perf_counter()
    df = build_features(inputs, cutoff)
    build_s = time.perf_counter() - start
    scan_s, window_events = bare_scan(world / "events", lo, cutoff)
    res.update(
        build_features_s=round(build_s, 2),
        accounts=len(df),
        window_events=window_events,
        window_events_per_s=round(window_events / build_s),
        bare_duckdb_scan_sum_s=round(scan_s, 2),
        ratio_to_bare_scan=round(build_s / scan_s, 1),
    )
    log.info("build_features: %s", json.dumps(res))

    if "--no-pandas" in argv:
        return _extras(argv, world, res)
    prep = prepare(inputs, cfg, materialize=False)
    try:
        eng_s = engine_families(prep, cutoff, cfg)
        from features.engine import fixed_table, to_pandas

        win = to_pandas(fixed_table(prep.con, prep.names["w"]))
    finally:
        prep.close()
    pd_s, _ = pandas_families(win)
    res.update(
        engine_three_families_s=round(eng_s, 2),
        pandas_three_families_s=round(pd_s, 2),
        pandas_over_engine=round(pd_s / eng_s, 1),
    )
    log.info("pandas vs engine: %.2fs vs %.2fs", pd_s, eng_s)

    return _extras(argv, world, res)


def _extras(argv: list[str], world: Path, res: dict) -> dict:
    """The optional parts: snapshots of the world, the full world."""
    from distillguard.contract import load_world
    from features import build_snapshots

    if "--snapshots" in argv:
        start = time.perf_counter()
        snaps = build_snapshots(load_world(world))
        res.update(
            snapshots_s=round(time.perf_counter() - start, 1),
            snapshot_rows=len(snaps),
            snapshot_cutoffs=int(snaps["as_of"].nunique()),
        )
    if "--full" in argv:
        full = ROOT / "data" / "world-full"
        res["full"] = (
            full_world(full, float(_arg(argv, "full-timeout", "3600")))
            if (full / "world.json").exists()
            else "data/world-full absent"
        )
    res["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return res
