"""Reason text: one SHAP reason (feature, value, reference statistics) as a reviewer's sentence.

A reviewer reads "93% of exchanges were coding or agentic; the median account: 31%", not
``content_coding_agentic_share_7d = 0.93``. Feature names follow family_statistic_window
(features/); the sentence is chosen by template on the statistic's words, with a generic
fallback assembled from the name's parts, so a feature added later still reads as English.
The comparison comes from ``DistillGuardModel.reference`` (statistics of legitimate training
accounts): the median, and where quantile bin edges exist, the share of legitimate accounts
below the value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

WINDOW_RE = re.compile(r"^(\d+)([hdw])$")
UNITS = {"h": "hour", "d": "day", "w": "week"}

FAMILY_NAMES = {
    "volume": "volume",
    "cadence": "timing",
    "content": "content",
    "infra": "infrastructure",
    "infrastructure": "infrastructure",
    "account": "account",
    "adoption": "model adoption",
    "cohort": "shared attributes",
}

# statistic words -> plain words (multi-word keys are tried first)
WORDS: dict[str, str] = {
    "iat": "time between requests",
    "gap": "gap between requests",
    "gaps": "gaps between requests",
    "cv": "coefficient of variation",
    "p50": "median",
    "p90": "90th percentile",
    "p95": "95th percentile",
    "p99": "99th percentile",
    "std": "standard deviation",
    "n": "number of",
    "num": "number of",
    "cnt": "count of",
    "nunique": "distinct",
    "ip": "IP addresses",
    "ips": "IP addresses",
    "ip24": "/24 networks",
    "prefix24": "/24 networks",
    "prefixes": "/24 networks",
    "slash24": "/24 networks",
    "asn": "networks (ASNs)",
    "asns": "networks (ASNs)",
    "tls": "TLS client fingerprints",
    "header": "header fingerprints",
    "headers": "header fingerprints",
    "ua": "user agents",
    "user agent": "user agents",
    "simhash": "prompt fingerprints",
    "simhashes": "prompt fingerprints",
    "dc": "datacenter",
    "429": "HTTP 429 (rate-limited) responses",
    "429s": "HTTP 429 (rate-limited) responses",
    "max tokens": "exchanges cut off at the output-token limit",
    "tok": "tokens",
    "in": "input",
    "out": "output",
    "io": "output/input",
    "req": "requests",
    "reqs": "requests",
    "per": "per",
    "sys": "system",
    "pct": "share",
    "frac": "share",
    "hod": "hour-of-day",
    "dow": "day-of-week",
    "conv": "conversation",
    "convs": "conversations",
    "24h": "within 24 hours of release",
    "72h": "within 72 hours of release",
    "signup": "sign-up",
    "neardup": "near-duplicate",
    "dup": "duplicate",
    "sec": "seconds",
    "secs": "seconds",
    "ms": "milliseconds",
    "mins": "minutes",
    "hrs": "hours",
}

# subjects of cohort sharing statistics: word in the statistic -> what is shared
SHARED_THINGS: tuple[tuple[str, str], ...] = (
    ("payment", "a payment instrument"),
    ("tls", "its TLS client fingerprint"),
    ("header", "its header fingerprint"),
    ("ip24", "its /24 networks"),
    ("prefix", "its /24 networks"),
    ("slash24", "its /24 networks"),
    ("ip", "its IP addresses"),
    ("asn", "its networks"),
    ("signup", "its sign-up hour"),
    ("wave", "its sign-up wave"),
    ("simhash", "its prompt templates"),
    ("template", "its prompt templates"),
    ("prompt", "its prompt templates"),
    ("band", "its prompt templates"),
    ("ua", "its user agent"),
)


@dataclass(frozen=True)
class FeatureName:
    """A feature name split into family, statistic words and window (e.g. ``7d``)."""

    name: str
    family: str
    words: tuple[str, ...]
    window: str | None

    @property
    def stem(self) -> str:
        """The name without its window: ``cadence_iat_cv`` for ``cadence_iat_cv_7d``."""
        return (
            "_".join((self.family, *self.words))
            if self.family != "feature"
            else "_".join(self.words)
        )

    @property
    def statistic(self) -> str:
        """The statistic's words joined by spaces."""
        return " ".join(self.words)

    @property
    def window_phrase(self) -> str:
        """``over the last 7 days`` for ``7d``; empty where the name has no window."""
        if not self.window or self.window == "asof":
            return ""
        n, unit = WINDOW_RE.match(self.window).groups()
        count = int(n)
        return f"over the last {count} {UNITS[unit]}{'s' if count != 1 else ''}"


