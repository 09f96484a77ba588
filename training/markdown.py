"""Markdown tables without extra dependencies (pandas' to_markdown needs tabulate)."""

from __future__ import annotations

import math

import pandas as pd


def _cell(v: object, digits: int) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.{digits}f}"
    return str(v).replace("|", "\\|")


def md_table(df: pd.DataFrame, digits: int = 3) -> str:
    """`df` as a GitHub markdown table; floats with `digits` decimals, NaN as n/a."""
    if df.empty:
        return "_(no rows)_\n"
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v, digits) for v in row) + " |")
    return "\n".join(lines) + "\n"
