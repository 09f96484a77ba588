"""`distillguard evaluate`: folds, baselines, time to detection -> docs/evaluation.md + MLflow."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd

from distillguard import tracking
from training.config import TrainConfig
from training.dataset import feature_set_version, git_commit
from training.detection import detection, sample_members
from training.eval_features import EvalFeatures, build_eval_features
from training.eval_report import EvalTables, plot_all, targets, write_report
from training.eval_seeds import seed_spread, spread_section
from training.eval_tables import archetype_table, method_table
from training.evaluation import run_evaluation

log = logging.getLogger(__name__)


def campaign_members(inputs, truth_path: Path | None) -> pd.DataFrame:
    """account_id, campaign, first_seen of every known campaign member (truth, else labels)."""
    if truth_path is not None and truth_path.exists():
        t = pd.read_parquet(truth_path, columns=["account_id", "campaign_id"])
        m = t[t["campaign_id"].notna()]
    else:
        lab = inputs.labels.to_pandas() if inputs.labels is not None else pd.DataFrame()
        m = (
            lab[lab["label"] == 1]
            if len(lab)
            else pd.DataFrame(columns=["account_id", "campaign_id"])
        )
    m = m.rename(columns={"campaign_id": "campaign"})[["account_id", "campaign"]]
    ev = inputs.events
    first = (
        ev.filter(ev.account_id.isin(list(m["account_id"])))
        .group_by("account_id")
        .aggregate(first_seen=ev.ts.min())
        .to_pandas()
    )
    first["first_seen"] = pd.to_datetime(first["first_seen"], utc=True)
    return m.merge(first, on="account_id", how="inner")


def events_daily(inputs, accounts: list[str]) -> pd.DataFrame:
    """account_id, day (UTC midnight), n: exchanges per account per day."""
    ev = inputs.events
    sel = ev.filter(ev.account_id.isin(accounts))
    m = sel.mutate(day=sel.ts.truncate("D"))
    out = m.group_by(["account_id", "day"]).aggregate(n=m.count()).to_pandas()
    out["day"] = pd.to_datetime(out["day"], utc=True)
    return out


def cached(directory: Path, key: dict, build) -> EvalFeatures:
    """The evaluation's feature passes from `directory` if made with `key`, else built there."""
    meta = directory / "key.json"
    if meta.exists() and json.loads(meta.read_text()) == key:
        log.info("evaluation feature passes reused from %s", directory)
        snaps = directory / "snapshots.parquet"
        return EvalFeatures(
            pd.read_parquet(snaps) if snaps.exists() else None,
            pd.read_parquet(directory / "daily.parquet"),
        )
    feats = build()
    directory.mkdir(parents=True, exist_ok=True)
    if feats.snapshots is not None:
        feats.snapshots.to_parquet(directory / "snapshots.parquet")
    feats.daily.to_parquet(directory / "daily.parquet")
    meta.write_text(json.dumps(key))
    return feats


def evaluate_seed(
    inputs,
    world: Path,
    cfg: TrainConfig,
    truth_path: Path | None,
    snapshots: Path | None = None,
    features_cache: Path | None = None,
) -> tuple[list, EvalTables]:
    """Every fold, baseline and daily detection pass at ``cfg.seed``: (held-out folds, tables).

    The seed picks the legitimate test organisations, the sampled members and every
    training seed; `features_cache` as in :func:`evaluate_world`.
    """
    ev_cfg = cfg.evaluation
    members = sample_members(
        campaign_members(inputs, truth_path), ev_cfg.ttd_accounts_per_campaign, cfg.seed
    )
    daily_events = events_daily(inputs, list(members["account_id"]))
    last = daily_events["day"].max() if len(daily_events) else None

    def build():
        return build_eval_features(
            inputs,
            cfg.snapshots.offsets_days,
            cfg.snapshots.window,
            list(members["account_id"]),
            members["first_seen"].min() if len(members) else None,
            last + pd.Timedelta(days=1) if last is not None else None,
            ev_cfg.ttd_step_hours,
            snapshots=snapshots is None,
        )

    key = {
        "world": str(Path(world).resolve()),
        "offsets_days": list(cfg.snapshots.offsets_days),
        "window": cfg.snapshots.window,
        "ttd_step_hours": ev_cfg.ttd_step_hours,
        "members": sorted(members["account_id"]),
        "snapshots": snapshots is None,
        "feature_set_version": feature_set_version(),
    }
    feats = cached(features_cache, key, build) if features_cache else build()
    snaps = pd.read_parquet(snapshots) if snapshots is not None else feats.snapshots
    held, forward, _, skipped = run_evaluation(snaps, cfg, truth_path)
    ttd_acc, ttd_camp = detection(held, members, feats.daily, daily_events)
    tables = EvalTables(
        held_out=method_table(held, cfg, by_campaign=True),
        forward=method_table(forward, cfg, by_campaign=False),
        forward_by_campaign=method_table(forward, cfg, by_campaign=True),
        archetypes=archetype_table(held) if held else pd.DataFrame(),
        ttd_accounts=ttd_acc,
        ttd_campaigns=ttd_camp,
        skipped=skipped,
    )
    return held, tables


