"""The contract's 64-bit SimHash of a prompt (../shared/data-contract.md, "SimHash of a prompt").

1. tokens = every match of ``[a-z0-9]+`` in the lower-cased prompt;
2. shingles = each run of 3 consecutive tokens joined by one space; fewer than
   3 tokens: one shingle of all tokens; no token: SimHash is 0;
3. each shingle hashes to the 8-byte BLAKE2b digest of its UTF-8 bytes, read as
   a little-endian unsigned integer;
4. bit i is 1 where more shingles have bit i set than clear.

The result is the unsigned value's two's complement as a signed int64.

Speed: prompts are mostly templated, so :func:`simhash_many` deduplicates the
prompts of a batch, caches shingle digests across calls (a bounded dict), and
does the bit voting for a whole batch at once with numpy (``unpackbits`` on
the little-endian digests, then ``add.reduceat`` over each prompt's shingles).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

_TOKEN = re.compile(r"[a-z0-9]+")
_SHINGLE = 3
_CACHE_MAX = 2_000_000
_shingle_cache: dict[str, int] = {}


def _digest(shingle: str) -> int:
    """The shingle's 8-byte BLAKE2b digest as a signed int64 (same bits as the unsigned value)."""
    h = _shingle_cache.get(shingle)
    if h is None:
        u = int.from_bytes(
            hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "little"
        )
        h = u - (1 << 64) if u >= 1 << 63 else u
        if len(_shingle_cache) >= _CACHE_MAX:
            _shingle_cache.clear()
        _shingle_cache[shingle] = h
    return h


def shingles(prompt: str) -> list[str]:
    """The contract's shingles of one prompt (empty list when it has no token)."""
    tokens = _TOKEN.findall(prompt.lower())
    if not tokens:
        return []
    if len(tokens) < _SHINGLE:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + _SHINGLE]) for i in range(len(tokens) - _SHINGLE + 1)]


def _vote(digests: np.ndarray, offsets: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Majority vote per bit over each prompt's digests.

    Args:
        digests: int64 digests of all shingles of all prompts, prompt after prompt.
        offsets: start index of each prompt's digests (only prompts with >= 1 shingle).
        counts: number of shingles of each of those prompts.

    Returns:
        int64 SimHash per prompt.
    """
    bits = np.unpackbits(digests.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = np.add.reduceat(bits.astype(np.int32), offsets, axis=0)
    set_bits = (2 * votes > counts[:, None]).astype(np.uint8)
    return np.packbits(set_bits, axis=1, bitorder="little").view("<i8").reshape(-1)


def simhash(prompt: str | None) -> int:
    """SimHash of one prompt as a signed int64; 0 for a prompt with no token.

    Args:
        prompt: the prompt text; None gives 0 as well (callers keep nulls themselves).

    Returns:
        The signed 64-bit SimHash.
    """
    if not prompt:
        return 0
    sh = shingles(prompt)
    if not sh:
        return 0
    digests = np.fromiter((_digest(s) for s in sh), dtype=np.int64, count=len(sh))
    return int(_vote(digests, np.array([0]), np.array([len(sh)]))[0])


def simhash_many(
    prompts: Sequence[str | None] | pa.Array | pa.ChunkedArray | Iterable,
) -> np.ndarray:
    """SimHash of many prompts at once (null or token-less prompts give 0).

    Args:
        prompts: a sequence of str/None, or a pyarrow string array.

    Returns:
        numpy int64 array, one SimHash per prompt, in input order.
    """
    if isinstance(prompts, pa.ChunkedArray | pa.Array):
        arr = prompts.combine_chunks() if isinstance(prompts, pa.ChunkedArray) else prompts
        enc = arr.dictionary_encode()
        uniques = enc.dictionary.to_pylist()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(enc.indices.is_null().to_numpy(zero_copy_only=False))
        values = _simhash_unique(uniques)
        out = np.zeros(len(arr), dtype=np.int64)
        out[valid] = values[codes[valid].astype(np.int64)]
        return out
    seq = list(prompts)
    index: dict[str, int] = {}
    codes = np.empty(len(seq), dtype=np.int64)
    for i, p in enumerate(seq):
        codes[i] = -1 if p is None else index.setdefault(p, len(index))
    values = _simhash_unique(list(index))
    out = np.zeros(len(seq), dtype=np.int64)
    valid = codes >= 0
    out[valid] = values[codes[valid]]
    return out


def _simhash_unique(prompts: list[str], batch: int = 50_000) -> np.ndarray:
    """SimHash of distinct prompts, voting a batch of prompts at a time."""
    out = np.zeros(len(prompts), dtype=np.int64)
    for start in range(0, len(prompts), batch):
        chunk = prompts[start : start + batch]
        digests: list[int] = []
        counts = np.zeros(len(chunk), dtype=np.int64)
        for j, p in enumerate(chunk):
            sh = shingles(p)
            counts[j] = len(sh)
            digests.extend(_digest(s) for s in sh)
        has = counts > 0
        if not has.any():
            continue
        c = counts[has]
        offsets = np.concatenate(([0], np.cumsum(c)[:-1]))
        out[start : start + len(chunk)][has] = _vote(
            np.asarray(digests, dtype=np.int64), offsets, c
        )
    return out
