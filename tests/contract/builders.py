"""Builders of small, valid contract tables (pyarrow, no simulator)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

UTC = dt.UTC
T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def events_table(n: int = 6, accounts: tuple[str, ...] = ("a1", "a2", "a3")) -> pa.Table:
    """A valid events table with the required columns and a few optional ones."""
    return pa.table(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "account_id": [accounts[i % len(accounts)] for i in range(n)],
            "ts": pa.array(
                [T0 + dt.timedelta(hours=i) for i in range(n)], pa.timestamp("us", tz="UTC")
            ),
            "model": ["model-a"] * n,
            "ip": [f"10.0.0.{i}" for i in range(n)],
            "input_tokens": pa.array([100 + i for i in range(n)], pa.int32()),
            "output_tokens": pa.array([200 + i for i in range(n)], pa.int32()),
            "status_code": pa.array([200] * n, pa.int16()),
            "task_category": ["coding"] * n,
            "prompt": [f"Write a Python function number {i}" for i in range(n)],
        }
    )


def accounts_table(ids: tuple[str, ...] = ("a1", "a2", "a3")) -> pa.Table:
    """A valid accounts table (required columns plus tier)."""
    return pa.table(
        {
            "account_id": list(ids),
            "created_at": pa.array(
                [T0 - dt.timedelta(days=30)] * len(ids), pa.timestamp("us", "UTC")
            ),
            "tier": ["free"] * len(ids),
        }
    )


def labels_table() -> pa.Table:
    """A valid labels table: one campaign member, one benign account."""
    return pa.table(
        {
            "account_id": ["a1", "a2"],
            "label": pa.array([1, 0], pa.int8()),
            "campaign_id": ["camp-1", None],
            "labelled_at": pa.array([T0 + dt.timedelta(days=2)] * 2, pa.timestamp("us", "UTC")),
        }
    )


def replace(t: pa.Table, name: str, values: list, type_: pa.DataType | None = None) -> pa.Table:
    """`t` with column `name` replaced (or added) by `values`."""
    arr = pa.array(values, type_) if type_ is not None else pa.array(values)
    if name in t.column_names:
        return t.set_column(t.column_names.index(name), name, arr)
    return t.append_column(name, arr)
