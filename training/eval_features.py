"""The evaluation's feature passes: snapshots of every account, and daily member features.

One schedule of feature passes (features.build.features_at on inputs prepared once) serves
both needs of the evaluation:

* snapshots of **every** account at the training offsets (first_seen + offset, rounded up to
  the features' cutoff grain, exactly as features.build_snapshots plans them), so the
  legitimate test side can hold thousands of accounts instead of the few reviewed ones;
  a column ``in_training_sample`` marks the rows build_snapshots itself would produce
  (labelled accounts and its hash-sample of unlabelled ones), the only rows that may train;
* the features of a sample of campaign members at every ``step_hours`` over the
  campaign's life (time to detection).

Every pass reads the whole window (the cohort and infrastructure families are
population-relative); the per-account families run only on the accounts due at that pass
(features_at's ``accounts``), so a daily pass that serves only the sampled members is cheap.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pandas as pd

from distillguard.log import progress
from features import engine
from features.build import features_at
from features.config import resolve
from features.frame import prepare
from features.snapshots import META, first_seen_and_labels, plan_cutoffs, select_accounts

log = logging.getLogger(__name__)


@dataclass
class EvalFeatures:
    """Everything the evaluation scores.

    Attributes:
        snapshots: build_snapshots-shaped rows of every account (None when not asked for),
            plus the boolean column ``in_training_sample``.
        daily: account_id, as_of, feature columns of the requested members at each pass of
            the daily grid.
    """

    snapshots: pd.DataFrame | None
    daily: pd.DataFrame


def daily_grid(start: pd.Timestamp, stop: pd.Timestamp, step_hours: float) -> list[pd.Timestamp]:
    """Midnight-aligned instants from the day of `start` through `stop` (inclusive)."""
    if start is None or stop is None or pd.isna(start) or pd.isna(stop):
        return []
    start, stop = pd.Timestamp(start), pd.Timestamp(stop)
    if stop < start:
        return []
    return list(pd.date_range(start.floor("D"), stop, freq=pd.Timedelta(hours=step_hours)))


def _meta(prep, inputs, fcfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every account with first_seen, label, campaign_id, labelled_at, org_id; default sample)."""
    first, labels = first_seen_and_labels(prep, inputs)
    everyone = fcfg.model_copy(
        update={
            "snapshots": fcfg.snapshots.model_copy(
                update={"unlabelled_sample": 1.0, "unlabelled_max": 10**12}
            )
        }
    )
    allacc = select_accounts(first, labels, everyone)
    sampled = select_accounts(first, labels, fcfg)
    orgs = engine.to_pandas(prep.accounts.select("account_id", "org_id"))
    allacc = allacc.merge(orgs, on="account_id", how="left")
    return allacc, sampled[["account_id"]]


def build_eval_features(
    inputs,
    offsets_days,
    window: str,
    daily_accounts: list[str],
    daily_from: pd.Timestamp | None,
    daily_to: pd.Timestamp | None,
    step_hours: float,
    snapshots: bool = True,
    feature_config=None,
) -> EvalFeatures:
    """Run the evaluation's feature passes.

    Args:
        inputs: contract inputs (distillguard.contract.Inputs).
        offsets_days: snapshot offsets after each account's first request (training's).
        window: feature window (training's).
        daily_accounts: accounts whose features are kept at every daily pass.
        daily_from, daily_to: range of the daily grid (None: no daily passes).
        step_hours: interval of the daily grid.
        snapshots: also build snapshots of every account.
        feature_config: FeatureConfig or path (None: configs/features.yaml).

    Returns:
        EvalFeatures.
    """
    fcfg = resolve(feature_config)
    t0 = time.perf_counter()
    prep = prepare(inputs, fcfg, materialize=True)
    try:
        allacc, sampled = _meta(prep, inputs, fcfg)
        plan = (
            plan_cutoffs(allacc, list(offsets_days), fcfg, prep.log_end)
            if snapshots
            else pd.DataFrame(columns=["account_id", "as_of"])
        )
        grid = daily_grid(daily_from, daily_to, step_hours) if daily_accounts else []
        keep = set(daily_accounts)
        cutoffs = sorted(set(pd.to_datetime(plan["as_of"], utc=True)) | set(grid))
        grid_set = set(grid)
        snap_parts, daily_parts = [], []
        with progress() as bar:
            task = bar.add_task("evaluation feature passes", total=len(cutoffs))
            for i, cutoff in enumerate(cutoffs):
                if i % 10 == 0:
                    log.info(
                        "evaluation feature pass %d/%d (%s), %.0fs",
                        i + 1,
                        len(cutoffs),
                        pd.Timestamp(cutoff).date(),
                        time.perf_counter() - t0,
                    )
                want = plan.loc[plan["as_of"] == cutoff, ["account_id"]]
                due = set(want["account_id"]) | (keep if cutoff in grid_set else set())
                if not due:
                    bar.advance(task)
                    continue
                # per-account families run on the due accounts only (features_at)
                feats = features_at(
                    prep, pd.Timestamp(cutoff), window, fcfg, pd.Series(sorted(due), dtype=object)
                )
                if len(want):
                    snap_parts.append(feats.merge(want, on="account_id", how="inner"))
                if cutoff in grid_set:
                    daily_parts.append(feats[feats["account_id"].isin(keep)])
                bar.advance(task)
    finally:
        prep.close()
    daily = pd.concat(daily_parts, ignore_index=True) if daily_parts else pd.DataFrame()
    snaps = None
    if snapshots:
        feats = pd.concat(snap_parts, ignore_index=True) if snap_parts else pd.DataFrame()
        meta = allacc[META[:1] + [c for c in META[2:] if c in allacc]]
        out = feats.merge(meta, on="account_id", how="left", validate="many_to_one")
        out["label"] = out["label"].astype("float64")
        cols = META + [c for c in feats.columns if c not in META]
        snaps = out[cols].sort_values(["account_id", "as_of"]).reset_index(drop=True)
        snaps["in_training_sample"] = snaps["account_id"].isin(set(sampled["account_id"]))
        log.info(
            "evaluation snapshots: %d rows of %d accounts (%d rows in the training sample)",
            len(snaps),
            snaps["account_id"].nunique(),
            int(snaps["in_training_sample"].sum()),
        )
    log.info(
        "evaluation feature passes: %d cutoffs (%d daily) in %.1fs; %d daily member rows",
        len(cutoffs),
        len(grid),
        time.perf_counter() - t0,
        len(daily),
    )
    return EvalFeatures(snaps, daily)
