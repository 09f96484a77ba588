"""Fixtures of the simulator tests: a tiny world config derived from configs/world/test.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = """
include: [{test}]
name: tiny
archetypes:
  casual_chat: {{accounts: 120}}
  coding_agent_dev: {{accounts: 6}}
  enterprise_integration: {{accounts: 12}}
  eval_harness: {{accounts: 2}}
  university_class: {{accounts: 30}}
  reseller_wrapper: {{accounts: 1}}
  researcher: {{accounts: 6}}
  free_tier_tinkerer: {{accounts: 40}}
campaigns:
  reasoning_harvest: {{accounts: 6}}
  agentic_harvest: {{accounts: 6}}
  coding_bulk: {{accounts: 6}}
  hydra_proxy: {{accounts: 10}}
  industrial_45d: {{accounts: 12}}
block_accounts: 7
"""


@pytest.fixture
def tiny_config_path(tmp_path) -> Path:
    """A small world (a few hundred accounts) for determinism and CLI tests."""
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY.format(test=ROOT / "configs" / "world" / "test.yaml"))
    return p
