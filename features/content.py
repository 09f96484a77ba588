"""Content: what an account asks for, and how templated its prompts are.

Campaigns focus on a capability (coding + agentic), elicit reasoning traces, reuse a few
prompt templates across thousands of exchanges (near-identical SimHashes), send single-turn
conversations, and end on tool_use without ever returning the tool's result.
"""

from __future__ import annotations

import ibis

from distillguard.contract.spec import TASK_CATEGORIES
from features.aggs import left_join_all, ratio, share
from features.catalogue import Spec
from features.config import FeatureConfig
from features.frame import Tables, band_rows

CAT = ("events.task_category",)
SH = ("events.prompt_simhash",)
SPECS = [
    Spec(
        "content_focus_share_{w}",
        "share of categorised exchanges in content.focus_categories (coding + agentic)",
        CAT,
    ),
    *[
        Spec(f"content_{c}_share_{{w}}", f"share of categorised exchanges in category {c}", CAT)
        for c in TASK_CATEGORIES
    ],
    Spec(
        "content_category_hhi_{w}",
        "Herfindahl concentration of the task-category mix (1 = a single category)",
        CAT,
    ),
    Spec("content_top_category_{w}", "most frequent task category", CAT, TASK_CATEGORIES),
    Spec(
        "content_reasoning_elicitation_share_{w}",
        "share of prompts containing a reasoning-elicitation phrase (content.reasoning_phrases)",
        ("events.prompt",),
    ),
    Spec("content_prompt_chars_mean_{w}", "mean prompt length in characters", ("events.prompt",)),
    Spec(
        "content_input_tokens_mean_{w}", "mean input tokens per exchange", ("events.input_tokens",)
    ),
    Spec(
        "content_simhash_distinct_ratio_{w}",
        "distinct prompt SimHashes per exchange with a prompt (low = template reuse)",
        SH,
    ),
    Spec(
        "content_near_dup_share_{w}",
        "share of exchanges whose SimHash shares an LSH band (cohort.simhash_bands) with another "
        "exchange of the account: exact or near duplicates (any Hamming distance < bands)",
        SH,
    ),
    Spec("content_top_template_share_{w}", "share of exchanges with the most used SimHash", SH),
    Spec(
        "content_conversation_depth_mean_{w}",
        "mean exchanges per conversation",
        ("events.conversation_id",),
    ),
    Spec(
        "content_single_turn_share_{w}",
        "share of conversations with a single exchange",
        ("events.conversation_id",),
    ),
    Spec("content_turn_index_mean_{w}", "mean turn index", ("events.turn_index",)),
    Spec(
        "content_tool_use_share_{w}",
        "share of exchanges stopped on tool_use",
        ("events.stop_reason",),
    ),
    Spec(
        "content_tool_followup_share_{w}",
        "share of tool_use exchanges followed by another exchange of the same conversation",
        ("events.stop_reason", "events.conversation_id"),
    ),
    Spec(
        "content_tools_declared_share_{w}",
        "share of exchanges declaring at least one tool",
        ("events.tools_declared",),
    ),
    Spec(
        "content_system_prompt_share_{w}",
        "share of exchanges with a system prompt",
        ("events.has_system_prompt",),
    ),
    Spec(
        "content_refusal_share_{w}",
        "share of exchanges stopped on refusal",
        ("events.stop_reason",),
    ),
]


def simhash_bands(t: Tables, cfg: FeatureConfig) -> ibis.Table:
    """Distinct (account_id, h, c) prompt SimHashes with exchange counts, one row per band.

    Columns: account_id, h (SimHash), c (exchanges with it), band (0..B-1), v (band bits).
    SimHash 0 (a prompt with no token) and nulls are left out. Materialised once per pass
    (features.frame.band_rows) and shared with the cohort family.
    """
    return t.bands if t.bands is not None else band_rows(t.events, cfg)


