"""Generate a world directory: events (hive-partitioned by date), accounts, labels, truth, manifest.

Random streams are keyed by (seed, purpose, group, block): a group's accounts by
its name, a block of ``block_accounts`` accounts by its position, so the batch
size used to bound memory never changes a single value. The world is written
into a sibling temporary directory and renamed into place when complete.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from distillguard.log import progress
from simulate import traffic
from simulate.accounts import DAY_US, Group, build_group
from simulate.config import WorldConfig
from simulate.labels import NEVER, accounts_table, labels_table, truth_table
from simulate.pools import build_pools
from simulate.prompts import Grammar
from simulate.writer import PromptCache, consolidate, events_table, sort_batch, spill

log = logging.getLogger(__name__)


def group_key(name: str) -> int:
    """Stable stream key of a group (independent of the order groups are listed in)."""
    return zlib.crc32(name.encode())


def build_groups(cfg: WorldConfig) -> tuple[list[Group], object]:
    """Pools and every group's accounts (archetypes, then campaigns)."""
    pools = build_pools(cfg, int(cfg.start.timestamp() * 1e6))
    groups = [build_group(cfg, pools, k, group_key(k), p, False) for k, p in cfg.archetypes.items()]
    groups += [build_group(cfg, pools, k, group_key(k), p, True) for k, p in cfg.campaigns.items()]
    return groups, pools


def _streams(cfg: WorldConfig, g: Group, idx: np.ndarray):
    """(activity, content, volume scale) of each traffic stream of the accounts `idx`."""
    p = g.profile
    mixed = g.mixed_share[idx]
    yield p.activity, p.content, 1.0 - mixed
    if g.is_campaign and p.mixin_archetype is not None:
        m = cfg.archetypes[p.mixin_archetype]
        yield m.activity, m.content, mixed


def generate(config: WorldConfig, out_dir: str | Path, overwrite: bool = False) -> dict:
    """Simulate the world `config` into `out_dir`; returns the manifest.

    Raises FileExistsError when `out_dir` holds files and `overwrite` is false.
    """
    cfg = config
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} is not empty; pass overwrite=True (CLI: --force)")
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "events").mkdir(parents=True)
    started = datetime.now(UTC)

    groups, pools = build_groups(cfg)
    offsets = np.cumsum([0] + [g.n for g in groups])
    all_ids = np.concatenate([g.account_id for g in groups])
    if len(np.unique(all_ids)) != len(all_ids):
        raise RuntimeError("account id collision; change the seed")
    grammar = Grammar(cfg.seed, cfg.prompts.slot_fills, cfg.prompts.paraphrases,
                      cfg.prompts.translations)  # fmt: skip
    cache = PromptCache(grammar)
    overload = np.random.default_rng([cfg.seed, 3]).random(cfg.days * 24) < (
        cfg.traffic.overload_hours_share
    )
    first_seen = {g.index: np.full(g.n, NEVER, dtype=np.int64) for g in groups}
    n_events = {g.name: 0 for g in groups}
    buffer: list[dict] = []
    buffered, batch_no = 0, 0

    def flush() -> None:
        nonlocal buffer, buffered, batch_no
        if not buffer:
            return
        batch = sort_batch({k: np.concatenate([b[k] for b in buffer]) for k in buffer[0]})
        table = events_table(batch, all_ids, pools, cache, cfg.write_prompt_text)
        spill(table, tmp / ".spill", batch_no)
        buffer, buffered, batch_no = [], 0, batch_no + 1

    blocks = [(g, b) for g in groups for b in range(-(-g.n // cfg.block_accounts))]
    with progress() as bar:
        task = bar.add_task(f"simulating {cfg.name}", total=len(blocks))
        for gi, g in enumerate(groups):
            diurnal = np.asarray(cfg.traffic.diurnal[g.profile.activity.diurnal], dtype=float)
            waves = traffic.wave_times(cfg, g, g.profile.activity, diurnal)
            for b in range(-(-g.n // cfg.block_accounts)):
                idx = np.arange(b * cfg.block_accounts, min(g.n, (b + 1) * cfg.block_accounts))
                rng = np.random.default_rng([cfg.seed, 5, g.index, b])
                for act, con, scale in _streams(cfg, g, idx):
                    ev = traffic.generate(
                        rng, cfg, pools, grammar, g, idx, act, con, scale, waves, overload
                    )
                    if ev is None:
                        continue
                    np.minimum.at(first_seen[g.index], ev["acc"], ev["ts"])
                    ev["acc"] = ev["acc"] + offsets[gi]
                    n_events[g.name] += len(ev["ts"])
                    buffer.append(ev)
                    buffered += len(ev["ts"])
                if buffered >= cfg.batch_events:
                    flush()
                bar.advance(task)
        flush()
    rows = consolidate(tmp / ".spill", tmp / "events")
    log.info("%s: %d events, %d accounts", cfg.name, rows, len(all_ids))

    pq.write_table(accounts_table(groups), tmp / "accounts.parquet")
    labels = labels_table(cfg, pools, groups, first_seen)
    pq.write_table(labels, tmp / "labels.parquet")
    pq.write_table(truth_table(groups, first_seen), tmp / "truth.parquet")
    manifest = _manifest(cfg, pools, groups, n_events, labels, started)
    (tmp / "world.json").write_text(json.dumps(manifest, indent=2, default=str))

    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return manifest


def _manifest(cfg, pools, groups, n_events, labels, started) -> dict:
    start_us = int(cfg.start.timestamp() * 1e6)
    lab = labels.to_pandas()
    labelled = set(lab["account_id"])
    counts = {}
    for g in groups:
        entry = {
            "kind": "campaign" if g.is_campaign else "archetype",
            "accounts": g.n,
            "events": n_events[g.name],
            "labelled": int(sum(a in labelled for a in g.account_id)),
        }
        if g.is_campaign:
            entry["reference_accounts"] = g.profile.reference_accounts
            entry["reference_exchanges"] = g.profile.reference_exchanges
        counts[g.name] = entry
    iso = lambda us: datetime.fromtimestamp(us / 1e6, UTC).isoformat()  # noqa: E731
    return {
        "name": cfg.name,
        "seed": cfg.seed,
        "start": iso(start_us),
        "end": iso(start_us + cfg.days * DAY_US),
        "models": {
            str(m): iso(int(r))
            for m, r in zip(pools.model_names, pools.model_release_us, strict=True)
        },
        "counts": counts,
        "generated_at": started.isoformat(),
        "config": cfg.model_dump(mode="json"),
    }
