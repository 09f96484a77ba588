"""Account-level features as of a cutoff, from contract event logs, on DuckDB or Spark via Ibis.

Public interface: :func:`build_features`, :func:`build_snapshots`, ``FEATURE_SET_VERSION``;
``features.catalogue.feature_columns``; ``features.cohort.link_edges`` (rings).
"""

from __future__ import annotations

FEATURE_SET_VERSION = "1.1"

__all__ = ["FEATURE_SET_VERSION", "build_features", "build_snapshots"]


def __getattr__(name: str):
    # Lazy so that `import features` stays light (ibis is imported on first use).
    if name == "build_features":
        from features.build import build_features

        return build_features
    if name == "build_snapshots":
        from features.snapshots import build_snapshots

        return build_snapshots
    raise AttributeError(f"module 'features' has no attribute {name!r}")