def build(t: Tables, as_of, window: str, cfg: FeatureConfig) -> ibis.Table:
    """Content mix and template reuse over ``[as_of - window, as_of)``, per active account.

    Args:
        t: the cutoff's tables.
        as_of: the cutoff (already applied in `t`).
        window: the window (already applied in `t`).
        cfg: feature configuration (content and cohort.simhash_bands).
    """
    e, w = t.events, t.label
    cat = e.task_category
    base = e.group_by("account_id").agg(
        focus=share(cat.isin(cfg.content.focus_categories)),
        **{f"cat_{c}": share(cat == c) for c in TASK_CATEGORIES},
        reasoning=share(e.reasoning),
        chars=e.prompt_chars.mean(),
        tin=e.input_tokens.mean(),
        turn=e.turn_index.mean(),
        tool=share(e.stop_reason == "tool_use"),
        refusal=share(e.stop_reason == "refusal"),
        tools=share(e.tools_declared > 0),
        system=share(e.has_system_prompt),
    )
    cc = (
        e.filter(cat.notnull()).group_by(["account_id", "task_category"]).agg(n=lambda x: x.count())
    )
    rn = ibis.row_number().over(
        ibis.window(group_by="account_id", order_by=[ibis.desc(cc.n), cc.task_category])
    )
    top = cc.mutate(rn=rn).filter(lambda x: x.rn == 0).select("account_id", top=cc.task_category)
    hhi_t = cc.group_by("account_id").agg(tot=cc.n.sum(), sq=(cc.n * cc.n).sum())
    hhi = hhi_t.select("account_id", hhi=ratio(hhi_t.sq, hhi_t.tot * hhi_t.tot))

    b = simhash_bands(t, cfg)
    # s: the account's exchanges in each of h's band buckets (a window sum, no self-join)
    bj = b.mutate(s=b.c.sum().over(ibis.window(group_by=["account_id", "band", "v"])))
    per_h = bj.group_by(["account_id", "h"]).agg(c=bj.c.max(), s=bj.s.max())
    tmpl = per_h.group_by("account_id").agg(
        k=per_h.count(),
        tot=per_h.c.sum(),
        near=ibis.cases((per_h.s >= 2, per_h.c), else_=0).sum(),
        top=per_h.c.max(),
    )
    tmpl = tmpl.select(
        "account_id",
        dist=ratio(tmpl.k, tmpl.tot),
        near=ratio(tmpl.near, tmpl.tot),
        toph=ratio(tmpl.top, tmpl.tot),
    )

    conv_e = e.filter(e.conversation_id.notnull()).select(
        "account_id", "conversation_id", "t_ms", "request_id", "stop_reason"
    )
    nxt = conv_e.t_ms.lead().over(
        ibis.window(
            group_by=["account_id", "conversation_id"], order_by=[conv_e.t_ms, conv_e.request_id]
        )
    )
    conv_e = conv_e.mutate(nxt=nxt)
    follow = conv_e.filter(conv_e.stop_reason == "tool_use")
    follow = follow.group_by("account_id").agg(follow=share(follow.nxt.notnull()))
    conv = conv_e.group_by(["account_id", "conversation_id"]).agg(k=conv_e.count())
    conv = conv.group_by("account_id").agg(depth=conv.k.mean(), single=share(conv.k == 1))

    j = left_join_all(base, top, hhi, tmpl, conv, follow)
    return j.select(
        "account_id",
        **{
            f"content_focus_share_{w}": j.focus,
            **{f"content_{c}_share_{w}": j[f"cat_{c}"] for c in TASK_CATEGORIES},
            f"content_category_hhi_{w}": j.hhi,
            f"content_top_category_{w}": j.top,
            f"content_reasoning_elicitation_share_{w}": j.reasoning,
            f"content_prompt_chars_mean_{w}": j.chars.cast("float64"),
            f"content_input_tokens_mean_{w}": j.tin.cast("float64"),
            f"content_simhash_distinct_ratio_{w}": j.dist,
            f"content_near_dup_share_{w}": j.near,
            f"content_top_template_share_{w}": j.toph,
            f"content_conversation_depth_mean_{w}": j.depth.cast("float64"),
            f"content_single_turn_share_{w}": j.single,
            f"content_turn_index_mean_{w}": j.turn.cast("float64"),
            f"content_tool_use_share_{w}": j.tool,
            f"content_tool_followup_share_{w}": j.follow,
            f"content_tools_declared_share_{w}": j.tools,
            f"content_system_prompt_share_{w}": j.system,
            f"content_refusal_share_{w}": j.refusal,
        },
    )
