"""The seed-spread section: per-seed recall, mean, spread, the rows over campaigns."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.training.conftest import fast_config
from training.eval_report import EvalTables
from training.eval_seeds import MEAN_ROW, MIN_ROW, seed_spread, spread_section

COL = "model R@0.1%"


def _tables(recall: dict[str, float], share: dict[str, float], cad: float) -> EvalTables:
    held = pd.DataFrame(
        [{"fold": f"held out {c}", "campaign": c, COL: r} for c, r in recall.items()]
    )
    ttd = pd.DataFrame(
        [{"fold": f"held out {c}", "campaign": c, "share_after_flag": v} for c, v in share.items()]
    )
    arch = pd.DataFrame(
        [{"archetype": "coding_agent_dev", "fpr": cad}, {"archetype": "casual_chat", "fpr": 0.0}]
    )
    empty = pd.DataFrame()
    return EvalTables(held, empty, empty, arch, empty, ttd, empty)


@pytest.fixture
def spread():
    cfg = fast_config()
    per_seed = {
        42: _tables({"a": 0.8, "b": 0.9}, {"a": 0.5, "b": 0.7}, 0.01),
        7: _tables({"a": 0.6, "b": 1.0}, {"a": 0.7, "b": 0.9}, 0.03),
    }
    return seed_spread(per_seed, cfg), cfg


def test_per_campaign_mean_and_spread(spread):
    s, _ = spread
    t = s.table.set_index("campaign")
    assert t.loc["a", "seed 42"] == pytest.approx(0.8)
    assert t.loc["a", "seed 7"] == pytest.approx(0.6)
    assert t.loc["a", "mean"] == pytest.approx(0.7)
    assert t.loc["a", "spread"] == pytest.approx(0.2)
    assert t.loc["b", "share after flag, mean"] == pytest.approx(0.8)


def test_rows_over_campaigns_are_per_seed_then_averaged(spread):
    s, _ = spread
    t = s.table.set_index("campaign")
    # seed 42: mean 0.85, min 0.8; seed 7: mean 0.8, min 0.6
    assert t.loc[MEAN_ROW, "seed 42"] == pytest.approx(0.85)
    assert t.loc[MIN_ROW, "seed 7"] == pytest.approx(0.6)
    assert s.summary["recall_mean"] == pytest.approx(0.825)
    assert s.summary["recall_min"] == pytest.approx(0.7)
    assert s.summary["n"] == 2


def test_hard_negatives_only_and_the_section_text(spread):
    s, cfg = spread
    assert list(s.archetypes["archetype"]) == ["coding_agent_dev"]
    assert s.archetypes["mean"].iloc[0] == pytest.approx(0.02)
    text = "\n".join(spread_section(s, cfg))
    assert "seeds 42, 7" in text
    assert "| a | 0.800 | 0.600 | 0.700 | 0.200 |" in text
