"""Cresci-2015 "Fame for sale" fake followers -> a distillguard world directory.

Source: ../shared/external/cresci-2015/ (accounts.parquet, events.parquet; see
its README for origin and terms). Mapping, documented in
docs/external-validation.md:

- a tweet is an exchange: request_id = tweet_id, ts = created_at_utc,
  model = event_type (tweet / retweet / reply), prompt = text;
- input_tokens = number of ``[a-z0-9]+`` tokens in the lower-cased text (the
  contract's SimHash tokeniser); output_tokens and status_code get the
  documented constants of :class:`Cresci2015Config` (no response and no failure
  exist in the data); ip = :func:`account_ip`, one private address per account
  that no other account shares (the data says nothing about infrastructure, so
  none is implied); every optional events column is null;
- accounts.created_at = profile creation time. 1,401 fakes have no profile:
  they get the documented sentinel ``missing_created_at`` and
  truth.parquet's ``has_profile_metadata`` = False; the external runner never
  lets a model see account age for them (see training/external/runner.py);
- labels: humans 0, fakes 1 with the vendor (FSF, INT, TWT) as campaign_id,
  labelled_at = the fixed ``labelled_at`` after the data ends.

This module holds the mapping (constants, config, one function per table);
:mod:`distillguard.adapters.cresci2015_world` reads the source and writes the world.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import AwareDatetime, BaseModel, ConfigDict

from distillguard.config import StrictModel, load_config
from distillguard.contract import spec
from distillguard.contract.simhash import simhash_many

NAME = "cresci2015"
SOURCE_ACCOUNTS = "accounts.parquet"
SOURCE_EVENTS = "events.parquet"
ACCOUNT_COLUMNS = (
    "account_id",
    "group",
    "label",
    "campaign",
    "n_events_total",
    "n_events_kept",
    "has_profile_metadata",
    "profile_created_at",
)
EVENT_COLUMNS = ("account_id", "tweet_id", "created_at_utc", "event_type", "text")
SOURCE_LABELS = {"human": 0, "fake_follower": 1}
PROFILE_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"
# One events file, not one hive partition per day: 1,607 day partitions made every
# load_world take ~78 s against ~5 s for one file (measured on this machine).
ROW_GROUP = 100_000


class Cresci2015Config(StrictModel):
    """Constants and stand-ins of the Cresci-2015 adapter (configs/cresci2015.yaml `adapter`).

    Attributes:
        output_tokens: constant for the required `output_tokens` (no response exists).
        status_code: constant for the required `status_code` (a stored tweet succeeded).
        token_pattern: regex whose matches in the lower-cased text count as input_tokens.
        missing_created_at: sign-up sentinel for accounts without profile metadata.
        labelled_at: when every label becomes known; must be after the last tweet.
    """

    output_tokens: int
    status_code: int
    token_pattern: str
    missing_created_at: AwareDatetime
    labelled_at: AwareDatetime


class _AdapterSection(BaseModel):
    """Reads only the `adapter` section of configs/cresci2015.yaml."""

    model_config = ConfigDict(extra="ignore")
    adapter: Cresci2015Config


class SourceError(ValueError):
    """The source files do not look like the Cresci-2015 event-log copy."""


def load_adapter_config(path: str | Path) -> Cresci2015Config:
    """Load the `adapter` section of a cresci2015 config file."""
    return load_config(path, _AdapterSection).adapter


def read_source(path: Path, columns: tuple[str, ...]) -> pa.Table:
    """Read `columns` of a source Parquet file; a clear error names file and missing columns."""
    if not path.exists():
        raise SourceError(f"{path}: source file not found")
    names = set(pq.read_schema(path).names)
    missing = [c for c in columns if c not in names]
    if missing:
        raise SourceError(f"{path}: missing source column(s) {missing}; has {sorted(names)}")
    return pq.read_table(path, columns=list(columns))


def _account_ips(account_ids: pa.ChunkedArray) -> pa.Array:
    uniq = pc.unique(account_ids)
    ips = pa.array([account_ip(a) for a in uniq.to_pylist()], pa.string())
    return pc.take(ips, pc.index_in(account_ids, value_set=uniq))


def _nulls(n: int, typ: pa.DataType) -> pa.Array:
    return pa.nulls(n, type=typ)


def map_accounts(src: pd.DataFrame, cfg: Cresci2015Config) -> tuple[pa.Table, pd.DataFrame]:
    """Contract accounts table and the per-account profile flag.

    Returns the accounts table (created_at = profile creation time, sentinel where
    the account has no profile) and a frame account_id, has_profile_metadata.
    Raises SourceError when an account flagged as having a profile has an
    unreadable creation time.
    """
    if not src["account_id"].is_unique:
        dup = src.loc[src["account_id"].duplicated(), "account_id"].head(5).tolist()
        raise SourceError(f"accounts: account_id not unique, e.g. {dup}")
    created = pd.to_datetime(src["profile_created_at"], format=PROFILE_TIME_FORMAT, errors="coerce")
    has_profile = src["has_profile_metadata"].astype(int) == 1
    bad = has_profile & created.isna()
    if bad.any():
        rows = src.loc[bad, ["account_id", "profile_created_at"]].head(5).to_dict("records")
        raise SourceError(
            f"accounts.profile_created_at: unreadable for {int(bad.sum())} account(s) "
            f"with has_profile_metadata=1 (format {PROFILE_TIME_FORMAT!r}), e.g. {rows}"
        )
    created = created.dt.tz_convert("UTC").where(has_profile, pd.Timestamp(cfg.missing_created_at))
    n = len(src)
    cols = {
        "account_id": pa.array(src["account_id"].astype(str).tolist(), pa.string()),
        "created_at": pa.array(created.dt.tz_convert("UTC"), spec.TS),
    }
    table = pa.table(
        {c.name: cols.get(c.name, _nulls(n, c.type)) for c in spec.ACCOUNTS},
        schema=spec.schema("accounts"),
    )
    flags = pd.DataFrame({"account_id": src["account_id"].astype(str), "has_profile": has_profile})
    return table, flags


def map_labels(src: pd.DataFrame, cfg: Cresci2015Config) -> pa.Table:
    """Contract labels: humans 0, fake followers 1 with their vendor as campaign_id."""
    unknown = ~src["label"].isin(list(SOURCE_LABELS))
    if unknown.any():
        rows = src.loc[unknown, ["account_id", "label"]].head(5).to_dict("records")
        raise SourceError(f"accounts.label: expected {sorted(SOURCE_LABELS)}, e.g. {rows}")
    label = src["label"].map(SOURCE_LABELS).astype("int8")
    campaign = src["campaign"].astype(object).where(label == 1, None)
    no_vendor = (label == 1) & campaign.isna()
    if no_vendor.any():
        rows = src.loc[no_vendor, ["account_id", "group"]].head(5).to_dict("records")
        raise SourceError(f"accounts.campaign: a fake follower without vendor, e.g. {rows}")
    n = len(src)
    return pa.table(
        {
            "account_id": pa.array(src["account_id"].astype(str).tolist(), pa.string()),
            "label": pa.array(label.to_numpy(), pa.int8()),
            "campaign_id": pa.array(campaign.tolist(), pa.string()),
            "labelled_at": pa.array([cfg.labelled_at] * n, spec.TS),
        },
        schema=spec.schema("labels"),
    )


def account_ip(account_id: str) -> str:
    """A stand-in client address unique to the account: never shared, so never a link.

    IPv6 unique-local (fd00::/8) with a 40-bit global ID = BLAKE2b of the account id,
    written uncompressed so each account has its own /48 (the features' prefix unit).
    Derived from the id alone: carries nothing about the label, the group or row order.
    """
    h = hashlib.blake2b(account_id.encode(), digest_size=5).digest()
    return f"fd{h[0]:02x}:{h[1]:02x}{h[2]:02x}:{h[3]:02x}{h[4]:02x}::1"


def map_events(src: pa.Table, cfg: Cresci2015Config) -> pa.Table:
    """Contract events from tweets, sorted by time, SimHash filled (the contract's own)."""
    n = src.num_rows
    text = src["text"].cast(pa.string())
    tokens = pc.count_substring_regex(pc.utf8_lower(text), cfg.token_pattern)
    ts = src["created_at_utc"].cast(spec.TS)
    cols = {
        "request_id": src["tweet_id"].cast(pa.string()),
        "account_id": src["account_id"].cast(pa.string()),
        "ts": ts,
        "model": src["event_type"].cast(pa.string()),
        "ip": _account_ips(src["account_id"].cast(pa.string())),
        "input_tokens": pc.fill_null(tokens, 0).cast(pa.int32()),
        "output_tokens": pa.array([cfg.output_tokens] * n, pa.int32()),
        "status_code": pa.array([cfg.status_code] * n, pa.int16()),
        "prompt": text,
        "prompt_simhash": pa.array(simhash_many(text), pa.int64()),
    }
    table = pa.table(
        {c.name: cols.get(c.name, _nulls(n, c.type)) for c in spec.EVENTS},
        schema=spec.schema("events"),
    )
    return table.sort_by([("ts", "ascending"), ("request_id", "ascending")])


def map_truth(src: pd.DataFrame, flags: pd.DataFrame) -> pa.Table:
    """Evaluation-only truth: archetype (human group or "campaign"), vendor, profile flag."""
    fake = src["label"] == "fake_follower"
    return pa.Table.from_pandas(
        pd.DataFrame(
            {
                "account_id": src["account_id"].astype(str),
                "archetype": src["group"].astype(str).where(~fake, "campaign"),
                "campaign_id": src["campaign"].astype(object).where(fake, None),
                "org_id": pd.Series([None] * len(src), dtype=object),
                "group": src["group"].astype(str),
                "has_profile_metadata": flags["has_profile"].to_numpy(),
                "n_events_total": src["n_events_total"].astype("int64"),
            }
        ),
        preserve_index=False,
    )
