"""Writing the Cresci-2015 world directory: staging, manifest, and the re-import fingerprint.

The mapping of every column lives in :mod:`distillguard.adapters.cresci2015`; this module
reads the source, applies it, checks that counts reconcile, and writes events/,
accounts.parquet, labels.parquet, truth.parquet and world.json atomically (a staging folder
renamed into place). A world imported by the same source files, constants and mapping code
is recognised (:func:`is_current`) so `make external` skips an identical re-import.
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

from distillguard.adapters.cresci2015 import (
    ACCOUNT_COLUMNS,
    EVENT_COLUMNS,
    NAME,
    ROW_GROUP,
    SOURCE_ACCOUNTS,
    SOURCE_EVENTS,
    Cresci2015Config,
    SourceError,
    map_accounts,
    map_events,
    map_labels,
    map_truth,
    read_source,
)

log = logging.getLogger(__name__)


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
FINGERPRINT_CODE = (
    "adapters/cresci2015.py",
    "adapters/cresci2015_world.py",
    "contract/simhash.py",
    "contract/spec.py",
)
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
    acc_src = read_source(src_dir / SOURCE_ACCOUNTS, ACCOUNT_COLUMNS).to_pandas()
    ev_src = read_source(src_dir / SOURCE_EVENTS, EVENT_COLUMNS)
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
