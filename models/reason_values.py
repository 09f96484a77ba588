"""Values and reference statistics in a reviewer's words.

``format_value`` renders a share, count or number; ``legit_rank`` and ``comparison`` place a
value among the legitimate training accounts from ``DistillGuardModel.reference`` (the median
and, where quantile bin edges exist, the share of legitimate accounts below the value).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def is_missing(value: object) -> bool:
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


def percent(x: float) -> str:
    if abs(x) < 0.01 and x != 0:
        return f"{x * 100:.2g}%"
    return f"{x * 100:.0f}%"


def number_text(x: float) -> str:
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
    if is_missing(value):
        return "missing"
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    x = float(value)
    if kind == "share":
        return percent(x)
    if kind == "count":
        return f"{round(x):,}"
    return number_text(x)


def _ref_get(ref: Mapping | None, *keys: str) -> object:
    if not ref:
        return None
    for k in keys:
        if k in ref and not is_missing(ref[k]):
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
    if isinstance(props, Mapping) or edges is None or is_missing(value):
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
            parts.append(f"{percent(float(share[value]))} of legitimate accounts have it")
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
            parts.append(f"higher than {percent(min(rank, 0.999))} of legitimate accounts")
        else:
            parts.append(f"lower than {percent(min(1 - rank, 0.999))} of legitimate accounts")
    return "; ".join(parts)
