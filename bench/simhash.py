"""SimHash throughput and contract-validation time on a large synthetic events table.

``.venv/bin/python -m bench simhash [--prompts=N] [--rows=N] [--keep]``

1. SimHash: N templated prompts (a few hundred templates with variable slots,
   like the traffic the contract describes), timed through ``simhash_many``
   cold (empty shingle cache) and warm, plus the one-at-a-time ``simhash``
   on a sample; reported as prompts per minute.
2. Validation: a synthetic events table of N rows (hive-partitioned by date,
   written by DuckDB straight to Parquet, never through pandas, prompt_simhash
   left null so it is filled from prompt) with its accounts, then
   ``load_inputs`` strict (both engines), one full scan of the normalised
   events, and ``load_inputs`` in quarantine mode on the same files plus one
   partition of 1000 rows with 18 planted offences;
   with peak RSS of this process. Data goes to data/contract-bench (deleted
   afterwards unless --keep).
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "contract-bench"
log = logging.getLogger("bench.simhash")

TEMPLATES = [
    "Write a {lang} function that {task}. Think step by step and explain your reasoning.",
    "You are an expert {lang} engineer. Refactor the following code to {task}: {code}",
    "Solve: what is {a} * {b}? Show your full chain of thought before the final answer.",
    "Explain how to {task} in {lang}, with a worked example and edge cases #{a}.",
    "Translate this {lang} snippet and {task}; keep comments. {code}",
]
LANGS = ["Python", "Go", "Rust", "TypeScript", "Java", "C++", "Kotlin", "SQL"]
TASKS = [
    "parses ISO-8601 dates",
    "deduplicates a stream of events",
    "implements an LRU cache",
    "retries HTTP calls with backoff",
    "validates a JSON schema",
    "computes a rolling median",
]


def _arg(argv: list[str], name: str, default: int) -> int:
    for a in argv:
        if a.startswith(f"--{name}="):
            return int(a.split("=", 1)[1].replace("_", ""))
    return default


def make_prompts(n: int, seed: int = 0) -> list[str]:
    """N templated prompts with random slot fillers (about 30% exact repeats)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = TEMPLATES[rng.integers(len(TEMPLATES))]
        out.append(
            t.format(
                lang=LANGS[rng.integers(len(LANGS))],
                task=TASKS[rng.integers(len(TASKS))],
                code=f"def f{rng.integers(1000)}(x): return x + {rng.integers(100)}",
                a=rng.integers(1000),
                b=rng.integers(1000),
            )
        )
    return out


def bench_simhash(n: int) -> dict:
    """Time simhash_many (cold and warm cache) and per-prompt simhash."""
    from distillguard.contract import simhash as sh

    prompts = make_prompts(n)
    distinct = len(set(prompts))
    sh._shingle_cache.clear()
    t0 = time.perf_counter()
    cold = sh.simhash_many(prompts)
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = sh.simhash_many(prompts)
    t_warm = time.perf_counter() - t0
    assert np.array_equal(cold, warm)
    sample = prompts[:20_000]
    sh._shingle_cache.clear()
    t0 = time.perf_counter()
    single = [sh.simhash(p) for p in sample]
    t_single = time.perf_counter() - t0
    assert single == cold[: len(sample)].tolist()
    return {
        "prompts": n,
        "distinct_prompts": distinct,
        "simhash_many_cold_s": round(t_cold, 2),
        "simhash_many_cold_prompts_per_min": int(n / t_cold * 60),
        "simhash_many_warm_s": round(t_warm, 2),
        "simhash_many_warm_prompts_per_min": int(n / t_warm * 60),
        "simhash_single_prompts_per_min": int(len(sample) / t_single * 60),
    }


def write_world(root: Path, rows: int, accounts: int) -> None:
    """Write a valid synthetic events table (hive by date) and accounts with DuckDB SQL."""
    import duckdb

    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET temp_directory='{root / 'tmp'}'")
    prompts = make_prompts(5000)
    con.execute(
        "CREATE TABLE p2 AS SELECT unnest($1) AS prompt, generate_subscripts($1, 1) - 1 AS pi",
        [prompts],
    )
    con.execute(
        f"""
        COPY (
          SELECT 'req' || i AS request_id,
                 'acc' || (i % {accounts}) AS account_id,
                 TIMESTAMP '2026-05-01' + to_seconds(i * 7 % (14 * 86400)) AS ts,
                 'model-' || (i % 3) AS model,
                 '10.0.' || (i % 199) || '.1' AS ip,
                 (i % 4000)::INT AS input_tokens,
                 ((i * 13) % 8000)::INT AS output_tokens,
                 200::SMALLINT AS status_code,
                 (64500 + i % 300)::BIGINT AS asn,
                 ['residential', 'mobile', 'datacenter', 'hosting_proxy'][i % 4 + 1] AS asn_kind,
                 'ja4_' || (i % 40) AS tls_fingerprint,
                 p2.prompt AS prompt,
                 NULL::BIGINT AS prompt_simhash,
                 ['coding', 'agentic', 'reasoning', 'chat'][i % 4 + 1] AS task_category,
                 (i % 9000)::INT AS latency_ms,
                 'd' || ((i * 7 % (14 * 86400)) // 86400) AS date
          FROM range({rows}) r(i) JOIN p2 ON p2.pi = r.i % {len(prompts)}
        ) TO '{root / "events"}' (FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE)
        """
    )
    con.execute(
        f"""
        COPY (SELECT 'acc' || i AS account_id,
                     TIMESTAMP '2026-04-01' + to_seconds(i) AS created_at,
                     'free' AS tier
              FROM range({accounts}) r(i))
        TO '{root / "accounts.parquet"}' (FORMAT parquet)
        """
    )
    con.close()