def evaluate_world(
    world: Path,
    cfg: TrainConfig,
    out: Path,
    command: str,
    snapshots: Path | None = None,
    use_truth: bool = True,
    features_cache: Path | None = None,
) -> str:
    """Run the whole evaluation on `world`, write `out` (+ plots beside it), log to MLflow.

    `snapshots`: a prebuilt build_snapshots Parquet of the same world; then the test sides
    hold only its accounts (labelled ones and build_snapshots' sample of unlabelled ones)
    instead of every account, and only the daily time-to-detection passes are run here.
    `features_cache`: a directory holding the feature passes of an earlier run with the
    same world, settings and member sample (reused), or where to write them; the passes
    of each of ``evaluation.repeat_seeds`` go to a ``seed-N`` folder inside it.
    The page's tables are at ``cfg.seed``; every repeat seed reruns the evaluation and the
    page adds the spread of the held-out figures over all the seeds (training/eval_seeds.py).
    """
    import mlflow

    from distillguard.contract import load_world

    t0 = time.time()
    inputs = load_world(world)
    truth = world / "truth.parquet"
    truth_path = truth if truth.exists() and use_truth else None
    has_truth = truth_path is not None
    held, tables = evaluate_seed(inputs, world, cfg, truth_path, snapshots, features_cache)
    per_seed = {cfg.seed: tables}
    for s in [x for x in dict.fromkeys(cfg.evaluation.repeat_seeds) if x != cfg.seed]:
        log.info("evaluation: repeat at seed %d", s)
        cache = features_cache / f"seed-{s}" if features_cache else None
        scfg = cfg.model_copy(update={"seed": s})
        per_seed[s] = evaluate_seed(inputs, world, scfg, truth_path, snapshots, cache)[1]
    spread = seed_spread(per_seed, cfg) if len(per_seed) > 1 else None
    plot_paths = plot_all(held, tables, out.parent / "evaluation")
    seconds = time.time() - t0
    extra = spread_section(spread, cfg) if spread is not None else []
    text = write_report(
        out, tables, cfg, command, str(world), has_truth, plot_paths, seconds, extra
    )

    exp = tracking.experiment(cfg.experiment)
    with mlflow.start_run(experiment_id=exp, run_name="evaluate"):
        mlflow.set_tags(
            {
                "kind": "evaluation",
                "world": str(world),
                "feature_set_version": feature_set_version(),
                "git_commit": git_commit(),
                "truth_used_for_test_labels": str(has_truth),
            }
        )
        mlflow.log_artifact(str(out))
        for p in plot_paths:
            mlflow.log_artifact(str(p), artifact_path="plots")
        with tempfile.TemporaryDirectory() as tmp:
            for name, df in (
                ("held_out", tables.held_out),
                ("forward", tables.forward),
                ("archetypes", tables.archetypes),
                ("ttd_campaigns", tables.ttd_campaigns),
                ("targets", targets(tables, cfg)),
                *([("seed_spread", spread.table)] if spread is not None else []),
            ):
                p = Path(tmp) / f"{name}.csv"
                df.to_csv(p, index=False)
                mlflow.log_artifact(str(p), artifact_path="tables")
        col = f"model R@{cfg.target_fpr * 100:g}%"
        for _, r in tables.held_out.iterrows():
            mlflow.log_metric(f"heldout_recall_at_target_fpr_{r['campaign']}", float(r[col]))
        for k, v in (spread.summary if spread is not None else {}).items():
            mlflow.log_metric(f"seeds_{k}", v)
        mlflow.log_metric("evaluate_seconds", seconds)
    return text
