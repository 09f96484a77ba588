"""The world report: sizes next to the public figures, volumes, and how hard the world is.

``write_report(world, out)`` writes ``out/world-report.md`` and PNG plots;
``acceptance(stats, cfg)`` is the hardness check tests call: on the named
campaigns, a rate-limit rule at the configured false-positive rate recalls at
most ``max_rate_recall`` of members and no single raw statistic reaches ``max_auc``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from distillguard.config import CONFIGS, StrictModel, load_config
from simulate.hardness import RATE_RULES, STATISTICS, account_stats, hardness
from simulate.signal import BEHAVIOURAL, behavioural_stats, multi_feature_auc

log = logging.getLogger(__name__)
HARDNESS_CONFIG = CONFIGS / "world" / "hardness.yaml"


class HardnessConfig(StrictModel):
    """Acceptance bounds of the world report."""

    fpr: float
    max_rate_recall: float
    max_auc: float
    campaigns: list[str]
    signal_model: dict[str, float | int]  # LightGBM parameters of the multi-feature check
    signal_folds: int


def load_hardness_config(path: str | Path = HARDNESS_CONFIG) -> HardnessConfig:
    """The acceptance bounds (configs/world/hardness.yaml)."""
    return load_config(path, HardnessConfig)


def acceptance(stats: pd.DataFrame, cfg: HardnessConfig) -> pd.DataFrame:
    """Per acceptance campaign: worst AUC, worst rate-rule recall, and whether both pass."""
    h = hardness(stats, cfg.fpr)
    rows = []
    for camp in cfg.campaigns:
        sub = h[h["campaign_id"] == camp]
        if sub.empty:
            raise ValueError(f"campaign {camp!r} has no active member in this world")
        best = sub.loc[sub["auc"].idxmax()]
        recall = float(sub["recall_at_fpr"].max())
        rows.append(
            {
                "campaign_id": camp,
                "members": int(best["members"]),
                "max_auc": float(best["auc"]),
                "max_auc_statistic": best["statistic"],
                "rate_rule_recall": recall,
                "passes": bool(best["auc"] < cfg.max_auc and recall <= cfg.max_rate_recall),
            }
        )
    return pd.DataFrame(rows)


def _plots(stats: pd.DataFrame, world: Path, out: Path, manifest: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    group = np.where(stats["archetype"] == "campaign", stats["campaign_id"], stats["archetype"])
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.set_prop_cycle(color=plt.cm.tab20(np.linspace(0, 1, 20)))
    for g in sorted(set(group)):
        v = np.sort(stats.loc[group == g, "requests_per_day"].to_numpy())
        is_campaign = manifest["counts"].get(g, {}).get("kind") == "campaign"
        ls = "-" if is_campaign else "--"
        ax.plot(v, np.arange(1, len(v) + 1) / len(v), ls, label=g)
    ax.set_xscale("log")
    ax.set(xlabel="requests per active day (per account)", ylabel="share of accounts (ECDF)",
           title="Per-account daily volume: campaigns (solid) vs legitimate (dashed)")  # fmt: skip
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "daily_volume.png", dpi=110)
    plt.close(fig)
    names.append("daily_volume.png")

    con = duckdb.connect()
    ev = str(world / "events" / "**" / "*.parquet")
    daily = con.execute(
        f"""SELECT CAST(e.ts AS DATE) AS day,
                   coalesce(t.campaign_id, 'legitimate') AS grp, e.model, count(*) AS n
            FROM read_parquet('{ev}', hive_partitioning = false) e
            JOIN read_parquet('{world / "truth.parquet"}') t USING (account_id)
            GROUP BY ALL"""
    ).df()
    newest = max(manifest["models"], key=lambda m: manifest["models"][m])
    tot = daily.groupby(["day", "grp"])["n"].sum()
    new = daily[daily["model"] == newest].groupby(["day", "grp"])["n"].sum()
    share = (new / tot).fillna(0).unstack("grp").fillna(0)
    fig, ax = plt.subplots(figsize=(9, 4))
    share.plot(ax=ax, lw=1.2)
    ax.set(ylabel=f"share of requests on {newest}", title=f"Adoption of {newest} by group")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "model_adoption.png", dpi=110)
    plt.close(fig)
    names.append("model_adoption.png")

    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    camp = stats["archetype"] == "campaign"
    for ax, s in zip(axes.ravel(), STATISTICS, strict=True):
        lo = max(stats[s].min(), 1e-2)
        bins = np.logspace(np.log10(lo), np.log10(stats[s].max() + 1), 40)
        for mask, label in ((~camp, "legitimate"), (camp, "campaign")):
            v = stats.loc[mask, s].clip(lower=lo)
            ax.hist(v, bins, alpha=0.6, weights=np.full(len(v), 1 / max(len(v), 1)), label=label)
        ax.set_xscale("log")
        ax.set_title(STATISTICS[s], fontsize=9)
    axes[0, 0].legend()
    axes[0, 0].set_ylabel("share of accounts")
    fig.tight_layout()
    fig.savefig(out / "raw_statistics.png", dpi=110)
    plt.close(fig)
    names.append("raw_statistics.png")
    return names


def _cell(v, floatfmt: str) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{v:,}"
    if isinstance(v, float | np.floating):
        return floatfmt.format(v)
    return str(v)


def _table(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [_cell(v, floatfmt) for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(world: str | Path, out: str | Path, cfg: HardnessConfig | None = None) -> Path:
    """Write the markdown report and plots of `world` into `out`; returns the markdown path."""
    world, out = Path(world), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = cfg or load_hardness_config()
    manifest = json.loads((world / "world.json").read_text())
    stats = account_stats(world)
    h = hardness(stats, cfg.fpr)
    acc = acceptance(stats, cfg)
    plots = _plots(stats, world, out, manifest)
    signal = multi_feature_auc(
        behavioural_stats(world), dict(cfg.signal_model), cfg.signal_folds, manifest["seed"]
    )

    sizes = []
    group = stats["campaign_id"].fillna(stats["archetype"])
    per_day = stats.groupby(group)["requests_per_day"].median()
    for name, c in manifest["counts"].items():
        public = c["kind"] == "campaign"
        ref_ex = c.get("reference_exchanges") or 0
        sizes.append(
            {
                "group": name,
                "kind": c["kind"],
                "accounts": c["accounts"],
                "exchanges": c["events"],
                "median_requests_per_active_day": float(per_day.get(name, float("nan"))),
                "labelled": c["labelled"],
                "public_accounts": f"{c['reference_accounts']:,}" if public else "",
                "public_exchanges": f"{ref_ex:,}" if ref_ex else ("n/a" if public else ""),
                "share_of_public_exchanges": f"{c['events'] / ref_ex:.3f}" if ref_ex else "",
            }
        )
    sizes = pd.DataFrame(sizes)
    aucs = h.pivot(index="campaign_id", columns="statistic", values="auc")[list(STATISTICS)]
    rec = h.dropna(subset=["recall_at_fpr"]).pivot(
        index="campaign_id", columns="statistic", values="recall_at_fpr"
    )[list(RATE_RULES)]
    md = [
        f"# World report: {manifest['name']}",
        "",
        f"World `{world}`: seed {manifest['seed']}, {manifest['start']} to {manifest['end']}, "
        f"{int(sizes['accounts'].sum()):,} accounts, {int(sizes['exchanges'].sum()):,} exchanges "
        f"({len(stats):,} accounts active).",
        "",
        "## Accounts and exchanges per archetype and campaign, next to the public figures",
        "",
        _table(sizes, "{:.1f}"),
        "",
        "## Per-account daily volume",
        "",
        "![daily volume](daily_volume.png)",
        "",
        "## Hardness: single raw per-account statistics against legitimate accounts",
        "",
        f"ROC AUC of each statistic alone (best direction), per campaign; "
        f"{int((stats['archetype'] != 'campaign').sum()):,} legitimate accounts.",
        "",
        _table(aucs.reset_index()),
        "",
        f"Recall of a rate-limit rule (flag accounts above the legitimate "
        f"{100 * (1 - cfg.fpr):g}th percentile, i.e. {100 * cfg.fpr:g}% false-positive rate):",
        "",
        _table(rec.reset_index()),
        "",
        f"Acceptance (campaigns {', '.join(cfg.campaigns)}): rate-rule recall <= "
        f"{cfg.max_rate_recall} and every single-statistic AUC < {cfg.max_auc}.",
        "",
        _table(acc),
        "",
        "![raw statistics](raw_statistics.png)",
        "",
        "## ... and yet there is a signal",
        "",
        "Behavioural per-account statistics (" + ", ".join(BEHAVIOURAL) + ") combined by a "
        f"small LightGBM under {cfg.signal_folds}-fold account-level cross-validation (a world "
        "diagnostic, not the product's model), next to the best of them alone:",
        "",
        _table(signal),
        "",
        "## Adoption of the newest model",
        "",
        "![model adoption](model_adoption.png)",
        "",
    ]
    path = out / "world-report.md"
    path.write_text("\n".join(md))
    (out / "hardness.csv").write_text(h.to_csv(index=False))
    (out / "acceptance.csv").write_text(acc.to_csv(index=False))
    (out / "signal.csv").write_text(signal.to_csv(index=False))
    log.info("world report: %s (%s)", path, ", ".join(plots))
    return path
