"""The input contract (../shared/data-contract.md, v1) as data.

Every reader, validator and writer in distillguard takes its column names,
types and optionality from here, so the contract is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

CONTRACT_VERSION = "1"
TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    """One contract column: name, Arrow type, whether it is required, and its allowed values."""

    name: str
    type: pa.DataType
    required: bool
    allowed: tuple[str, ...] | None = None


ASN_KINDS = (
    "residential",
    "mobile",
    "datacenter",
    "hosting_proxy",
    "education",
    "corporate",
    "unknown",
)
TASK_CATEGORIES = (
    "coding",
    "agentic",
    "reasoning",
    "math",
    "writing",
    "chat",
    "vision",
    "other",
)
STOP_REASONS = ("end_turn", "max_tokens", "tool_use", "refusal", "stop_sequence")
EMAIL_DOMAIN_KINDS = ("corporate", "webmail", "disposable", "education", "unknown")
PAYMENT_KINDS = ("card", "prepaid_card", "virtual_card", "invoice", "none")
TIERS = ("free", "build", "scale", "enterprise")
VERIFICATION_PATHS = (
    "standard",
    "education",
    "security_research",
    "startup_program",
    "enterprise_contract",
)

EVENTS: tuple[Column, ...] = (
    Column("request_id", pa.string(), True),
    Column("account_id", pa.string(), True),
    Column("ts", TS, True),
    Column("model", pa.string(), True),
    Column("ip", pa.string(), True),
    Column("input_tokens", pa.int32(), True),
    Column("output_tokens", pa.int32(), True),
    Column("status_code", pa.int16(), True),
    Column("conversation_id", pa.string(), False),
    Column("turn_index", pa.int32(), False),
    Column("asn", pa.int64(), False),
    Column("asn_kind", pa.string(), False, ASN_KINDS),
    Column("country", pa.string(), False),
    Column("tls_fingerprint", pa.string(), False),
    Column("header_fingerprint", pa.string(), False),
    Column("user_agent", pa.string(), False),
    Column("prompt", pa.string(), False),
    Column("prompt_simhash", pa.int64(), False),
    Column("task_category", pa.string(), False, TASK_CATEGORIES),
    Column("stop_reason", pa.string(), False, STOP_REASONS),
    Column("latency_ms", pa.int32(), False),
    Column("tools_declared", pa.int16(), False),
    Column("has_system_prompt", pa.bool_(), False),
)

ACCOUNTS: tuple[Column, ...] = (
    Column("account_id", pa.string(), True),
    Column("created_at", TS, True),
    Column("email_domain", pa.string(), False),
    Column("email_domain_kind", pa.string(), False, EMAIL_DOMAIN_KINDS),
    Column("payment_kind", pa.string(), False, PAYMENT_KINDS),
    Column("payment_fingerprint", pa.string(), False),
    Column("billing_country", pa.string(), False),
    Column("signup_ip", pa.string(), False),
    Column("signup_asn_kind", pa.string(), False, ASN_KINDS),
    Column("tier", pa.string(), False, TIERS),
    Column("org_id", pa.string(), False),
    Column("verification_path", pa.string(), False, VERIFICATION_PATHS),
)

LABELS: tuple[Column, ...] = (
    Column("account_id", pa.string(), True),
    Column("label", pa.int8(), True),
    Column("campaign_id", pa.string(), False),
    Column("labelled_at", TS, True),
)

# What a value outside an enumerated set becomes under the default "map" policy
# (configs/contract.yaml: enum_policy): the set's catch-all where it has one,
# else null (= not known; every enumerated column is optional).
ENUM_FALLBACK: dict[str, str | None] = {
    "asn_kind": "unknown",
    "signup_asn_kind": "unknown",
    "email_domain_kind": "unknown",
    "task_category": "other",
    "stop_reason": None,
    "payment_kind": None,
    "tier": None,
    "verification_path": None,
}

# Columns whose values must be unique within their table.
KEYS: dict[str, str] = {"events": "request_id", "accounts": "account_id", "labels": "account_id"}

TABLES: dict[str, tuple[Column, ...]] = {"events": EVENTS, "accounts": ACCOUNTS, "labels": LABELS}


def schema(table: str) -> pa.Schema:
    """The full Arrow schema of a contract table, optional columns included."""
    return pa.schema([pa.field(c.name, c.type, nullable=not c.required) for c in TABLES[table]])


def required(table: str) -> list[str]:
    """Names of the required columns of a contract table."""
    return [c.name for c in TABLES[table] if c.required]
