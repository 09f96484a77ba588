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

from models.reason_names import (
    FAMILY_NAMES,
    SHARED_THINGS,
    FeatureName,
    parse_feature_name,
    plain_words,
)
from models.reason_values import (
    comparison,
    format_value,
    is_missing,
    legit_rank,
    number_text,
    percent,
)

__all__ = [
    "comparison",
    "format_value",
    "is_well_formed",
    "legit_rank",
    "parse_feature_name",
    "phrases",
    "plain_words",
    "sentence",
    "value_kind",
]


# ---------------------------------------------------------------- curated sentences


@functools.cache
def phrases() -> dict[str, tuple[str, str]]:
    """Curated sentences: stem -> (value kind, text with {v}), from configs/score.yaml phrases."""
    from scoring.config import load_score_config

    return {k: (v[0], v[1]) for k, v in load_score_config().phrases.items()}


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


def _rarity(fn: FeatureName, value: object, val: str) -> str | None:
    """``infra_tls_rarity``: -log10(share of accounts using the value) back to a share."""
    if fn.family != "infra" or "rarity" not in fn.words or isinstance(value, str):
        return None
    thing = plain_words(tuple(w for w in fn.words if w != "rarity"))
    if is_missing(value):
        return f"rarity of its {thing} was missing"
    share = 10 ** -float(value)
    return f"its {thing} are rare: each is used by {percent(share)} of active accounts on average"


def _has_org(fn: FeatureName, value: object, val: str) -> str | None:
    if fn.stem != "account_has_org" or is_missing(value) or isinstance(value, str):
        return None
    return "it belongs to an organisation" if float(value) >= 0.5 else "it has no organisation"


def _curated(fn: FeatureName, value: object, val: str) -> str | None:
    entry = phrases().get(fn.stem)
    if entry is None:
        return None
    kind, text = entry
    if kind == "category" and not isinstance(value, str) and not is_missing(value):
        return None
    return text.format(v=format_value(value, "number" if kind == "category" else kind))


# ---------------------------------------------------------------- templates

Template = Callable[[FeatureName, object, str], str | None]


def _shared_template(fn: FeatureName, value: object, val: str) -> str | None:
    if fn.family != "cohort" or isinstance(value, str) or is_missing(value):
        return None
    stat = fn.statistic
    if any(w in fn.words for w in ("component", "ring", "cluster")):
        return f"is linked through shared attributes to a group of {val} accounts"
    if any(w in fn.words for w in ("corr", "correlation", "track", "tracks", "sync")):
        return f"its hourly activity tracks its cohort's (correlation {number_text(float(value))})"
    for word, thing in SHARED_THINGS:
        if word in fn.words or word in stat:
            n = max(int(round(float(value))), 0)
            if value_kind(fn) == "share":
                return f"{percent(float(value))} of its traffic shares {thing} with other accounts"
            if thing == "its sign-up hour":
                return f"signed up in the same hour as {n:,} other account{'s' * (n != 1)}"
            return f"shares {thing} with {n:,} other account{'s' * (n != 1)}"
    return None


def _share_template(fn: FeatureName, value: object, val: str) -> str | None:
    if value_kind(fn) != "share" or isinstance(value, str) or is_missing(value):
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
