"""Run benchmarks: ``python -m bench [NAME ...]`` (default: all).

Each bench/<name>.py exposes ``main(argv: list[str]) -> dict``; results are
written as JSON to bench/out/<name>.json together with the machine's facts,
and copied by hand, with the command, into docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

ALL = ["simulate", "features", "training", "scoring", "simhash"]
OUT = Path(__file__).resolve().parent / "out"


def machine() -> dict:
    """Facts about the machine a benchmark ran on."""
    mem_gib = None
    if hasattr(os, "sysconf"):
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpus": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main(argv: list[str]) -> int:
    from distillguard.log import setup_logging

    setup_logging("INFO")
    names = [a for a in argv if not a.startswith("-")] or ALL
    OUT.mkdir(exist_ok=True)
    for name in names:
        mod = importlib.import_module(f"bench.{name}")
        logging.getLogger("bench").info("benchmark %s", name)
        result = {"machine": machine(), "results": mod.main([a for a in argv if a.startswith("-")])}
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        logging.getLogger("bench").info("%s: %s", name, json.dumps(result["results"], default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
