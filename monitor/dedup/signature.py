"""Content identity of an article body: an exact fingerprint and a MinHash signature with LSH band keys (pure).

Why MinHash (datasketch) and not SimHash: syndicated copies differ by whole paragraphs (a paragraph added, the
boilerplate changed, paragraphs reordered). MinHash estimates the Jaccard similarity of word shingles directly,
so "shares half of its 4-word phrases" is one threshold we can state and measure; SimHash's bit distance bends
non-linearly with such edits and needs permuted tables to search. Band keys make the index a plain SQLite lookup
that survives restarts: benchmarks/stories.py measures the grouping and the speed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

# 128 permutations in 32 bands of 4 rows: a pair with Jaccard J becomes a candidate with probability
# 1 - (1 - J^4)^32, i.e. 0.87 at J = 0.5, 0.99 at 0.6, 0.0003 at 0.1. Candidates are then checked against
# SAME_STORY on the full signature, so false candidates cost a lookup, never a wrong grouping.
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SEED = 20250220  # part of the stored format, with SCHEME and the shingle hash: changing any orphans stored signatures
SCHEME = "affine32"
SHINGLE_WORDS = 4
# Estimated Jaccard of 4-word shingles at or above which two bodies are one story. Wire copy lightly edited is
# above 0.7; two separate reports on the same event share names and places but few 4-word phrases (below 0.15).
SAME_STORY = 0.5
# Fewer shingles than this and the estimate is noise: such a body (a one-line summary) stays a story of its own.
MIN_SHINGLES = 12
# Text without spaces (Chinese, Japanese) makes one "word" per sentence; such runs are cut into characters.
_LONG_RUN = 20
_CHAR_GRAM = 6

_WORD = re.compile(r"\w+")
_MIX = np.uint64(0x100000001B3)  # the 64-bit FNV prime: mixes neighbouring token hashes
_LOW32 = np.uint64(0xFFFFFFFF)


def _affine32_permutations(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return datasketch's "affine32" permutations (a odd, b) for ``seed``, drawn as it draws them.

    Drawn here rather than taken from a datasketch MinHash: importing datasketch imports SciPy (a quarter of a
    second at every process start). tests/dedup check both the permutations and whole signatures against
    datasketch's.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, count, dtype=np.uint32)
    return a, b


# The "affine32" scheme maps a 32-bit hash h to a*fmix32(h)+b modulo 2**32; we apply it with numpy (_minhash).
_PERM_A, _PERM_B = _affine32_permutations(SEED, NUM_PERM)
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
_BAND_PREFIX = [band.to_bytes(2, "little") for band in range(NUM_PERM)]  # the band number, hashed with it
_CHUNK = 4096  # shingles per step: bounds the (shingles x NUM_PERM) matrix to 2 MB on huge pages


def _word_table() -> np.ndarray:
    """Return, for every character of the Basic Multilingual Plane, whether ``\\w`` matches it (as re decides)."""
    table = np.zeros(0x10000, dtype=bool)
    plane = "".join(map(chr, range(0x10000)))
    table[[m.start() for m in re.finditer(r"\w", plane)]] = True
    return table


_IS_WORD = _word_table()  # 12 ms at import
_SPACE = np.uint32(ord(" "))


def _words(text: str) -> list[str]:
    """Return the ``\\w+`` runs of ``text`` after NFKC and case folding.

    Done as a table lookup over the code points in numpy, then one split: the same words as ``re.findall`` at
    two thirds of its cost, which was the largest part of a signature.
    """
    if not unicodedata.is_normalized("NFKC", text):  # the check is several times cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
    folded = text.casefold()
    points = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if points.size and int(points.max()) > 0xFFFF:  # beyond the table (emoji, historic scripts): the regex
        found: list[str] = _WORD.findall(folded)
        return found
    spaced = np.where(_IS_WORD[points], points, _SPACE)
    return spaced.tobytes().decode("utf-32-le", "surrogatepass").split()


def _fmix32(values: np.ndarray) -> np.ndarray:
    """Return the MurmurHash3 32-bit finalizer of ``values`` (uint32): datasketch's pre-mix for "affine32"."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    mixed: np.ndarray = values ^ (values >> np.uint32(16))
    return mixed


def _minhash(hashes: np.ndarray) -> np.ndarray:
    """Return the ``NUM_PERM`` minima of the permuted 32-bit ``hashes``: what datasketch's update_batch computes.

    Done in numpy on the whole array because update_batch converts every value through a Python list, which was
    a third of the signature's time.
    """
    if not hashes.size:
        return _EMPTY.copy()
    mixed = _fmix32(hashes.astype(np.uint32))
    low = _EMPTY
    for start in range(0, mixed.size, _CHUNK):
        part = mixed[start : start + _CHUNK, None] * _PERM_A + _PERM_B  # uint32 arithmetic wraps: modulo 2**32
        low = np.minimum(low, part.min(axis=0))
    return low


