"""The spread of the evaluation's held-out figures over seeds.

A seed picks the legitimate test organisations, the sampled members and every training
seed. On the demo world one held-out campaign's recall at 0.1% FPR moved by up to 0.12
between three seeds (docs/evaluation.md), so the page shows each figure at every seed of
``seed`` + ``evaluation.repeat_seeds`` with its mean and spread, and a change to the model is
judged on the means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.config import TrainConfig
from training.eval_report import EvalTables
from training.markdown import md_table

MEAN_ROW = "mean over campaigns"
MIN_ROW = "minimum over campaigns"


@dataclass
class SeedSpread:
    """Held-out recall per campaign and seed, hard-negative FPR per seed, and their means."""

    seeds: list[int]
    table: pd.DataFrame
    archetypes: pd.DataFrame
    summary: dict[str, float]


def _by(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    if df is None or df.empty or col not in df:
        return pd.Series(dtype="float64")
    return df.groupby(key)[col].mean()


def _row(name: str, v: pd.Series, seeds: list[int], extra: dict) -> dict:
    return {
        "campaign": name,
        **{f"seed {s}": float(v.get(s, np.nan)) for s in seeds},
        "mean": float(v.mean()),
        "spread": float(v.max() - v.min()),
        **extra,
    }


def seed_spread(per_seed: dict[int, EvalTables], cfg: TrainConfig) -> SeedSpread:
    """Recall at the target FPR per held-out campaign at every seed, the mean and the spread.

    Also the share of exchanges after the flag (mean over seeds), one row each for the mean
    and the minimum over campaigns (per seed, then averaged), and the false-positive rate of
    every hard-negative archetype at each seed's trained thresholds.
    """
    col = f"model R@{cfg.target_fpr * 100:g}%"
    seeds = list(per_seed)
    rec = pd.DataFrame({s: _by(t.held_out, "campaign", col) for s, t in per_seed.items()})
    share = pd.DataFrame(
        {s: _by(t.ttd_campaigns, "campaign", "share_after_flag") for s, t in per_seed.items()}
    )
    rows = [
        _row(
            str(c),
            rec.loc[c],
            seeds,
            {"share after flag, mean": float(share.loc[c].mean()) if c in share.index else np.nan},
        )
        for c in rec.index
    ]
    means, mins = rec.mean(axis=0), rec.min(axis=0)
    na = {"share after flag, mean": np.nan}
    rows += [_row(MEAN_ROW, means, seeds, na), _row(MIN_ROW, mins, seeds, na)]
    hard = cfg.evaluation.hard_negatives
    fpr = pd.DataFrame({s: _by(t.archetypes, "archetype", "fpr") for s, t in per_seed.items()})
    fpr = fpr.loc[[a for a in hard if a in fpr.index]]
    arche = pd.DataFrame(
        [
            {
                "archetype": a,
                **{f"seed {s}": float(fpr.loc[a].get(s, np.nan)) for s in seeds},
                "mean": float(fpr.loc[a].mean()),
            }
            for a in fpr.index
        ]
    )
    summary = {
        "n": float(len(seeds)),
        "recall_mean": float(means.mean()),
        "recall_min": float(mins.mean()),
    }
    return SeedSpread(seeds, pd.DataFrame(rows), arche, summary)


def spread_section(spread: SeedSpread, cfg: TrainConfig) -> list[str]:
    """Section 5: the held-out figures at every seed (training/eval_seeds.py)."""
    seeds = ", ".join(str(s) for s in spread.seeds)
    return [
        "## 5. Spread over seeds (held-out campaigns)",
        "",
        f"The held-out evaluation rerun at seeds {seeds} (`seed` and `evaluation.repeat_seeds`;"
        " a seed picks the legitimate test organisations, the sampled members and every"
        f" training seed; the tables above are seed {cfg.seed}). Recall at"
        f" {cfg.target_fpr * 100:g}% FPR per seed, its mean and spread (max - min), the share"
        " of exchanges after the flag averaged over the seeds; the last two rows are the mean"
        " and the minimum over campaigns at each seed. Differences between two configurations"
        " smaller than a campaign's spread are not evidence.",
        "",
        md_table(spread.table),
        "Hard-negative archetypes: false-positive rate at the trained thresholds, per seed:",
        "",
        md_table(spread.archetypes, digits=4),
    ]
