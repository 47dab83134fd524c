"""Score a hit and explain it: matched surface words and short snippets around them.

score = sum over matched query terms of (1 + ln tf) + TITLE_BOOST per term found in the title
        + PROXIMITY bonus when two different terms occur close together (see docs/topics.md).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from itertools import pairwise
from operator import itemgetter

from monitor.match.document import TEXT, TITLE, AnalysedDocument
from monitor.match.fold import fold
from monitor.match.nodes import Occ

TITLE_BOOST = 2.0
CLOSE, NEAR_BY = 3, 10  # words in between for the full and the half proximity bonus
SNIPPET_CHARS = 160
MAX_SNIPPETS = 3
_BY_PLACE = itemgetter(1, 2)  # (field, first word)
_LEAF = itemgetter(0)


def by_place(occs: list[Occ]) -> list[Occ]:
    """Return ``occs`` in (field, first word) order, ties as given: ``score`` and ``terms`` share one sort."""
    return sorted(occs, key=_BY_PLACE)


def score(occs: list[Occ], ordered: list[Occ] | None = None) -> float:
    """Return the score of a hit from its (deduplicated) occurrences (``ordered``: ``by_place(occs)``)."""
    per_leaf = Counter(map(_LEAF, occs))
    total = 0.0
    for count in per_leaf.values():
        total += 1.0 + math.log(count)
    total += TITLE_BOOST * len({o[0] for o in occs if o[1] == TITLE})
    if len(per_leaf) > 1:
        gap = _closest_gap(by_place(occs) if ordered is None else ordered)
        total += 2.0 if gap <= CLOSE else 1.0 if gap <= NEAR_BY else 0.0
    return round(total, 3)


def _closest_gap(ordered: list[Occ]) -> int:
    """Return the fewest words between occurrences of two different terms in one field (``ordered`` by place)."""
    best = 1 << 30
    for a, b in pairwise(ordered):
        if a[1] == b[1] and a[0] != b[0]:
            best = min(best, max(b[2] - a[3] - 1, 0))
    return best


def terms(doc: AnalysedDocument, occs: list[Occ], ordered: list[Occ] | None = None) -> tuple[str, ...]:
    """Return the distinct matched words as written, title first, in order of appearance.

    ``ordered`` is ``by_place(occs)`` when the caller already has it.
    """
    seen: dict[str, str] = {}
    # Hits of many topics on one document share their words: fold each matched span once per document.
    folded = doc.folded_surfaces
    for _, field, start, end in by_place(occs) if ordered is None else ordered:
        place = (field, start, end)
        pair = folded.get(place)
        if pair is None:
            surface = doc.surface(field, start, end)
            pair = folded[place] = (_fold(surface), surface)
        seen.setdefault(*pair)
    return tuple(seen.values())


# The same few names recur in hit after hit: fold each surface form once.
_fold = lru_cache(maxsize=1 << 16)(fold)


def snippets(doc: AnalysedDocument, occs: list[Occ]) -> tuple[str, ...]:
    """Return up to three ~160-character windows of the text around matches (the title if none)."""
    places = frozenset([(o[2], o[3]) for o in occs if o[1] == TEXT])
    if not places:
        title = doc.texts[TITLE].strip()
        return (title[:SNIPPET_CHARS],) if title and any(o[1] == TITLE for o in occs) else ()
    # Hits of many topics on one document often rest on the same words: build their snippets once.
    found = doc.cache.get(places)
    if found is None:
        found = doc.cache[places] = _windows(doc.texts[TEXT], sorted(_char_spans(doc, places)), doc.cuts)
    return found  # type: ignore[return-value]


def _char_spans(doc: AnalysedDocument, places: frozenset[tuple[int, int]]) -> set[tuple[int, int]]:
    spans = doc.spans(TEXT)
    return {(spans[start][0], spans[end][1]) for start, end in places}


def _windows(text: str, hits: list[tuple[int, int]], cuts: dict[tuple[int, int], str]) -> tuple[str, ...]:
    windows: list[list[int]] = []  # [start, end, hits inside]
    half = SNIPPET_CHARS // 2
    for start, end in hits:
        if windows and start < windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
            windows[-1][2] += 1
            continue
        mid = (start + end) // 2
        lo = max(0, min(mid - half, len(text) - SNIPPET_CHARS))
        windows.append([lo, max(end, min(len(text), lo + SNIPPET_CHARS)), 1])
    best = sorted(sorted(windows, key=lambda w: -w[2])[:MAX_SNIPPETS])
    out = []
    for lo, hi, _ in best:
        # Windows around the same words recur across the topics hitting one document: cut each once.
        found = cuts.get((lo, hi))
        if found is None:
            found = cuts[lo, hi] = _cut(text, lo, hi)
        out.append(found)
    return tuple(out)


def _cut(text: str, lo: int, hi: int) -> str:
    """Return ``text[lo:hi]`` widened or trimmed to whole words, whitespace collapsed, ellipses at cuts."""
    if lo > 0:
        space = text.find(" ", lo, lo + 20)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.rfind(" ", hi - 20, hi)
        hi = space if space > lo else hi
    body = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
