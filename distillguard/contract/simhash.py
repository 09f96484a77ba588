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
import pyarrow.compute as pc

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
    raw = np.ascontiguousarray(digests, dtype="<i8").view(np.uint8).reshape(-1, 8)
    bits = np.unpackbits(raw, axis=1, bitorder="little")
    votes = np.add.reduceat(bits, offsets, axis=0, dtype=np.int32)
    set_bits = (2 * votes > counts[:, None]).astype(np.uint8)
    return np.packbits(set_bits, axis=1, bitorder="little").view("<i8").reshape(-1)


def _vote_sparse(uniq: np.ndarray, which: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Majority vote as a sparse product: (prompt x distinct shingle counts) @ (shingle bits).

    Args:
        uniq: int64 digest of each distinct shingle.
        which: for every shingle occurrence, the index of its distinct shingle.
        owner: for every shingle occurrence, the index of its prompt.
        n: number of prompts.

    Returns:
        int64 SimHash per prompt (0 for prompts without shingles).
    """
    from scipy.sparse import csr_matrix

    raw = np.ascontiguousarray(uniq, dtype="<i8").view(np.uint8).reshape(-1, 8)
    bits = np.unpackbits(raw, axis=1, bitorder="little").astype(np.int32)
    m = csr_matrix((np.ones(len(which), dtype=np.int32), (owner, which)), shape=(n, len(uniq)))
    votes = np.asarray(m @ bits)
    counts = np.bincount(owner, minlength=n)
    set_bits = (2 * votes > counts[:, None]).astype(np.uint8)
    out = np.packbits(set_bits, axis=1, bitorder="little").view("<i8").reshape(-1)
    out[counts == 0] = 0
    return out


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
        if pa.types.is_large_string(prompts.type) or pa.types.is_string_view(prompts.type):
            prompts = prompts.cast(pa.string())
        arr = prompts.combine_chunks() if isinstance(prompts, pa.ChunkedArray) else prompts
        enc = arr.dictionary_encode()
        uniques = enc.dictionary.to_pylist()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(enc.indices.is_null().to_numpy(zero_copy_only=False))
        values = _simhash_unique(uniques)
        out = np.zeros(len(arr), dtype=np.int64)
        out[valid] = values[codes[valid].astype(np.int64)]
        return out
    return simhash_many(pa.array(list(prompts), pa.string()))


def _simhash_unique(prompts: list[str], batch: int = 20_000) -> np.ndarray:
    """SimHash of distinct prompts: ASCII ones vectorised in Arrow, the rest in Python."""
    arr = pa.array(prompts, pa.string())
    out = np.zeros(len(prompts), dtype=np.int64)
    if not len(arr):
        return out
    ascii_mask = np.asarray(pc.string_is_ascii(arr).to_numpy(zero_copy_only=False), dtype=bool)
    pos = np.flatnonzero(ascii_mask)
    for start in range(0, len(pos), batch):
        idx = pos[start : start + batch]
        out[idx] = _simhash_ascii(arr.take(pa.array(idx)))
    other = np.flatnonzero(~ascii_mask)
    for start in range(0, len(other), batch):
        idx = other[start : start + batch]
        out[idx] = _simhash_python([prompts[i] for i in idx])
    return out


def _simhash_python(prompts: list[str]) -> np.ndarray:
    """Reference path (any Unicode): Python lower-casing and regex, numpy voting."""
    digests: list[int] = []
    counts = np.zeros(len(prompts), dtype=np.int64)
    for j, p in enumerate(prompts):
        sh = shingles(p)
        counts[j] = len(sh)
        digests.extend(_digest(s) for s in sh)
    return _vote_counts(np.asarray(digests, dtype=np.int64), counts)


def _vote_counts(digests: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Vote digests laid out prompt after prompt, `counts` per prompt (0 -> SimHash 0)."""
    out = np.zeros(len(counts), dtype=np.int64)
    has = counts > 0
    if has.any():
        c = counts[has]
        offsets = np.concatenate(([0], np.cumsum(c)[:-1]))
        out[has] = _vote(digests, offsets, c)
    return out


def _simhash_ascii(arr: pa.Array) -> np.ndarray:
    """SimHash of ASCII prompts with the tokenising and shingling done in Arrow.

    For ASCII text ``ascii_lower`` equals ``str.lower`` and splitting on
    ``[^a-z0-9]+`` yields exactly the ``[a-z0-9]+`` matches (plus empty strings,
    dropped), so this agrees bit for bit with :func:`shingles`. Only distinct
    shingles reach Python (for their BLAKE2b digest, cached).
    """
    n = len(arr)
    parts = pc.split_pattern_regex(pc.ascii_lower(arr), pattern="[^a-z0-9]+")
    flat = pc.list_flatten(parts)
    owner = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False))
    keep = np.asarray(pc.greater(pc.binary_length(flat), 0).to_numpy(zero_copy_only=False))
    tokens = flat.filter(pa.array(keep))
    owner = owner[keep]
    counts = np.bincount(owner, minlength=n)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    # 3-token shingles: token j starts one when token j + 2 belongs to the same prompt.
    j = np.arange(max(len(tokens) - 2, 0))
    j = j[owner[j] == owner[j + 2]] if len(j) else j
    take = [tokens.take(pa.array(j + k)) for k in range(_SHINGLE)]
    sh3 = pc.binary_join_element_wise(*take, " ")
    # Prompts with 1 or 2 tokens: one shingle of all their tokens.
    one = np.flatnonzero(counts == 1)
    two = np.flatnonzero(counts == 2)
    sh1 = tokens.take(pa.array(first[one]))
    sh2 = pc.binary_join_element_wise(
        tokens.take(pa.array(first[two])), tokens.take(pa.array(first[two] + 1)), " "
    )
    shingle_owner = np.concatenate((owner[j], one, two))
    order = np.argsort(shingle_owner, kind="stable")
    all_sh = pa.concat_arrays([sh3, sh1, sh2]).take(pa.array(order))
    enc = all_sh.dictionary_encode()
    uniq = np.fromiter((_digest(s) for s in enc.dictionary.to_pylist()), dtype=np.int64)
    which = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return _vote_sparse(uniq, which, shingle_owner[order], n)
