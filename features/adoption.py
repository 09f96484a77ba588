"""Model adoption: how fast an account moves to a newly released model.

Campaigns switch to a new model within a day of its release; most customers move over
weeks. A model's release is its first appearance in the log before the cutoff; models
first seen within adoption.min_log_history of the log's start count as pre-existing.
"""

from __future__ import annotations

import ibis

from features.aggs import ratio
from features.catalogue import Spec
from features.config import FeatureConfig
from features.frame import Tables


def specs(cfg: FeatureConfig) -> list[Spec]:
    """Catalogue entries; one share per horizon in cfg.adoption.horizons_hours."""
    hours = cfg.adoption.horizons_hours
    return [
        *[
            Spec(
                f"adoption_share_{h}h_{{w}}",
                f"share of exchanges on a model within {h} h of its first appearance in the log",
                ("events.model", "events.ts"),
            )
            for h in hours
        ],
        Spec(
            "adoption_first_use_lag_hours_{w}",
            "hours from a new model's first appearance to the account's first use of it in the "
            "window (minimum over new models used; null if none)",
            ("events.model", "events.ts"),
        ),
    ]


def build(t: Tables, as_of, window: str, cfg: FeatureConfig) -> ibis.Table:
    """Adoption shares over ``[as_of - window, as_of)``, per active account.

    Args:
        t: the cutoff's tables (model_first: first event per model before the cutoff, with
            ``is_new``: first seen at least adoption.min_log_history after the log's start).
        as_of: the cutoff.
        window: the window (already applied in `t`).
        cfg: feature configuration (adoption section).
    """
    e, w = t.events, t.label
    new = t.model_first.filter(t.model_first.is_new)
    new = new.select(
        "model",
        rel_ms=new.first_ts.epoch_seconds().floor().cast("int64") * 1000
        + new.first_ts.millisecond().cast("int64"),
    )
    j = e.left_join(new, "model")
    since_h = (j.t_ms - j.rel_ms).cast("float64") / 3_600_000.0
    aggs = {
        f"h{h}": ibis.cases((since_h < h, 1.0), else_=0.0).sum()
        for h in cfg.adoption.horizons_hours
    }
    first_use = j.group_by(["account_id", "model"]).agg(lag=since_h.min())
    lag = first_use.group_by("account_id").agg(lag=first_use.lag.min())
    g = j.group_by("account_id").agg(n=j.count(), **aggs).left_join(lag, "account_id")
    return g.select(
        g.account_id,
        **{f"adoption_share_{h}h_{w}": ratio(g[f"h{h}"], g.n) for h in cfg.adoption.horizons_hours},
        **{f"adoption_first_use_lag_hours_{w}": g.lag},
    )
