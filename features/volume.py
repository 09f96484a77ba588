"""Volume and rate: how much an account sends in the window, and how it ends.

Distillation accounts stay under rate limits (a light user's volume) but pull long
outputs, hit max_tokens, and run into 429s when a proxy pool pushes too hard.
"""

from __future__ import annotations

import ibis

from features.aggs import ratio, share
from features.catalogue import Spec
from features.config import FeatureConfig
from features.frame import Tables

SPECS = [
    Spec("volume_exchanges_{w}", "exchanges (events) in the window", ("events.ts",)),
    Spec("volume_active_days_{w}", "distinct UTC days with at least one exchange", ("events.ts",)),
    Spec(
        "volume_exchanges_per_active_day_{w}",
        "exchanges divided by active days",
        ("events.ts",),
    ),
    Spec("volume_input_tokens_{w}", "sum of input tokens", ("events.input_tokens",)),
    Spec("volume_output_tokens_{w}", "sum of output tokens", ("events.output_tokens",)),
    Spec(
        "volume_output_tokens_mean_{w}",
        "mean output tokens per exchange",
        ("events.output_tokens",),
    ),
    Spec(
        "volume_output_input_ratio_{w}",
        "output tokens / input tokens (null when no input token)",
        ("events.input_tokens", "events.output_tokens"),
    ),
    Spec("volume_share_429_{w}", "share of exchanges answered 429", ("events.status_code",)),
    Spec(
        "volume_share_error_{w}",
        "share of exchanges with another error status (>= volume.error_status_min, not 429)",
        ("events.status_code",),
    ),
    Spec(
        "volume_share_max_tokens_{w}",
        "share of exchanges (with a stop reason) stopped at max_tokens",
        ("events.stop_reason",),
    ),
    Spec(
        "volume_distinct_models_{w}",
        "distinct models requested",
        ("events.model",),
    ),
]


def build(t: Tables, as_of, window: str, cfg: FeatureConfig) -> ibis.Table:
    """Volume and rate over the window ``[as_of - window, as_of)``, one row per active account.

    Args:
        t: the cutoff's tables (window events already filtered to the window).
        as_of: the cutoff (already applied in `t`; kept for the common signature).
        window: the window (already applied in `t`).
        cfg: feature configuration (volume.error_status_min).
    """
    e, w = t.events, t.label
    err = (e.status_code >= cfg.volume.error_status_min) & (e.status_code != 429)
    g = e.group_by("account_id").agg(
        n=e.count(),
        days=e.day.nunique(),
        tin=e.input_tokens.cast("int64").sum(),
        tout=e.output_tokens.cast("int64").sum(),
        s429=share(e.status_code == 429),
        serr=share(err),
        smax=share(e.stop_reason == "max_tokens"),
        models=e.model.nunique(),
    )
    return g.select(
        "account_id",
        **{
            f"volume_exchanges_{w}": g.n.cast("float64"),
            f"volume_active_days_{w}": g.days.cast("float64"),
            f"volume_exchanges_per_active_day_{w}": ratio(g.n, g.days),
            f"volume_input_tokens_{w}": g.tin.cast("float64"),
            f"volume_output_tokens_{w}": g.tout.cast("float64"),
            f"volume_output_tokens_mean_{w}": ratio(g.tout, g.n),
            f"volume_output_input_ratio_{w}": ratio(g.tout, g.tin),
            f"volume_share_429_{w}": g.s429,
            f"volume_share_error_{w}": g.serr,
            f"volume_share_max_tokens_{w}": g.smax,
            f"volume_distinct_models_{w}": g.models.cast("float64"),
        },
    )
