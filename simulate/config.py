"""Typed world configuration: configs/world/<name>.yaml (+ the profiles it includes).

A world file names its seed, calendar, models and scale, and ``include``s a
profiles file (configs/world/profiles.yaml) holding the behaviour of every
legitimate archetype and every historical campaign. Keys of the world file are
deep-merged over the included file, so a world only states what it changes
(account counts, a harder evasion knob). Top-level keys starting with ``_`` hold
YAML anchors only and are dropped. Every behavioural number lives in YAML.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError, field_validator

from distillguard.config import ConfigError, StrictModel, read_yaml


class LogNormal(StrictModel):
    """A log-normal draw: median and sigma of log."""

    median: float
    sigma: float


class Beta(StrictModel):
    """A beta draw on [0, 1]."""

    a: float
    b: float


class ModelRelease(StrictModel):
    """One model: its line (flagship, fast) and release day relative to the world start."""

    name: str
    line: str
    released_day: float


class AccountAttrs(StrictModel):
    """Sign-up attributes: organisation size, email, payment, tier, verification path."""

    org_size: tuple[int, int]
    email_kinds: dict[str, float]
    payment_kinds: dict[str, float]
    payment_scope: Literal["account", "org", "pool"]
    payment_pool_accounts: LogNormal  # pool: accounts sharing one instrument
    tiers: dict[str, float]
    verification: dict[str, float]


class Signup(StrictModel):
    """When accounts were created relative to their first use."""

    mode: Literal["spread", "wave"]
    age_at_first_use_days: LogNormal
    aged_share: float  # share of accounts that are old (bought, farmed, long-time users)
    aged_days: LogNormal
    waves: int  # wave mode: sign-up waves per organisation (campaign: per campaign)
    wave_width_hours: float


class Activity(StrictModel):
    """Calendar, volume and timing of one kind of traffic."""

    start_day: float
    duration_days: float | None
    stagger_days: float  # accounts start at start_day + U(0, stagger_days)
    lifetime_days: LogNormal
    active_day_prob: Beta
    weekend_factor: float
    sessions_per_day: LogNormal
    requests_per_session: LogNormal
    day_sigma: float  # day-to-day variation of an account's volume
    gap_seconds: LogNormal  # mean think time between requests of a session, per account
    gap_shape: LogNormal  # gamma shape of the gaps (1: Poisson-like, >3: regular)
    pause_prob: float
    pause_seconds: LogNormal
    diurnal: str
    operator_tz: dict[int, float] | None  # None: the account's own country decides
    sync_share: float  # share of sessions started at group-wide wave times
    sync_waves_per_day: int
    sync_jitter_seconds: float
    turns_mean: float


class Content(StrictModel):
    """What the traffic asks for: tasks, templates, elicitation, tokens, tools, models."""

    tasks: dict[str, float]
    families_per_account: int  # 0: any family of the grammar
    group_families: int  # >0: accounts draw families from a group-wide set of this size
    paraphrase_rate: float
    translation_rate: float
    elicitation_share: float  # step-by-step reasoning elicitation
    rubric_share: float  # rubric-grading prompts
    input_scale: LogNormal
    output_scale: LogNormal
    token_sigma: float
    tools_share: float
    tools_declared: tuple[int, int]
    system_prompt_prob: float
    fast_model_share: float
    adoption_lag_hours: LogNormal
    adoption_share: Beta


class Infra(StrictModel):
    """Networks and clients: ASN kinds, IP sharing and rotation, fingerprints."""

    asn_kinds: dict[str, float]
    countries: dict[str, float] | None  # None: the world's global mix
    home_ips: LogNormal
    shared_ip_pool: int  # IPs in a pool shared by the org (org scope) or group
    shared_ip_scope: Literal["org", "group"]
    shared_ip_share: float  # per-request probability of using the shared pool
    ip_rotation: float  # per-request probability of a fresh address from the ASN pools
    clients_per_account: LogNormal
    client_families: dict[str, float]
    org_client: bool  # one client for the whole organisation
    client_rotation: float  # per-request probability of a random pool client
    ua_spoof_rate: float  # per-request probability the UA differs from the TLS client


class Review(StrictModel):
    """Benign review of legitimate accounts."""

    share: float
    delay_days: LogNormal


class Archetype(StrictModel):
    """A legitimate archetype."""

    accounts: int
    account: AccountAttrs
    signup: Signup
    activity: Activity
    content: Content
    infra: Infra
    review: Review


class Investigation(StrictModel):
    """How and when members of a campaign get labelled."""

    found_share: float
    start_days: float  # investigation starts this long after the campaign starts
    delay_days: LogNormal  # then each found member is labelled after this delay


class Campaign(StrictModel):
    """A historical distillation campaign."""

    accounts: int
    reference_accounts: int
    reference_exchanges: int
    account: AccountAttrs
    signup: Signup
    activity: Activity
    content: Content
    infra: Infra
    mixed_share: Beta | None  # share of real customer traffic inside each account
    mixin_archetype: str | None
    investigation: Investigation


class Network(StrictModel):
    """The world's shared network and client pools."""

    country_weights: dict[str, float]
    asns_per_country: dict[str, int]
    global_asns: dict[str, int]
    client_version_zipf: float
    host_space: dict[str, int]  # addresses in use per ASN, by kind (mobile CGNAT: few, shared)


class Traffic(StrictModel):
    """World-wide traffic constants: tokens per task, limits, errors, latency."""

    input_tokens: dict[str, float]
    output_tokens: dict[str, float]
    context_growth: float  # share of previous turns' tokens carried as context
    account_rate_sigma: float  # per-account log-normal spread of elicitation / paraphrase rates
    max_tokens: dict[str, float]  # output cap per task category
    rate_limit_rpm: dict[str, int]
    error_400_rate: float
    refusal_rate: float
    overload_hours_share: float
    overload_529_rate: float
    latency_base_ms: LogNormal
    latency_per_token_ms: float
    diurnal: dict[str, list[float]]


class PromptGrammar(StrictModel):
    """Size of the prompt address space: slot fills, paraphrase and translation variants."""

    slot_fills: int
    paraphrases: int
    translations: int


class WorldConfig(StrictModel):
    """A whole world: calendar, seed, pools, archetypes, campaigns, output options."""

    name: str
    seed: int
    start: datetime
    days: int
    block_accounts: int  # accounts per generation block (fixes the random streams)
    batch_events: int  # events buffered before a spill to disk (memory bound only)
    write_prompt_text: bool
    prompts: PromptGrammar
    models: list[ModelRelease]
    network: Network
    traffic: Traffic
    archetypes: dict[str, Archetype]
    campaigns: dict[str, Campaign]

    @field_validator("start")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("start must carry a UTC offset, e.g. 2026-03-01T00:00:00Z")
        return v


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read(path: Path) -> dict:
    raw = read_yaml(path)
    raw = {k: v for k, v in raw.items() if not k.startswith("_")}  # anchor-only blocks
    for inc in raw.pop("include", []) or []:
        raw = _merge(_read(path.parent / inc), raw)
    return raw


def load_world_config(path: str | Path) -> WorldConfig:
    """Read a world YAML (and the files it includes) into a WorldConfig.

    Raises ConfigError naming the file and every offending key.
    """
    p = Path(path)
    raw = _read(p)
    try:
        return WorldConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{p}: invalid world config:\n  " + "\n  ".join(lines)) from exc
