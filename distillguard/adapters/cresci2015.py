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
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import AwareDatetime, BaseModel, ConfigDict

from distillguard.config import StrictModel, load_config
from distillguard.contract import spec
from distillguard.contract.simhash import simhash_many

log = logging.getLogger(__name__)

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


def _read(path: Path, columns: tuple[str, ...]) -> pa.Table:
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


def _prepare_out(out: Path) -> Path:
    """A fresh staging folder next to `out`; refuses to replace anything but a cresci2015 world."""
    if out.exists() and any(out.iterdir()):
        manifest = out / "world.json"
        name = json.loads(manifest.read_text()).get("name") if manifest.exists() else None
        if name != NAME:
            raise FileExistsError(f"{out} exists and is not a {NAME} world; choose another --out")
    staging = out.with_name(out.name + ".importing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts(dropna=True).sort_index().items()}


# Code whose change changes the imported tables: a world imported by other code is stale.
FINGERPRINT_CODE = ("adapters/cresci2015.py", "contract/simhash.py", "contract/spec.py")
WORLD_FILES = ("events/part-0.parquet", "accounts.parquet", "labels.parquet", "truth.parquet")


def fingerprint(src_dir: str | Path, cfg: Cresci2015Config) -> dict:
    """What an import depends on: source files (size, mtime), constants and the mapping code.

    Recorded in world.json; :func:`is_current` compares it to skip an identical re-import.
    """
    src_dir = Path(src_dir)
    package = Path(__file__).resolve().parents[1]
    files = {}
    for name in (SOURCE_ACCOUNTS, SOURCE_EVENTS):
        st = (src_dir / name).stat()
        files[name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    code = hashlib.sha256()
    for rel in FINGERPRINT_CODE:
        code.update((package / rel).read_bytes())
    return {
        "source": files,
        "config": cfg.model_dump(mode="json"),
        "code_sha256": code.hexdigest(),
    }


def is_current(src_dir: str | Path, out: str | Path, cfg: Cresci2015Config) -> bool:
    """Whether `out` is a complete cresci2015 world imported from the same source, constants
    and code (same :func:`fingerprint`); False whenever the source cannot be read."""
    out = Path(out)
    manifest = out / "world.json"
    if not manifest.exists() or not all((out / f).exists() for f in WORLD_FILES):
        return False
    try:
        recorded = json.loads(manifest.read_text())
        return recorded.get("name") == NAME and recorded.get("fingerprint") == fingerprint(
            src_dir, cfg
        )
    except (OSError, ValueError):
        return False


def import_cresci2015(src_dir: str | Path, out: str | Path, cfg: Cresci2015Config) -> dict:
    """Write the Cresci-2015 event-log copy at `src_dir` as a world directory at `out`.

    Args:
        src_dir: folder holding the dataset's accounts.parquet and events.parquet.
        out: world directory to write (replaced if it is an earlier cresci2015 world).
        cfg: the adapter's documented constants.

    Returns:
        The manifest written to out/world.json (row counts reconcile with the source).
    """
    src_dir, out = Path(src_dir), Path(out)
    acc_src = _read(src_dir / SOURCE_ACCOUNTS, ACCOUNT_COLUMNS).to_pandas()
    ev_src = _read(src_dir / SOURCE_EVENTS, EVENT_COLUMNS)
    orphans = pc.sum(pc.invert(pc.is_in(ev_src["account_id"], pa.array(acc_src["account_id"]))))
    if orphans.as_py():
        raise SourceError(f"events: {orphans.as_py()} tweet(s) of accounts not in accounts.parquet")
    accounts, flags = map_accounts(acc_src, cfg)
    labels = map_labels(acc_src, cfg)
    events = map_events(ev_src, cfg)
    end = pc.max(events["ts"]).as_py()
    if cfg.labelled_at <= end:
        raise SourceError(
            f"adapter.labelled_at {cfg.labelled_at} must be after the last tweet {end}"
        )
    staging = _prepare_out(out)
    (staging / "events").mkdir()
    pq.write_table(events, staging / "events" / "part-0.parquet", row_group_size=ROW_GROUP)
    pq.write_table(accounts, staging / "accounts.parquet")
    pq.write_table(labels, staging / "labels.parquet")
    pq.write_table(map_truth(acc_src, flags), staging / "truth.parquet")
    n_events = acc_src.set_index("account_id")["n_events_kept"]
    fake = acc_src["label"] == "fake_follower"
    manifest = {
        "name": NAME,
        "seed": None,
        "start": pc.min(events["ts"]).as_py().isoformat(),
        "end": end.isoformat(),
        "model_releases": {},
        "counts": {
            "archetype": _counts(acc_src["group"].where(~fake, "campaign")),
            "campaign": _counts(acc_src.loc[fake, "campaign"]),
            "group": _counts(acc_src["group"]),
            "events": events.num_rows,
            "accounts": accounts.num_rows,
            "labels": labels.num_rows,
            "accounts_without_profile": _counts(acc_src.loc[~flags["has_profile"], "group"]),
            "accounts_without_events": _counts(acc_src.loc[n_events.to_numpy() == 0, "group"]),
        },
        "config": cfg.model_dump(mode="json"),
        "source": {
            "path": str(src_dir.resolve()),
            "events_rows": ev_src.num_rows,
            "accounts_rows": len(acc_src),
            "paper": "Cresci et al., Fame for sale, Decision Support Systems 80 (2015)",
        },
        "fingerprint": fingerprint(src_dir, cfg),
        "imported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    (staging / "world.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    log.info(
        "cresci2015: %d tweets, %d accounts (%d without profile) -> %s",
        events.num_rows,
        accounts.num_rows,
        int((~flags["has_profile"]).sum()),
        out,
    )
    return manifest
