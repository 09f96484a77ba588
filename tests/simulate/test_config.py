"""World configs load, merge their includes, and refuse unknown keys."""

from __future__ import annotations

import pytest

from distillguard.config import ConfigError
from simulate.config import load_world_config
from tests.conftest import ROOT

WORLDS = ROOT / "configs" / "world"


@pytest.mark.parametrize("name", ["test", "demo", "full"])
def test_shipped_worlds_load_with_every_archetype_and_campaign(name):
    cfg = load_world_config(WORLDS / f"{name}.yaml")
    assert cfg.name == name
    assert set(cfg.archetypes) == {
        "casual_chat", "coding_agent_dev", "enterprise_integration", "eval_harness",
        "university_class", "reseller_wrapper", "researcher", "free_tier_tinkerer",
    }  # fmt: skip
    assert set(cfg.campaigns) == {
        "reasoning_harvest", "agentic_harvest", "coding_bulk", "hydra_proxy", "industrial_45d"
    }  # fmt: skip
    assert all(c.accounts > 0 for c in cfg.campaigns.values())


def test_world_file_overrides_the_included_profiles(tiny_config_path):
    cfg = load_world_config(tiny_config_path)
    base = load_world_config(WORLDS / "test.yaml")
    assert cfg.archetypes["casual_chat"].accounts == 120
    # a deep merge: only `accounts` changed, behaviour came from the profiles
    assert cfg.archetypes["casual_chat"].activity == base.archetypes["casual_chat"].activity
    assert cfg.days == base.days == 36


def test_unknown_key_is_refused_naming_it(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(f"include: [{WORLDS / 'test.yaml'}]\ncampaigns:\n  hydra_proxy: {{acounts: 3}}\n")
    with pytest.raises(ConfigError, match="acounts"):
        load_world_config(p)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_world_config(tmp_path / "nope.yaml")
