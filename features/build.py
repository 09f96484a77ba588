"""build_features: one row per account active in the window, every family joined.

Each family is a pure function ``build(tables, as_of, window, cfg)`` returning an
account-level ibis table (cohort returns pandas: its graph part runs on the fetched
incidence list). Families run one query each against the materialised window, so the
event log is scanned once per cutoff.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import numpy as np
import pandas as pd

from features import account, adoption, cadence, cohort, content, infrastructure, volume
from features.catalogue import Spec, all_specs
from features.config import FeatureConfig, resolve
from features.frame import prepare, tables_at, to_utc
from features.passes import Prepared, Tables

log = logging.getLogger(__name__)

FAMILY_MODULES = (volume, cadence, content, infrastructure, account, adoption, cohort)
# Families whose value for an account reads only that account's rows (plus cutoff-wide
# first appearances): a snapshot pass runs them on the accounts due at the cutoff only.
# Every other family (population-relative: rarity, cohort, ...) sees the whole window.
PER_ACCOUNT = (volume, cadence, content, account, adoption)


def _needs_available(spec: Spec, available: frozenset[str]) -> bool:
    """Whether every optional contract column a feature reads has at least one value."""
    return all(n.split(".", 1)[1] in available or _required(n) for n in spec.needs)


def _required(qualified: str) -> bool:
    from distillguard.contract.spec import TABLES

    table, col = qualified.split(".", 1)
    return any(c.name == col and c.required for c in TABLES.get(table, ()))


def finalize(
    df: pd.DataFrame, label: str, available: frozenset[str], cfg: FeatureConfig
) -> pd.DataFrame:
    """Order columns as the catalogue, floats for numerics, fixed-category categoricals.

    Features whose optional input columns are absent from the data are set to null.
    """
    out = {"account_id": df["account_id"].astype(str).to_numpy()}
    for spec in all_specs(cfg):
        name = spec.column(label)
        col = df[name] if name in df else pd.Series(np.nan, index=df.index)
        ok = _needs_available(spec, available)
        if spec.categories is not None:
            values = col.astype(object).where(col.notna(), None) if ok else None
            out[name] = pd.Categorical(
                values if values is not None else [None] * len(df), categories=list(spec.categories)
            )
        else:
            vals = pd.to_numeric(col, errors="coerce").astype("float64").to_numpy()
            out[name] = vals if ok else np.full(len(df), np.nan)
    return pd.DataFrame(out)


def _family(
    prep: Prepared, mod, t: Tables, as_of, window, cfg: FeatureConfig, tag: str
) -> pd.DataFrame:
    """One family's account-level frame for the pass (stages, then queries, then finish).

    `tag` tells the SQL cache whether the pass has due accounts ("_due") or not ("").
    """
    name = f"{mod.__name__}{tag}"
    if hasattr(mod, "queries"):
        staged: dict = {}
        for key, fn in getattr(mod, "stages", lambda c: [])(cfg):
            staged[key] = prep.stage(f"{name}.{key}", lambda fn=fn: fn(t, cfg, staged))
        return mod.finish(prep.run(name, lambda: mod.queries(t, cfg, staged)), t, cfg)
    return prep.run(name, lambda: {"main": mod.build(t, as_of, window, cfg)})["main"]


def features_at(
    prep: Prepared,
    as_of: pd.Timestamp,
    window: str | timedelta,
    cfg: FeatureConfig,
    accounts: pd.Series | None = None,
) -> pd.DataFrame:
    """Every family at one cutoff on prepared inputs (the reusable inner step of snapshots).

    Args:
        prep: inputs prepared once (features.frame.prepare).
        as_of: the cutoff.
        window: the look-back window.
        cfg: feature configuration.
        accounts: only these accounts' rows are wanted (snapshots): the per-account families
            run on them alone; the result is restricted to them. Default: every active one.
    """
    t = tables_at(prep, as_of, window, cfg, due=accounts)
    own = t.due if t.due is not None else t
    tag = "_due" if t.due is not None else ""
    frames = [prep.run(f"_active{tag}", lambda: {"main": own.active})["main"]]
    for mod in FAMILY_MODULES:
        start = time.perf_counter()
        mine = t.due is not None and mod in PER_ACCOUNT
        part = _family(prep, mod, own if mine else t, as_of, window, cfg, tag)
        log.debug("%s: %d rows in %.2fs", mod.__name__, len(part), time.perf_counter() - start)
        frames.append(part)
    df = frames[0]
    for part in frames[1:]:
        df = df.merge(part, on="account_id", how="left", validate="one_to_one")
    df = df.sort_values("account_id", kind="stable").reset_index(drop=True)
    out = finalize(df, t.label, t.available, cfg)
    out.insert(1, "as_of", pd.Series([as_of] * len(out), dtype="datetime64[us, UTC]"))
    return out


def build_features(
    inputs, as_of, window: str | timedelta | None = None, config=None
) -> pd.DataFrame:
    """Account features as of a cutoff.

    Args:
        inputs: ``distillguard.contract.Inputs`` (or any object with ibis tables ``.events``
            and ``.accounts`` and optionally ``.con``); DuckDB or PySpark backend.
        as_of: the cutoff (str, datetime or Timestamp; naive = UTC). Only events with
            ``as_of - window <= ts < as_of`` and accounts created before it are seen.
        window: look-back window such as '7d' (default: configs/features.yaml).
        config: FeatureConfig, a path to a YAML file, or None for configs/features.yaml.

    Returns:
        pandas DataFrame: account_id, as_of, then the catalogue's feature columns
        (floats; categoricals as 'category'), one row per account active in the window,
        sorted by account_id.
    """
    cfg = resolve(config)
    cutoff = to_utc(as_of)
    start = time.perf_counter()
    prep = prepare(inputs, cfg)
    try:
        out = features_at(prep, cutoff, window or cfg.window, cfg)
    finally:
        prep.close()
    log.info(
        "features as of %s: %d accounts x %d columns in %.1fs",
        cutoff.isoformat(),
        len(out),
        out.shape[1],
        time.perf_counter() - start,
    )
    return out
