"""The demo world (what `make demo` simulates) is hard too: rate limits and single statistics fail.

Marker `slow` (`make test-slow`): generating the demo world and its per-account statistics
took 65 s on an idle 2-core machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulate.config import load_world_config
from simulate.hardness import account_stats
from simulate.report import acceptance, load_hardness_config
from simulate.world import generate

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_demo_world_is_hard_for_rate_limits_and_single_statistics(tmp_path):
    generate(load_world_config(ROOT / "configs" / "world" / "demo.yaml"), tmp_path / "demo")
    cfg = load_hardness_config()
    acc = acceptance(account_stats(tmp_path / "demo"), cfg).set_index("campaign_id")
    for camp in ("hydra_proxy", "industrial_45d"):
        row = acc.loc[camp]
        assert row["members"] >= 300, (camp, row.to_dict())
        assert row["rate_rule_recall"] <= 0.3, (camp, row.to_dict())
        assert row["max_auc"] < 0.9, (camp, row.to_dict())
