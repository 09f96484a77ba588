"""The world directory layout (what `distillguard simulate --out DIR` writes).

- ``DIR/events/``: events, Parquet, hive-partitioned ``date=YYYY-MM-DD/part-*.parquet``
  (a single ``DIR/events.parquet`` is accepted too);
- ``DIR/accounts.parquet`` and ``DIR/labels.parquet``: contract tables (labels optional);
- ``DIR/truth.parquet``: simulator ground truth, not part of the contract (optional);
- ``DIR/world.json``: the manifest (optional).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class WorldError(FileNotFoundError):
    """A world directory without its required events or accounts."""


def _find(root: Path, stem: str) -> Path | None:
    """``root/stem/`` (a directory of Parquet) or ``root/stem.parquet``, whichever exists."""
    for p in (root / stem, root / f"{stem}.parquet"):
        if p.is_dir() and any(p.rglob("*.parquet")):
            return p
        if p.is_file():
            return p
    return None


@dataclass(frozen=True)
class WorldPaths:
    """Where a world directory's tables are.

    Attributes:
        root: the world directory.
        events: events directory or file.
        accounts: accounts file or directory.
        labels: labels, or None when the world has none.
        truth: simulator ground truth, or None.
        manifest: the parsed world.json, or None.
    """

    root: Path
    events: Path
    accounts: Path
    labels: Path | None
    truth: Path | None
    manifest: dict[str, Any] | None

    @classmethod
    def from_dir(cls, world_dir: str | Path) -> WorldPaths:
        """Resolve a world directory's paths.

        Raises:
            WorldError: the directory, its events or its accounts are missing.
        """
        root = Path(world_dir)
        if not root.is_dir():
            raise WorldError(f"world directory not found: {root}")
        events, accounts = _find(root, "events"), _find(root, "accounts")
        missing = [n for n, p in (("events", events), ("accounts", accounts)) if p is None]
        if missing:
            raise WorldError(
                f"world {root}: missing {', '.join(missing)} (expected events/ with "
                "*.parquet and accounts.parquet)"
            )
        mf = root / "world.json"
        manifest = json.loads(mf.read_text()) if mf.is_file() else None
        return cls(root, events, accounts, _find(root, "labels"), _find(root, "truth"), manifest)