@functools.lru_cache(maxsize=4096)
def parse_feature_name(name: str) -> FeatureName:
    """Split family_statistic_window; a name without a window or statistic still parses."""
    parts = [p for p in name.lower().split("_") if p]
    if not parts:
        raise ValueError("empty feature name")
    last = parts[-1]
    window = last if len(parts) > 1 and (WINDOW_RE.match(last) or last == "asof") else None
    body = parts[:-1] if window else parts
    family, words = (body[0], tuple(body[1:])) if len(body) > 1 else ("feature", tuple(body))
    return FeatureName(name=name, family=family, words=words, window=window)


COUNT_WORDS = {"n", "num", "count", "cnt", "distinct", "nunique"}
STAT_WORDS = {
    "cv": "coefficient of variation",
    "mean": "mean",
    "avg": "mean",
    "median": "median",
    "p50": "median",
    "p90": "90th percentile",
    "p95": "95th percentile",
    "p99": "99th percentile",
    "std": "standard deviation",
    "max": "maximum",
    "min": "minimum",
    "entropy": "entropy",
    "sum": "total",
    "total": "total",
}


def _translate(words: tuple[str, ...]) -> str:
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i : i + 2])
        if i + 1 < len(words) and pair in WORDS:
            out.append(WORDS[pair])
            i += 2
            continue
        out.append(WORDS.get(words[i], words[i]))
        i += 1
    return " ".join(out)


def plain_words(words: tuple[str, ...]) -> str:
    """Statistic words in plain English: ``iat cv`` -> coefficient of variation of time between
    requests, ``tls n`` -> number of distinct TLS client fingerprints."""
    if not words:
        return ""
    if words[-1] in COUNT_WORDS and len(words) > 1:
        return f"number of distinct {_translate(words[:-1])}"
    if words[0] in COUNT_WORDS and len(words) > 1:
        return f"number of distinct {_translate(words[1:])}"
    if words[-1] in STAT_WORDS and len(words) > 1:
        return f"{STAT_WORDS[words[-1]]} of {_translate(words[:-1])}"
    return _translate(words)


