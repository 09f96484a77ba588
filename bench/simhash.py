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


class Timer:
    """Wall and CPU seconds (all threads of this process, DuckDB's included) of a block."""

    def __enter__(self) -> Timer:
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = round(time.perf_counter() - self.w0, 1)
        self.cpu = round(time.process_time() - self.c0, 1)


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
    """Time simhash_many (cold and warm cache) and per-prompt simhash; wall and CPU."""
    from distillguard.contract import simhash as sh

    prompts = make_prompts(n)
    sh._shingle_cache.clear()
    sh.simhash_many(prompts[:100])  # imports (scipy.sparse) out of the timing
    sh._shingle_cache.clear()
    with Timer() as cold:
        first = sh.simhash_many(prompts)
    with Timer() as warm:
        again = sh.simhash_many(prompts)
    assert np.array_equal(first, again)
    sample = prompts[:20_000]
    sh._shingle_cache.clear()
    with Timer() as one:
        single = [sh.simhash(p) for p in sample]
    assert single == first[: len(sample)].tolist()
    return {
        "prompts": n,
        "distinct_prompts": len(set(prompts)),
        "many_cold": {"wall_s": cold.wall, "cpu_s": cold.cpu},
        "many_warm": {"wall_s": warm.wall, "cpu_s": warm.cpu},
        "many_cold_prompts_per_min_cpu": int(n / max(cold.cpu, 1e-9) * 60),
        "many_warm_prompts_per_min_cpu": int(n / max(warm.cpu, 1e-9) * 60),
        "many_cold_prompts_per_min_wall": int(n / max(cold.wall, 1e-9) * 60),
        "single_prompts_per_min_cpu": int(len(sample) / max(one.cpu, 1e-9) * 60),
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
    out: dict = {"rows": rows, "accounts": accounts}
    try:
        with Timer() as t:
            write_world(good, rows, accounts)
            make_bad(good, bad)
        out["write"] = {"wall_s": t.wall, "cpu_s": t.cpu}
        for engine in ("aggregate", "pandera"):
            with Timer() as t:
                inputs = load_inputs(
                    good / "events",
                    good / "accounts.parquet",
                    config=ContractConfig(strict_engine=engine),
                )
            out[f"strict_{engine}"] = {"wall_s": t.wall, "cpu_s": t.cpu}
        out["simhash_filled"] = inputs.report.tables["events"].simhash_filled
        ev = inputs.events
        with Timer() as t:
            agg = ev.aggregate(
                n=ev.count(), tok=ev.input_tokens.sum(), sh=ev.prompt_simhash.isnull().sum()
            ).to_pyarrow()
        out["scan_events_with_simhash_fill"] = {"wall_s": t.wall, "cpu_s": t.cpu}
        assert agg["n"][0].as_py() == rows and agg["sh"][0].as_py() == 0
        with Timer() as t:
            ev.aggregate(n=ev.count(), tok=ev.input_tokens.sum()).to_pyarrow()
        out["scan_events_without_simhash"] = {"wall_s": t.wall, "cpu_s": t.cpu}
        with Timer() as t:
            q = load_inputs(
                bad / "events",
                bad / "accounts.parquet",
                on_error="quarantine",
                quarantine_dir=DATA / "quarantine",
            )
        out["quarantine"] = {"wall_s": t.wall, "cpu_s": t.cpu}
        rep = q.report.tables["events"]
        out["quarantine_counts"] = {"read": rep.read, "accepted": rep.accepted, **rep.by_rule}
        assert rep.by_rule == PLANTED and rep.read == rows + 1000
        qe = q.events
        with Timer() as t:
            qe.aggregate(n=qe.count(), tok=qe.input_tokens.sum()).to_pyarrow()
        out["scan_quarantine_accepted_events"] = {"wall_s": t.wall, "cpu_s": t.cpu}
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
