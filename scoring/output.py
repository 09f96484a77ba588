"""Atomic output: write the scores table to a temporary file beside the target, then rename."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)


def write_atomic(
    df: pd.DataFrame, path: str | Path, metadata: dict[str, str] | None = None
) -> Path:
    """Write `df` as Parquet at `path` so readers see the old file or the whole new one.

    The table goes to a temporary file in the same directory (same filesystem), is flushed
    and fsynced, and replaces `path` with one atomic rename; on any error the temporary file
    is removed and `path` is untouched.

    Args:
        df: the table.
        path: destination (.parquet).
        metadata: key/value strings stored in the Parquet schema metadata (as-of, model, ...).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    if metadata:
        meta = dict(table.schema.metadata or {})
        meta.update({f"distillguard.{k}".encode(): str(v).encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(meta)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("wrote %d rows to %s", len(df), path)
    return path
