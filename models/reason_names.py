"""Feature names in plain words: family_statistic_window parsed, statistic words translated.

``cadence_iat_cv_7d`` is family ``cadence`` (timing), statistic ``iat cv`` (coefficient of
variation of time between requests), window ``7d`` (over the last 7 days). Used by the reason
sentences (models/reasons.py) so that a feature added later still reads as English.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

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
