"""Benchmark: world generation time and peak memory (``python -m bench simulate [--world=demo]``).

Runs ``distillguard simulate`` in a child process into a temporary directory and
reports wall time, CPU time, peak RSS of the child, and the world's size.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(world: str, keep: Path | None = None) -> dict:
    """Generate configs/world/<world>.yaml once; returns the measurements."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-sim-{world}-", dir=ROOT / "data"))
    out = keep or tmp / "world"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [str(Path(sys.executable).parent / "distillguard"), "--log-level", "WARNING",
           "simulate", "--config", str(ROOT / "configs" / "world" / f"{world}.yaml"),
           "--out", str(out), "--force"]  # fmt: skip
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = json.loads((out / "world.json").read_text())
    result = {
        "world": world,
        "accounts": sum(c["accounts"] for c in m["counts"].values()),
        "events": sum(c["events"] for c in m["counts"].values()),
        "wall_s": round(wall, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "peak_rss_gb": round(after.ru_maxrss / 2**20, 2),
        "disk_gb": round(sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**30, 2),
    }
    result["events_per_cpu_s"] = round(result["events"] / max(result["cpu_s"], 1e-9))
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def main(argv: list[str]) -> dict:
    """``--world=NAME`` (repeatable; default demo)."""
    worlds = [a.split("=", 1)[1] for a in argv if a.startswith("--world=")] or ["demo"]
    return {w: run(w) for w in worlds}