PLANTED = {"non_negative:input_tokens": 10, "unknown_account:account_id": 5, "not_null:model": 3}


def make_bad(good: Path, bad: Path) -> None:
    """`good` plus one extra partition of planted offences; good files are hard-linked."""
    import duckdb

    for f in (good / "events").rglob("*.parquet"):
        dst = bad / "events" / f.relative_to(good / "events")
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.link(f, dst)
    os.link(good / "accounts.parquet", bad / "accounts.parquet")
    part = bad / "events" / "date=bad"
    part.mkdir(parents=True)
    con = duckdb.connect()
    one = next((good / "events").rglob("*.parquet"))
    con.execute(
        f"""
        COPY (
          SELECT * REPLACE (
                   'planted' || row_number() OVER () AS request_id,
                   CASE WHEN row_number() OVER () <= 5 THEN 'ghost' ELSE account_id END
                     AS account_id,
                   CASE WHEN row_number() OVER () BETWEEN 6 AND 15 THEN -1 ELSE input_tokens END
                     AS input_tokens,
                   CASE WHEN row_number() OVER () BETWEEN 16 AND 18 THEN NULL ELSE model END
                     AS model)
          FROM (SELECT * EXCLUDE (date) FROM read_parquet('{one}') LIMIT 1000)
        ) TO '{part / "part-0.parquet"}' (FORMAT parquet)
        """
    )
    con.close()


def _rss_gib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def bench_validation(rows: int, keep: bool) -> dict:
    """Time load_inputs strict and quarantine on a synthetic events table of `rows` rows."""
    from distillguard.contract import load_inputs
    from distillguard.contract.config import ContractConfig

    accounts = max(1000, rows // 500)
    good, bad = DATA / "good", DATA / "bad"
    shutil.rmtree(DATA, ignore_errors=True)
    t0 = time.perf_counter()
    write_world(good, rows, accounts)
    make_bad(good, bad)
    out: dict = {"rows": rows, "accounts": accounts, "write_s": round(time.perf_counter() - t0, 1)}
    try:
        for engine in ("pandera", "aggregate"):
            t0 = time.perf_counter()
            inputs = load_inputs(
                good / "events",
                good / "accounts.parquet",
                config=ContractConfig(strict_engine=engine),
            )
            out[f"strict_{engine}_load_s"] = round(time.perf_counter() - t0, 1)
        out["strict_simhash_filled"] = inputs.report.tables["events"].simhash_filled
        t0 = time.perf_counter()
        agg = inputs.events.aggregate(
            n=inputs.events.count(),
            tok=inputs.events.input_tokens.sum(),
            sh=inputs.events.prompt_simhash.isnull().sum(),
        ).to_pyarrow()
        out["scan_normalised_events_s"] = round(time.perf_counter() - t0, 1)
        assert agg["n"][0].as_py() == rows and agg["sh"][0].as_py() == 0
        t0 = time.perf_counter()
        q = load_inputs(
            bad / "events",
            bad / "accounts.parquet",
            on_error="quarantine",
            quarantine_dir=DATA / "quarantine",
        )
        out["quarantine_load_s"] = round(time.perf_counter() - t0, 1)
        ev = q.report.tables["events"]
        out["quarantine_counts"] = {"read": ev.read, "accepted": ev.accepted, **ev.by_rule}
        assert ev.by_rule == PLANTED and ev.read == rows + 1000
        out["peak_rss_gib"] = _rss_gib()
    finally:
        if not keep:
            shutil.rmtree(DATA, ignore_errors=True)
    return out


def main(argv: list[str]) -> dict:
    """Run both benchmarks; see the module docstring for the flags."""
    n_prompts = _arg(argv, "prompts", 1_000_000)
    n_rows = _arg(argv, "rows", 20_000_000)
    res = {"simhash": bench_simhash(n_prompts)}
    log.info("simhash: %s", res["simhash"])
    if n_rows > 0:
        res["validation"] = bench_validation(n_rows, keep="--keep" in argv)
        log.info("validation: %s", res["validation"])
    return res