def normalize_text(text: str) -> str:
    """Return ``text`` folded for comparison: NFKC, case-folded, words joined by single spaces."""
    return " ".join(_words(text))


def fingerprint(text: str) -> str:
    """Return a hex digest of the normalised body: equal for bodies that differ only in case, spacing, punctuation."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def _tokens(words: list[str], joined: bytes) -> list[bytes]:
    """Return the tokens to shingle, UTF-8 encoded: the words, with long runs of unspaced script cut up."""
    if max(map(len, words), default=0) <= _LONG_RUN:
        return joined.split(b" ") if joined else []  # one split of the encoded text: no per-word encode
    tokens: list[bytes] = []
    for word in words:
        if len(word) > _LONG_RUN:
            tokens.extend(word[i : i + _CHAR_GRAM].encode("utf-8") for i in range(0, len(word) - _CHAR_GRAM + 1, 2))
        else:
            tokens.append(word.encode("utf-8"))
    return tokens


def shingle_hashes(tokens: list[bytes]) -> np.ndarray:
    """Return the distinct 32-bit hashes of the overlapping 4-token phrases of ``tokens``.

    Each token is hashed once (CRC-32: stable across processes and versions) and four neighbours are combined in
    numpy; hashing each phrase's text with SHA-1 instead took twice as long and was half the stage's time.
    """
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    hashes = np.fromiter(map(zlib.crc32, tokens), dtype=np.uint64, count=len(tokens))
    if len(hashes) < SHINGLE_WORDS:
        hashes = np.concatenate([hashes, np.zeros(SHINGLE_WORDS - len(hashes), dtype=np.uint64)])
    count = len(hashes) - SHINGLE_WORDS + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        for offset in range(SHINGLE_WORDS):
            combined = combined * _MIX + hashes[offset : offset + count]
    folded: np.ndarray = np.unique((combined ^ (combined >> np.uint64(32))) & _LOW32)
    return folded


def phrase_hashes(text: str) -> np.ndarray:
    """Return the distinct hashes of ``text``'s 4-word phrases: the set a signature estimates Jaccard over."""
    words = _words(text)
    return shingle_hashes(_tokens(words, " ".join(words).encode("utf-8")))


@dataclass(frozen=True, slots=True)
class Signature:
    """A body's MinHash values (``NUM_PERM`` little-endian uint32), its shingle count and exact fingerprint."""

    values: bytes
    shingles: int
    fingerprint: str = ""

    @property
    def comparable(self) -> bool:
        """Return whether the body is long enough for near-duplicate detection."""
        return self.shingles >= MIN_SHINGLES

    def band_keys(self) -> list[int]:
        """Return one signed 64-bit key per band: equal keys in a band make two bodies candidates."""
        values, width, blake2b, to_int = self.values, ROWS * 4, hashlib.blake2b, int.from_bytes
        return [
            to_int(
                blake2b(_BAND_PREFIX[band] + values[band * width : (band + 1) * width], digest_size=8).digest(),
                "little",
                signed=True,
            )
            for band in range(BANDS)
        ]


# A body shorter than this (a brief, a flash, a headline alone) is known by its headline and body together: on its
# own it is too short to tell apart from another outlet's brief, and an empty body would make every headline-only
# item of a site "the same article".
SHORT_BODY_CHARS = 500


def identity_text(title: str, text: str) -> str:
    """Return the text an article is recognised by: its body, with the headline in front when the body is short."""
    if len(text) >= SHORT_BODY_CHARS:
        return text
    return f"{title}\n\n{text}" if text else title


def signature(text: str) -> Signature:
    """Return the MinHash signature of ``text``'s 4-word phrases, with the fingerprint of its normalised body."""
    words = _words(text)
    joined = " ".join(words).encode("utf-8")
    hashes = shingle_hashes(_tokens(words, joined))
    # The phrase hashes are 32-bit integers already: they are permuted and their minima kept, as datasketch does.
    fingerprint = hashlib.sha256(joined).hexdigest()
    return Signature(_minhash(hashes).astype("<u4").tobytes(), int(hashes.size), fingerprint)


def similarity(a: bytes, b: bytes) -> float:
    """Return the estimated Jaccard similarity of two bodies from their stored signature values."""
    left = np.frombuffer(a, dtype="<u4")
    right = np.frombuffer(b, dtype="<u4")
    if left.shape != right.shape or not left.size:
        return 0.0
    return float(np.count_nonzero(left == right)) / left.size
