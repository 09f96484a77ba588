"""Events of a block of accounts: days, sessions, requests, conversations, content, status.

Vectorised throughout: an (account, day) table is expanded to sessions, sessions to
requests, with numpy repeat / cumsum, never a Python loop over events. One call
generates one *stream* (a profile's activity and content) for a block of accounts
of a group; a proxy-network account carries two streams (harvest and customers).
"""

from __future__ import annotations

import numpy as np

from simulate.accounts import DAY_US, Group, draw_clients, lognormal
from simulate.config import Activity, Content, WorldConfig
from simulate.pools import Pools
from simulate.prompts import Grammar

CATS = ("coding", "agentic", "reasoning", "math", "writing", "chat", "vision", "other")
STOPS = ("end_turn", "max_tokens", "tool_use", "refusal", "stop_sequence")
TOOL_CATS = np.array([c in ("coding", "agentic", "vision") for c in CATS])


def _segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and 0-based position of every child when parent i has counts[i] children."""
    parent = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return parent, np.arange(len(parent)) - starts[parent]


def _categorical(rng: np.random.Generator, cum: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element of `rows` from the row's cumulative distribution `cum[row]`."""
    u = rng.random(len(rows))[:, None]
    return np.minimum((cum[rows] < u).sum(axis=1), cum.shape[1] - 1)


def wave_times(cfg: WorldConfig, group: Group, act: Activity, diurnal: np.ndarray) -> np.ndarray:
    """Group-wide session wave times (seconds into each UTC day), shape (days, waves)."""
    rng = np.random.default_rng([cfg.seed, 2, group.index])
    k = max(act.sync_waves_per_day, 1)
    hours = rng.choice(24, size=(cfg.days, k), p=diurnal / diurnal.sum())
    tz = int(np.median(group.tz)) if group.n else 0
    return ((hours - tz) % 24) * 3600 + rng.uniform(0, 3600, (cfg.days, k))


