"""The contract's SimHash: every published vector, and the batch path agreeing with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from distillguard.contract.simhash import shingles, simhash, simhash_many

VECTORS = json.loads(
    (Path(__file__).resolve().parents[3] / "shared" / "simhash-vectors.json").read_text()
)


def test_vectors_file_is_not_empty():
    assert len(VECTORS) >= 10


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: repr(v["prompt"][:30]))
def test_every_vector_single(vec):
    assert simhash(vec["prompt"]) == vec["simhash"]


def test_every_vector_batch_list_and_arrow():
    prompts = [v["prompt"] for v in VECTORS]
    expected = np.array([v["simhash"] for v in VECTORS], dtype=np.int64)
    np.testing.assert_array_equal(simhash_many(prompts), expected)
    np.testing.assert_array_equal(simhash_many(pa.array(prompts)), expected)
    chunked = pa.chunked_array([prompts[:3], prompts[3:]])
    np.testing.assert_array_equal(simhash_many(chunked), expected)


def test_null_and_duplicates_in_batch():
    prompts = ["Hello world", None, "Hello world", "...", "Hello"]
    out = simhash_many(prompts)
    assert out.dtype == np.int64
    assert out[1] == 0 and out[3] == 0
    assert out[0] == out[2] == simhash("Hello world")
    assert out[4] == simhash("Hello")


def test_shingles_follow_contract():
    assert shingles("A b, C d!") == ["a b c", "b c d"]
    assert shingles("one two") == ["one two"]
    assert shingles("??") == []


def test_large_batch_matches_single():
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "step", "code", "42", "x9"]
    prompts = [" ".join(rng.choice(words, size=rng.integers(0, 12))) for _ in range(2000)]
    batch = simhash_many(prompts)
    assert all(batch[i] == simhash(p) for i, p in enumerate(prompts))


def test_batches_smaller_than_input_agree():
    from distillguard.contract.simhash import _simhash_unique

    prompts = [v["prompt"] for v in VECTORS] * 3
    expected = [v["simhash"] for v in VECTORS] * 3
    np.testing.assert_array_equal(_simhash_unique(prompts, batch=4), expected)
