"""The prefilter: from a document's words to the topics worth evaluating, in a few array operations.

Like Lucene's Monitor (Luwak), each query is reduced to up to ``MAX_CLAUSES`` clauses, each a set of words
or prefixes of which a matching document must contain one. Every key (a word, or a prefix of some length)
has a posting list of ``topic * MAX_CLAUSES + slot`` codes, one per clause holding it. A document looks its
words up by hash in one sorted array, gathers the postings of the keys it holds, marks them in a table of
(topic, slot) flags where the slots a topic does not use are already set, and keeps the topics whose four
flags are all set. Everything lives in a few flat NumPy arrays: the work per document follows the
postings its words reach, with no Python object per topic or per key to visit, so ten times the topics
cost the few extra postings and not ten times the memory traffic. (Sets or bitsets of Python objects did
the same work with a cache miss per key and per topic, and at 10,000 topics that was most of the time.)

A hash is not the word: two keys, or a key and a document word, may share one. Keys sharing a hash share
their postings, and a document word that merely shares a key's hash makes extra candidates, which the
evaluation then rejects. The prefilter may pass too many topics, never too few.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from monitor.match.document import AnalysedDocument
from monitor.match.nodes import Key

MAX_CLAUSES = 4  # the flags of one topic are one 32-bit word: ``_ALL_MET`` when every clause is met
_ALL_MET = np.uint32(0x01010101)
_WORDS = 0  # the "length" under which whole words are filed


_hash = hash  # a seam for tests that force keys to collide


def _salt(length: int) -> int:
    """Return what is added to a prefix's hash so that it does not land on the same word's."""
    return (length * 0x9E3779B97F4A7C15) % (1 << 64) - (1 << 63)


def _key_hash(length: int, text: str) -> int:
    """Return the signed 64-bit hash a key is filed under (wrapping like NumPy's int64 addition)."""
    if length == _WORDS:
        return _hash(text)
    return (_hash(text) + _salt(length) + (1 << 63)) % (1 << 64) - (1 << 63)


class ClauseIndex:
    """Posting lists of clause keys over a fixed list of topics; ``candidates`` answers per document."""

    def __init__(self, topic_clauses: Sequence[Sequence[frozenset[Key]] | None]) -> None:
        self.size = len(topic_clauses)
        postings: dict[int, list[int]] = {}
        met = np.zeros((self.size, MAX_CLAUSES), dtype=np.bool_)
        lengths: set[int] = set()
        for topic, clauses in enumerate(topic_clauses):
            # A slot the topic does not use is met whatever the document says; no clauses: always a candidate.
            met[topic, len(clauses or ()) :] = True
            for slot, clause in enumerate(clauses or ()):
                for kind, text in clause:
                    length = _WORDS if kind == "w" else len(text)
                    lengths.add(length)
                    postings.setdefault(_key_hash(length, text), []).append(topic * MAX_CLAUSES + slot)
        hashes = sorted(postings)
        self._hashes: npt.NDArray[np.int64] = np.array(hashes, dtype=np.int64)
        counts = [len(postings[h]) for h in hashes]
        self._starts: npt.NDArray[np.int64] = np.zeros(len(hashes) + 1, dtype=np.int64)
        np.cumsum(counts, out=self._starts[1:])
        self._codes: npt.NDArray[np.int64] = np.array([c for h in hashes for c in postings[h]], dtype=np.int64)
        self._unused = met.reshape(-1)
        self._prefix_lengths = sorted(lengths - {_WORDS})
        self._salts = {length: np.int64(_salt(length)) for length in self._prefix_lengths}

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return, in ascending order, the topics whose every clause has a key among ``doc``'s words."""
        flags = self._unused.copy()
        if len(self._hashes):
            codes = self._reached(doc)
            if len(codes):
                flags[codes] = True
        return np.flatnonzero(flags.view(np.uint32) == _ALL_MET).tolist()  # type: ignore[no-any-return]

    def _reached(self, doc: AnalysedDocument) -> npt.NDArray[np.int64]:
        """Return the posting codes of every key ``doc`` holds (with repeats)."""
        vocab = doc.vocabulary()
        parts = [_hash_array(vocab, len(vocab))]
        for length in self._prefix_lengths:
            prefixes = doc.prefixes(length)
            parts.append(_hash_array(prefixes, len(prefixes)) + self._salts[length])
        wanted = np.concatenate(parts)
        at = np.searchsorted(self._hashes, wanted)
        np.minimum(at, len(self._hashes) - 1, out=at)
        keys = at[self._hashes[at] == wanted]
        starts = self._starts[keys]
        counts = self._starts[keys + 1] - starts
        ends = np.cumsum(counts)
        if not len(ends):
            return ends
        # The postings of every key laid end to end: key k's run starts at starts[k], offset by where it lands.
        gather = np.repeat(starts - ends + counts, counts) + np.arange(ends[-1])
        codes: npt.NDArray[np.int64] = self._codes[gather]
        return codes


def _hash_array(words: Iterable[str], count: int) -> npt.NDArray[np.int64]:
    """Return the hashes of ``words`` as an int64 array (str hashes are cached on the strings)."""
    return np.fromiter(map(_hash, words), dtype=np.int64, count=count)  # type: ignore[no-any-return]