# ---------------------------------------------------------------- value formatting


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, str):
        return False
    try:
        return bool(np.isnan(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _pct(x: float) -> str:
    if abs(x) < 0.01 and x != 0:
        return f"{x * 100:.2g}%"
    return f"{x * 100:.0f}%"


def _num(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 0.01:
        return f"{x:.2f}"
    return f"{x:.2g}"


def format_value(value: object, kind: str = "number") -> str:
    """A value as a reviewer reads it: ``kind`` is share, count or number; text passes through."""
    if _is_missing(value):
        return "missing"
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    x = float(value)
    if kind == "share":
        return _pct(x)
    if kind == "count":
        return f"{round(x):,}"
    return _num(x)


def value_kind(fn: FeatureName) -> str:
    """share, count or number: the curated kind, else from the statistic's words."""
    curated = phrases().get(fn.stem)
    if curated is not None:
        return "number" if curated[0] == "category" else curated[0]
    w = set(fn.words)
    if w & {"share", "frac", "pct", "rate"} and not w & {"per"}:
        return "share"
    if w & {"n", "num", "count", "cnt", "distinct", "nunique", "days", "size", "accounts"}:
        return "count"
    return "number"


# ---------------------------------------------------------------- reference statistics


def _ref_get(ref: Mapping | None, *keys: str) -> object:
    if not ref:
        return None
    for k in keys:
        if k in ref and not _is_missing(ref[k]):
            return ref[k]
    return None


def _cdf(edges: object, props: object) -> tuple[np.ndarray, np.ndarray] | None:
    """(x, F(x)) points of the legitimate accounts' distribution from quantile bins."""
    e = np.asarray(edges, dtype=float)
    if e.size < 1:
        return None
    if props is None:  # evenly spaced quantiles
        return e, np.linspace(0, 1, e.size)
    p = np.asarray(props, dtype=float)
    if p.size == e.size + 1:  # open-ended first and last bins
        return e, np.cumsum(p)[:-1]
    if p.size == e.size - 1:
        cum = np.concatenate([[0.0], np.cumsum(p)])
        return e, cum / cum[-1] if cum[-1] else cum
    return None


_CDF_CACHE: dict[tuple[int, int], tuple[object, object, object]] = {}


def legit_rank(value: object, ref: Mapping | None) -> float | None:
    """Share of legitimate training accounts below `value`, from the reference's quantile bins."""
    edges = _ref_get(ref, "bin_edges", "edges", "quantiles")
    props = _ref_get(ref, "proportions", "props", "bin_proportions")
    if isinstance(props, Mapping) or edges is None or _is_missing(value):
        return None
    if isinstance(value, str):
        return None
    key = (id(edges), id(props))
    hit = _CDF_CACHE.get(key)
    if hit is None or hit[0] is not edges or hit[1] is not props:
        hit = (edges, props, _cdf(edges, props))  # keeps edges/props alive: ids stay valid
        _CDF_CACHE[key] = hit
    cdf = hit[2]
    if cdf is None:
        return None
    return float(np.interp(float(value), cdf[0], cdf[1]))


def comparison(value: object, ref: Mapping | None, kind: str) -> str:
    """``the median account: 31%`` plus, where bins allow, how unusual the value is."""
    parts: list[str] = []
    if isinstance(value, str):
        share = _ref_get(ref, "proportions", "categories")
        if isinstance(share, Mapping) and value in share:
            parts.append(f"{_pct(float(share[value]))} of legitimate accounts have it")
        return "; ".join(parts)
    median = _ref_get(ref, "median", "p50")
    if median is not None:
        parts.append(f"the median legitimate account: {format_value(median, kind)}")
    rank = legit_rank(value, ref)
    if rank is None:
        return "; ".join(parts)
    rank = round(rank, 6)
    above = median is None or float(value) > float(median)
    below = median is None or float(value) < float(median)
    if (rank >= 0.9 and above) or (rank <= 0.1 and below):
        if rank >= 0.9:
            parts.append(f"higher than {_pct(min(rank, 0.999))} of legitimate accounts")
        else:
            parts.append(f"lower than {_pct(min(1 - rank, 0.999))} of legitimate accounts")
    return "; ".join(parts)


# ---------------------------------------------------------------- curated sentences


@functools.cache
def phrases() -> dict[str, tuple[str, str]]:
    """Curated sentences: stem -> (value kind, text with {v}), from configs/score.yaml phrases."""
    from scoring.config import load_score_config

    return {k: (v[0], v[1]) for k, v in load_score_config().phrases.items()}


def _rarity(fn: FeatureName, value: object, val: str) -> str | None:
    """``infra_tls_rarity``: -log10(share of accounts using the value) back to a share."""
    if fn.family != "infra" or "rarity" not in fn.words or isinstance(value, str):
        return None
    thing = plain_words(tuple(w for w in fn.words if w != "rarity"))
    if _is_missing(value):
        return f"rarity of its {thing} was missing"
    share = 10 ** -float(value)
    return f"its {thing} are rare: each is used by {_pct(share)} of active accounts on average"


def _has_org(fn: FeatureName, value: object, val: str) -> str | None:
    if fn.stem != "account_has_org" or _is_missing(value) or isinstance(value, str):
        return None
    return "it belongs to an organisation" if float(value) >= 0.5 else "it has no organisation"


def _curated(fn: FeatureName, value: object, val: str) -> str | None:
    entry = phrases().get(fn.stem)
    if entry is None:
        return None
    kind, text = entry
    if kind == "category" and not isinstance(value, str) and not _is_missing(value):
        return None
    return text.format(v=format_value(value, "number" if kind == "category" else kind))


# ---------------------------------------------------------------- templates

Template = Callable[[FeatureName, object, str], str | None]


def _shared_template(fn: FeatureName, value: object, val: str) -> str | None:
    if fn.family != "cohort" or isinstance(value, str) or _is_missing(value):
        return None
    stat = fn.statistic
    if any(w in fn.words for w in ("component", "ring", "cluster")):
        return f"is linked through shared attributes to a group of {val} accounts"
    if any(w in fn.words for w in ("corr", "correlation", "track", "tracks", "sync")):
        return f"its hourly activity tracks its cohort's (correlation {_num(float(value))})"
    for word, thing in SHARED_THINGS:
        if word in fn.words or word in stat:
            n = max(int(round(float(value))), 0)
            if value_kind(fn) == "share":
                return f"{_pct(float(value))} of its traffic shares {thing} with other accounts"
            if thing == "its sign-up hour":
                return f"signed up in the same hour as {n:,} other account{'s' * (n != 1)}"
            return f"shares {thing} with {n:,} other account{'s' * (n != 1)}"
    return None


def _share_template(fn: FeatureName, value: object, val: str) -> str | None:
    if value_kind(fn) != "share" or isinstance(value, str) or _is_missing(value):
        return None
    words = tuple(w for w in fn.words if w not in {"share", "frac", "pct", "rate"})
    subject = plain_words(words) or fn.family
    if "or" not in words and len(words) == 2 and fn.family == "content":
        subject = f"{plain_words(words[:1])} or {plain_words(words[1:])}"
    if fn.family == "content":
        return f"{val} of exchanges were {subject}"
    if fn.family in ("infra", "infrastructure"):
        return f"{val} of traffic came from {subject} networks"
    if fn.family == "adoption":
        return f"{val} of traffic went to a new model {subject}"
    return f"{val} of exchanges: {subject}"


def _generic_template(fn: FeatureName, value: object, val: str) -> str:
    subject = plain_words(fn.words) or FAMILY_NAMES.get(fn.family, fn.family)
    family = FAMILY_NAMES.get(fn.family, fn.family)
    if subject == family or fn.family == "feature":
        return f"{subject} was {val}"
    return f"{family}: {subject} was {val}"


TEMPLATES: tuple[Template, ...] = (
    _has_org,
    _rarity,
    _curated,
    _shared_template,
    _share_template,
)


def _singular(text: str) -> str:
    """``1 other accounts`` -> ``1 other account``, ``1 countries`` -> ``1 country``."""

    def fix(m: re.Match) -> str:
        word = m[3]
        word = word[:-3] + "y" if word.endswith("ies") else word[:-1]
        return f"{m[1]}{m[2] or ''}{word}"

    return re.sub(r"(?<![\d.,])(1 )(other |distinct |different )?([a-z]+s)\b", fix, text)


def sentence(name: str, value: object, reference: Mapping | None = None) -> str:
    """One reason as a sentence, e.g. ``shares a payment instrument with 41 other accounts``.

    Args:
        name: feature name (family_statistic_window).
        value: the account's value (number, category string, None/NaN when missing).
        reference: that feature's reference statistics (``median``, ``edges`` and
            ``proportions``, ``categories``), or None.

    Returns:
        A sentence starting with a capital letter and ending with a full stop.
    """
    fn = parse_feature_name(name)
    kind = value_kind(fn)
    val = format_value(value, kind)
    text = None
    for template in TEMPLATES:
        text = template(fn, value, val)
        if text:
            break
    if not text:
        text = _generic_template(fn, value, val)
    window = fn.window_phrase
    if window and "over the last" not in text:
        text = f"{text} {window}"
    cmp = comparison(value, reference, kind)
    if cmp:
        text = f"{text}; {cmp}"
    text = _singular(re.sub(r"\s+", " ", text).strip())
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def is_well_formed(text: str) -> bool:
    """A reason reads as a sentence: capitalised, one full stop at the end, no code leftovers."""
    return (
        bool(text)
        and (text[0].isupper() or text[0].isdigit())
        and text.endswith(".")
        and not text.endswith("..")
        and not re.search(r"\b(None|nan|NaN|inf)\b", text)
        and not re.search(r"[{}]|[A-Za-z0-9]_[A-Za-z0-9]", text)
    )