def generate(
    rng: np.random.Generator,
    cfg: WorldConfig,
    pools: Pools,
    grammar: Grammar,
    group: Group,
    idx: np.ndarray,
    act: Activity,
    con: Content,
    scale: np.ndarray,
    waves: np.ndarray,
    overload: np.ndarray,
) -> dict[str, np.ndarray] | None:
    """Events of accounts `idx` of `group` for one stream; None when there are none."""
    tr, inf = cfg.traffic, group.profile.infra
    start_us = int(cfg.start.timestamp() * 1e6)
    n, D = len(idx), cfg.days

    # Per-account behaviour of this stream.
    spd = lognormal(rng, act.sessions_per_day, n) * scale
    rps = lognormal(rng, act.requests_per_session, n)
    p_act = rng.beta(act.active_day_prob.a, act.active_day_prob.b, n)
    gap_mean = lognormal(rng, act.gap_seconds, n)
    shape = np.maximum(lognormal(rng, act.gap_shape, n), 0.2)
    tw = np.array([con.tasks.get(c, 0.0) for c in CATS])
    task_w = tw * np.exp(0.6 * rng.standard_normal((n, len(CATS)))) * (tw > 0)
    task_cum = np.cumsum(task_w / task_w.sum(axis=1, keepdims=True), axis=1)
    lag_us = lognormal(rng, con.adoption_lag_hours, n) * 3.6e9
    adopt = rng.beta(con.adoption_share.a, con.adoption_share.b, n)
    fast = np.clip(con.fast_model_share * np.exp(0.5 * rng.standard_normal(n)), 0, 1)
    lo, hi = con.tools_declared
    n_tools = rng.integers(lo, hi + 1, n)
    sys_p = np.where(rng.random(n) < con.system_prompt_prob, 0.95, 0.05)
    in_scale = lognormal(rng, con.input_scale, n)
    out_scale = lognormal(rng, con.output_scale, n)

    # Active (account, day) pairs.
    d0 = np.clip((group.first_us[idx] - start_us) // DAY_US, 0, D)
    d1 = np.clip(-(-(group.last_us[idx] - start_us) // DAY_US), 0, D)
    a_of, pos = _segments(np.maximum(d1 - d0, 0))
    day = d0[a_of] + pos
    dow = (cfg.start.weekday() + day) % 7
    p = p_act[a_of] * np.where(dow >= 5, act.weekend_factor, 1.0)
    keep = rng.random(len(day)) < np.clip(p, 0, 1)
    a_of, day = a_of[keep], day[keep]
    if len(day) == 0:
        return None

    # Sessions per active day, and when each starts.
    noise = np.exp(act.day_sigma * rng.standard_normal(len(day)))
    ns = 1 + rng.poisson(np.maximum(spd[a_of] * noise - 1, 0))
    s_day_i, _ = _segments(ns)
    s_acc, s_day = a_of[s_day_i], day[s_day_i]
    diurnal = np.asarray(tr.diurnal[act.diurnal], dtype=float)
    hour = rng.choice(24, size=len(s_acc), p=diurnal / diurnal.sum())
    t0 = s_day * 86400.0 + (hour - group.tz[idx][s_acc]) * 3600 + rng.uniform(0, 3600, len(s_acc))
    sync = rng.random(len(s_acc)) < act.sync_share
    if sync.any():
        w = rng.integers(0, waves.shape[1], sync.sum())
        t0[sync] = s_day[sync] * 86400.0 + waves[s_day[sync], w]
        t0[sync] += rng.normal(0, act.sync_jitter_seconds, sync.sum())

    # Requests per session and their think times.
    nr = 1 + rng.poisson(
        np.maximum(rps[s_acc] * np.exp(0.5 * rng.standard_normal(len(s_acc))) - 1, 0)
    )
    e_sess, e_pos = _segments(nr)
    e_acc = s_acc[e_sess]
    k = shape[e_acc]
    gap = rng.gamma(k, gap_mean[e_acc] / k)
    pause = rng.random(len(gap)) < act.pause_prob
    gap[pause] += lognormal(rng, act.pause_seconds, int(pause.sum()))
    gap[e_pos == 0] = 0.0
    cum = np.cumsum(gap)
    ts_s = t0[e_sess] + cum - (cum - gap)[e_pos == 0][e_sess]
    ok = (ts_s >= 0) & (ts_s < D * 86400.0)
    e_sess, e_pos, e_acc, ts_s = e_sess[ok], e_pos[ok], e_acc[ok], ts_s[ok]
    E = len(ts_s)
    if E == 0:
        return None
    ts = start_us + (ts_s * 1e6).astype(np.int64)

    # Conversations: a new one at each session start, or with probability 1/turns_mean.
    new_conv = (e_pos == 0) | (rng.random(E) < 1.0 / max(act.turns_mean, 1.0))
    new_conv[np.r_[True, e_sess[1:] != e_sess[:-1]]] = True
    conv = np.cumsum(new_conv) - 1
    n_conv = int(conv[-1]) + 1
    conv_first = np.flatnonzero(new_conv)
    turn = np.arange(E) - conv_first[conv]
    c_acc = e_acc[conv_first]
    c_cat = _categorical(rng, task_cum, c_acc)
    c_tools = TOOL_CATS[c_cat] & (rng.random(n_conv) < con.tools_share)
    c_sys = rng.random(n_conv) < sys_p[c_acc]
    fam_tab = group.families[idx]
    c_fam = fam_tab[c_acc, rng.integers(0, fam_tab.shape[1], n_conv)]
    free = (c_fam < 0) | (con.families_per_account == 0)
    c_fam = np.where(free, rng.integers(0, grammar.families - 1, n_conv), c_fam)
    u = rng.random(n_conv)
    n_para = grammar.paraphrases
    spread = np.exp(tr.account_rate_sigma * rng.standard_normal((3, n)))
    para = np.clip(con.paraphrase_rate * spread[0], 0, 0.95)[c_acc]
    elicit = np.clip(con.elicitation_share * spread[1], 0, 0.95)[c_acc]
    rubric = np.clip(con.rubric_share * spread[2], 0, 0.95)[c_acc]
    c_var = np.where(
        u < para,
        rng.integers(1, n_para + 1, n_conv),
        np.where(
            u < para + con.translation_rate,
            rng.integers(n_para + 1, grammar.variants, n_conv),
            0,
        ),
    )
    u = rng.random(n_conv)
    c_eli = np.where(u < elicit, 1, np.where(u < elicit + rubric, 2, 0))
    cat = c_cat[conv]
    follow = turn > 0
    prompt = grammar.address(
        cat,
        np.where(follow, grammar.families - 1, c_fam[conv]),
        np.where(follow, 0, c_var[conv]),
        rng.integers(0, grammar.slot_fills, E),
        np.where(follow, 0, c_eli[conv]),
    )

    # Tokens, stop reasons, latency.
    base_in = np.array([tr.input_tokens[c] for c in CATS])[cat]
    base_out = np.array([tr.output_tokens[c] for c in CATS])[cat]
    sig = con.token_sigma
    inp = base_in * in_scale[e_acc] * np.exp(sig * rng.standard_normal(E))
    inp += tr.context_growth * turn * (base_in + base_out) * in_scale[e_acc]
    eli = c_eli[conv] * (~follow)
    out = base_out * out_scale[e_acc] * np.exp(sig * rng.standard_normal(E))
    out *= np.where(eli == 1, 2.5, np.where(eli == 2, 1.6, 1.0))
    cap = np.array([tr.max_tokens[c] for c in CATS])[cat]
    stop = np.zeros(E, dtype=np.int8)
    stop[out >= cap] = 1
    out = np.minimum(out, cap)
    last_turn = np.r_[new_conv[1:], True]
    tool_stop = c_tools[conv] & ~last_turn & (rng.random(E) < 0.8)
    stop[tool_stop] = 2
    refuse = rng.random(E) < tr.refusal_rate
    stop[refuse] = 3
    out[refuse] = np.minimum(out[refuse], 60)

    # Model: the newest release of the line the account has adopted (after its lag).
    model = np.empty(E, dtype=np.int16)
    use_fast = rng.random(E) < fast[e_acc]
    adj = ts - lag_us[e_acc].astype(np.int64)
    take_new = rng.random(E) < adopt[e_acc]
    for line, mask in (("fast", use_fast), ("flagship", ~use_fast)):
        members = np.flatnonzero(pools.model_line == line)
        members = members[np.argsort(pools.model_release_us[members])]
        rel = pools.model_release_us[members]
        newest = np.clip(np.searchsorted(rel, adj[mask], side="right") - 1, 0, len(rel) - 1)
        pick = np.where(take_new[mask], newest, np.maximum(newest - 1, 0))
        ok = rel[pick] <= ts[mask]
        model[mask] = np.where(ok, members[pick], members[0])

    # Network and client of each request.
    g_idx = idx[e_acc]
    home = rng.integers(0, group.n_home[g_idx])
    asn = group.home_asn[g_idx].copy()
    host = group.home_host[g_idx, home]
    if group.shared_asn[0, 0] >= 0:
        sh = rng.random(E) < inf.shared_ip_share
        slot = rng.integers(0, group.shared_asn.shape[1], int(sh.sum()))
        unit = group.shared_unit[g_idx[sh]]
        asn[sh] = group.shared_asn[unit, slot]
        host[sh] = group.shared_host[unit, slot]
    rot = rng.random(E) < inf.ip_rotation
    if rot.any():
        kinds = np.array(list(inf.asn_kinds))
        kw = np.array(list(inf.asn_kinds.values()))
        rk = kinds[rng.choice(len(kinds), int(rot.sum()), p=kw / kw.sum())]
        cand = {k: pools.asns_of(k) for k in kinds}
        asn[rot] = [cand[k][rng.integers(len(cand[k]))] for k in rk]
        host[rot] = rng.integers(0, 65536, int(rot.sum())) % pools.asn_hosts[asn[rot]]
    client = group.clients[g_idx, rng.integers(0, group.n_clients[g_idx])]
    crot = rng.random(E) < inf.client_rotation
    if crot.any():
        client[crot] = draw_clients(rng, pools, inf.client_families, int(crot.sum()))
    ua = client.copy()
    spoof = rng.random(E) < inf.ua_spoof_rate
    ua[spoof] = draw_clients(rng, pools, inf.client_families, int(spoof.sum()))

    # Status: 429 beyond the tier's per-minute limit, 400s, 529s in overloaded hours.
    rpm = np.array([tr.rate_limit_rpm[t] for t in group.tier[g_idx]])
    key = g_idx.astype(np.int64) * (D * 1440 + 1) + (ts - start_us) // 60_000_000
    order = np.argsort(key, kind="stable")
    sk = key[order]
    first = np.r_[True, sk[1:] != sk[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(E), 0))
    rank = np.empty(E, dtype=np.int64)
    rank[order] = np.arange(E) - grp_start
    status = np.full(E, 200, dtype=np.int16)
    status[rng.random(E) < tr.error_400_rate] = 400
    hours = (ts - start_us) // 3_600_000_000
    status[overload[hours] & (rng.random(E) < tr.overload_529_rate)] = 529
    status[rank >= rpm] = 429
    failed = status != 200
    out[failed] = 0
    latency = lognormal(rng, tr.latency_base_ms, E) + out * tr.latency_per_token_ms * np.exp(
        0.2 * rng.standard_normal(E)
    )
    latency[failed] = rng.uniform(5, 80, int(failed.sum()))

    return {
        "acc": g_idx,
        "ts": ts,
        "model": model,
        "asn": asn,
        "host": host,
        "client": client,
        "ua": ua,
        "conv": rng.integers(0, 2**63, n_conv, dtype=np.int64)[conv],
        "turn": turn.astype(np.int32),
        "prompt": prompt,
        "cat": cat.astype(np.int8),
        "stop": np.where(failed, -1, stop).astype(np.int8),
        "in": np.round(inp).astype(np.int32),
        "out": np.round(out).astype(np.int32),
        "status": status,
        "latency": np.round(latency).astype(np.int32),
        "tools": np.where(c_tools[conv], n_tools[e_acc], 0).astype(np.int16),
        "sys": c_sys[conv],
        "rid": rng.integers(0, 2**63, (E, 2), dtype=np.int64),
    }
