"""Small contract-shaped worlds for the feature tests (no simulator needed).

A seeded mix of light legitimate users, an enterprise org behind one NAT, and one ring:
accounts made in one sign-up wave, shared /24 and client fingerprints, templated coding
prompts at a regular cadence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import pyarrow as pa

from distillguard.contract.simhash import simhash_many
from distillguard.contract.spec import schema

START = datetime(2026, 5, 1, tzinfo=UTC)


@dataclass
class SimpleInputs:
    """An Inputs-like object over in-memory tables (what load_inputs returns, minus validation)."""

    con: object
    events: ibis.Table
    accounts: ibis.Table
    labels: ibis.Table | None = None


def to_inputs(events: pa.Table, accounts: pa.Table, labels: pa.Table | None = None, con=None):
    """Register Arrow tables on a DuckDB (default) or other ibis backend."""
    con = con or ibis.duckdb.connect()
    if con.name == "duckdb":
        for name, t in (("events", events), ("accounts", accounts), ("labels", labels)):
            if t is not None:
                con.con.register(f"src_{name}", t)
        tab = {n: con.table(f"src_{n}") for n in ("events", "accounts")}
        lab = con.table("src_labels") if labels is not None else None
        return SimpleInputs(con, tab["events"], tab["accounts"], lab)
    session = con._session  # PySpark: temporary views from Arrow
    views = {}
    for name, t in (("events", events), ("accounts", accounts), ("labels", labels)):
        if t is not None:
            session.createDataFrame(t).createOrReplaceTempView(f"src_{name}")
            views[name] = con.table(f"src_{name}")
    return SimpleInputs(con, views["events"], views["accounts"], views.get("labels"))


def table(name: str, rows: list[dict]) -> pa.Table:
    """A contract table from rows (missing columns null), in contract types."""
    sch = schema(name)
    cols = {f.name: [r.get(f.name) for r in rows] for f in sch}
    return pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in sch}, schema=sch)


def make_world(
    seed: int = 0, legit: int = 30, ring: int = 8, days: int = 10
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(events, accounts, labels) of a small synthetic world."""
    rng = np.random.default_rng(seed)
    accounts, events, labels = [], [], []
    cats = ["coding", "agentic", "chat", "writing", "math", "reasoning"]
    rid = 0

    def ev(acc, ts, **kw):
        nonlocal rid
        rid += 1
        base = {
            "request_id": f"r{rid:07d}",
            "account_id": acc,
            "ts": ts,
            "model": "m-1" if ts < START + timedelta(days=5) else rng.choice(["m-1", "m-2"]),
            "input_tokens": int(rng.integers(10, 2000)),
            "output_tokens": int(rng.integers(10, 4000)),
            "status_code": int(rng.choice([200] * 20 + [429, 400])),
            "turn_index": 0,
            "stop_reason": str(rng.choice(["end_turn", "max_tokens", "tool_use", "refusal"])),
            "tools_declared": int(rng.integers(0, 3)),
            "has_system_prompt": bool(rng.integers(0, 2)),
        }
        base.update(kw)
        events.append(base)

    for i in range(legit):
        acc = f"legit-{i:03d}"
        org = "org-acme" if i < 6 else None
        created = START - timedelta(days=int(rng.integers(1, 60)), hours=int(rng.integers(0, 24)))
        accounts.append(
            dict(
                account_id=acc,
                created_at=created,
                email_domain_kind="corporate" if org else "webmail",
                payment_kind="invoice" if org else "card",
                payment_fingerprint="pay-acme" if org else f"pay-{i}",
                billing_country="US",
                signup_ip=f"10.{i}.0.1",
                tier="build",
                org_id=org,
                verification_path="enterprise_contract" if org else "standard",
            )
        )
        if i % 5 == 0:
            labels.append(dict(account_id=acc, label=0, labelled_at=START + timedelta(days=8)))
        n = int(rng.integers(3, 40))
        t = START + timedelta(hours=float(rng.uniform(0, 24 * days)))
        for k in range(n):
            t = t + timedelta(minutes=float(rng.exponential(120)))
            if t >= START + timedelta(days=days):
                break
            ip = "192.0.2.10" if org else f"198.51.{i}.{int(rng.integers(1, 5))}"
            conv = f"c-{acc}-{k // 3}"
            prompt = (
                f"please help me with {rng.choice(['essay', 'bug', 'recipe', 'poem'])} number {k}"
            )
            ev(
                acc,
                t,
                ip=ip,
                asn=100 + i,
                asn_kind="corporate" if org else "residential",
                country="US",
                tls_fingerprint=f"tls-common-{i % 3}",
                header_fingerprint=f"hdr-{i % 4}",
                user_agent="sdk/1.0",
                prompt=prompt,
                task_category=str(rng.choice(cats)),
                conversation_id=conv,
                turn_index=k % 3,
            )
    wave = START - timedelta(hours=3)
    for j in range(ring):
        acc = f"ring-{j:03d}"
        accounts.append(
            dict(
                account_id=acc,
                created_at=wave + timedelta(minutes=j),
                email_domain_kind="disposable",
                payment_kind="prepaid_card",
                payment_fingerprint=f"pp-{j % 3}",
                billing_country="US",
                signup_ip=f"203.0.113.{j + 1}",
                tier="free",
                verification_path="standard",
            )
        )
        if j < ring // 2:
            labels.append(
                dict(
                    account_id=acc,
                    label=1,
                    campaign_id="camp-A",
                    labelled_at=START + timedelta(days=6),
                )
            )
        t = START + timedelta(hours=1, minutes=j)
        for k in range(60):
            t = t + timedelta(seconds=float(600 + rng.normal(0, 5)))
            ev(
                acc,
                t,
                ip=f"203.0.113.{int(rng.integers(1, 250))}",
                asn=64500,
                asn_kind="hosting_proxy",
                country=str(rng.choice(["SG", "DE", "BR"])),
                tls_fingerprint="tls-ring",
                header_fingerprint="hdr-ring",
                user_agent="python-requests/2.31",
                prompt=f"write a python function that solves task {k % 4} step by step",
                task_category=str(rng.choice(["coding", "agentic"])),
                conversation_id=f"c-{acc}-{k}",
                stop_reason="tool_use",
                tools_declared=2,
            )
    ev_t = table("events", events)
    ev_t = ev_t.set_column(
        ev_t.schema.get_field_index("prompt_simhash"),
        "prompt_simhash",
        pa.array(simhash_many(ev_t.column("prompt")), pa.int64()),
    )
    return ev_t, table("accounts", accounts), table("labels", labels)
