"""Which feature columns carry account age, and which are excluded from every feature set.

The account-age columns are those the feature catalogue declares as reading
`accounts.created_at`; tests/external checks on real data that they are exactly the columns
that change when every sign-up time is made one constant (:func:`age_feature_columns`).
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

from models.detector import feature_columns


def with_constant_created_at(inputs, ts: datetime):
    """A copy of `inputs` whose accounts all signed up at `ts` (no feature can see account age)."""
    import dataclasses

    import ibis

    lit = ibis.literal(pd.Timestamp(ts).tz_convert("UTC")).cast(inputs.accounts.created_at.type())
    return dataclasses.replace(inputs, accounts=inputs.accounts.mutate(created_at=lit))


def _differs(a: pd.Series, b: pd.Series) -> bool:
    if (
        isinstance(a.dtype, pd.CategoricalDtype)
        or a.dtype == object
        or pd.api.types.is_string_dtype(a)
    ):
        a, b = a.astype(str).where(a.notna(), None), b.astype(str).where(b.notna(), None)
        return not a.equals(b)
    x, z = (
        pd.to_numeric(a, errors="coerce").to_numpy(float),
        pd.to_numeric(b, errors="coerce").to_numpy(float),
    )
    return not np.allclose(x, z, equal_nan=True, rtol=1e-9, atol=1e-12)


def age_feature_columns(real: pd.DataFrame, neutral: pd.DataFrame) -> list[str]:
    """Feature columns whose values change when every `created_at` is the same constant."""
    r = real.set_index("account_id").sort_index()
    n = neutral.set_index("account_id").reindex(r.index)
    return [c for c in feature_columns(real) if c not in n.columns or _differs(r[c], n[c])]


def declared_age_columns(columns: list[str], created_at: str = "accounts.created_at") -> list[str]:
    """Feature columns the catalogue declares as reading `accounts.created_at` (account age).

    tests/external checks on real data that these are exactly the columns that change when
    every sign-up time is made equal (:func:`age_feature_columns`).
    """

    from features.catalogue import all_specs

    pats = [
        re.compile("^" + re.escape(s.name).replace(re.escape("{w}"), ".+") + "$")
        for s in all_specs()
        if created_at in s.needs
    ]
    return [c for c in columns if any(p.match(c) for p in pats)]


def excluded_columns(columns: list[str], patterns: dict[str, str]) -> dict[str, str]:
    """Columns matching an exclusion regex (config `excluded_features`) -> the reason."""

    out = {}
    for c in columns:
        for pat, reason in patterns.items():
            if re.search(pat, c):
                out[c] = reason
                break
    return out
