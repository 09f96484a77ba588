"""Arrow tables from generated batches, spilled to disk and consolidated per date.

Batches are spilled to ``DIR/.spill/date=YYYY-MM-DD/b<batch>.parquet``; at the
end every date's spills are read, sorted by (ts, request_id) and written as one
``DIR/events/date=YYYY-MM-DD/part-0.parquet``. The sort makes the output
independent of generation order and batch size, and leaves no trace of which
group (archetype, campaign) produced a row.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.contract.simhash import simhash_many
from distillguard.contract.spec import schema
from simulate.pools import Pools, ip_strings
from simulate.prompts import Grammar
from simulate.traffic import CATS, STOPS

log = logging.getLogger(__name__)
WRITE = {"compression": "zstd", "row_group_size": 256_000}
_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def hex_ids(prefix: str, words: np.ndarray) -> pa.Array:
    """Opaque ids: prefix + hex of the int64 words of each row (words: (n,) or (n, k))."""
    w = np.ascontiguousarray(words.reshape(len(words), -1).astype(">i8"))
    nchar = 16 * w.shape[1]
    raw = _HEX[w.view(np.uint8)].view(f"S{nchar}").reshape(-1)
    return pc.binary_join_element_wise(prefix, pa.array(raw).cast(pa.string()), "")


def dict_col(codes: np.ndarray, dictionary, mask: np.ndarray | None = None) -> pa.Array:
    """A plain string column from integer codes into `dictionary` (nulls where mask)."""
    ind = pa.array(codes.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(ind, pa.array(dictionary, pa.string())).cast(pa.string())


class PromptCache:
    """Rendered text and SimHash of every prompt id seen so far."""

    def __init__(self, grammar: Grammar):
        self.grammar = grammar
        self.ids = np.empty(0, dtype=np.int64)
        self.text: list[str] = []
        self.hash = np.empty(0, dtype=np.int64)

    def lookup(self, pids: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Codes into the cache for `pids`, with the cache's texts and hashes."""
        uniq = np.unique(pids)
        new = np.setdiff1d(uniq, self.ids, assume_unique=True)
        if len(new):
            texts = self.grammar.render_many(new)
            hashes = simhash_many(texts)
            ids = np.concatenate([self.ids, new])
            order = np.argsort(ids, kind="stable")
            combined = self.text + texts
            self.text = [combined[i] for i in order.tolist()]
            self.hash = np.concatenate([self.hash, hashes])[order]
            self.ids = ids[order]
        return np.searchsorted(self.ids, pids), self.text, self.hash


def events_table(
    batch: dict[str, np.ndarray],
    account_ids: np.ndarray,
    pools: Pools,
    prompts: PromptCache,
    write_text: bool,
) -> pa.Table:
    """Build the contract events table of a batch (`acc` indexes `account_ids`)."""
    ip = pools.asn_base[batch["asn"]] + batch["host"].astype(np.uint32)
    codes, texts, hashes = prompts.lookup(batch["prompt"])
    acc_u, acc_inv = np.unique(batch["acc"], return_inverse=True)
    stop = batch["stop"]
    cols = {
        "request_id": hex_ids("req_", batch["rid"]),
        "account_id": dict_col(acc_inv, account_ids[acc_u].tolist()),
        "ts": pa.array(batch["ts"], pa.timestamp("us", tz="UTC")),
        "model": dict_col(batch["model"], pools.model_names.tolist()),
        "ip": pa.array(ip_strings(ip).tolist(), pa.string()),
        "input_tokens": pa.array(batch["in"], pa.int32()),
        "output_tokens": pa.array(batch["out"], pa.int32()),
        "status_code": pa.array(batch["status"], pa.int16()),
        "conversation_id": hex_ids("conv_", batch["conv"]),
        "turn_index": pa.array(batch["turn"], pa.int32()),
        "asn": pa.array(pools.asn[batch["asn"]], pa.int64()),
        "asn_kind": dict_col(batch["asn"], pools.asn_kind.tolist()),
        "country": dict_col(pools.asn_country[batch["asn"]], pools.countries.tolist()),
        "tls_fingerprint": dict_col(batch["client"], pools.client_tls.tolist()),
        "header_fingerprint": dict_col(batch["client"], pools.client_header.tolist()),
        "user_agent": dict_col(batch["ua"], pools.client_ua.tolist()),
        "prompt": dict_col(codes, texts) if write_text else pa.nulls(len(codes), pa.string()),
        "prompt_simhash": pa.array(hashes[codes], pa.int64()),
        "task_category": dict_col(batch["cat"], list(CATS)),
        "stop_reason": dict_col(np.maximum(stop, 0), list(STOPS), mask=stop < 0),
        "latency_ms": pa.array(batch["latency"], pa.int32()),
        "tools_declared": pa.array(batch["tools"], pa.int16()),
        "has_system_prompt": pa.array(batch["sys"], pa.bool_()),
    }
    return pa.table(cols, schema=schema("events"))


def sort_batch(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The batch ordered by (ts, request id), the order of the written files."""
    rid = batch["rid"]
    order = np.lexsort((rid[:, 1], rid[:, 0], batch["ts"]))
    return {k: v[order] for k, v in batch.items()}


def spill(table: pa.Table, spill_dir: Path, batch_no: int) -> None:
    """Write one (sorted) batch's events into per-date spill files."""
    day = pc.cast(table["ts"], pa.int64()).to_numpy() // 86_400_000_000
    bounds = np.flatnonzero(np.r_[True, day[1:] != day[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        part = table.slice(int(a), int(b - a))
        date = part["ts"][0].as_py().date().isoformat()
        d = spill_dir / f"date={date}"
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, d / f"b{batch_no:05d}.parquet", **WRITE)


def consolidate(spill_dir: Path, events_dir: Path) -> int:
    """Merge each date's spills into one time-sorted file; returns the number of rows."""
    rows = 0
    events_dir.mkdir(parents=True, exist_ok=True)
    for d in sorted(p for p in spill_dir.iterdir() if p.is_dir()):
        files = sorted(d.glob("*.parquet"))
        out = events_dir / d.name
        out.mkdir(parents=True, exist_ok=True)
        if len(files) == 1:  # already sorted: move it
            rows += pq.ParquetFile(files[0]).metadata.num_rows
            files[0].rename(out / "part-0.parquet")
        else:
            t = pa.concat_tables([pq.read_table(f) for f in files])
            t = t.sort_by([("ts", "ascending"), ("request_id", "ascending")])
            pq.write_table(t, out / "part-0.parquet", **WRITE)
            rows += t.num_rows
            del t
        shutil.rmtree(d)
    shutil.rmtree(spill_dir)
    return rows
