"""Score a hit and explain it: matched surface words and short snippets around them.

score = sum over matched query terms of (1 + ln tf) + TITLE_BOOST per term found in the title
        + PROXIMITY bonus when two different terms occur close together (see docs/topics.md).
"""

from __future__ import annotations

import math
from itertools import pairwise
from operator import itemgetter

from monitor.match.document import TEXT, TITLE, AnalysedDocument
from monitor.match.nodes import Occ

TITLE_BOOST = 2.0
CLOSE, NEAR_BY = 3, 10  # words in between for the full and the half proximity bonus
SNIPPET_CHARS = 160
MAX_SNIPPETS = 3
_BY_PLACE = itemgetter(1, 2)  # (field, first word)
_HITS_INSIDE = itemgetter(2)


def by_place(occs: list[Occ]) -> list[Occ]:
    """Return ``occs`` in (field, first word) order, ties as given: ``score`` and ``terms`` share one sort."""
    return sorted(occs, key=_BY_PLACE)


def score(occs: list[Occ], ordered: list[Occ] | None = None) -> float:
    """Return the score of a hit from its (deduplicated) occurrences (``ordered``: ``by_place(occs)``)."""
    per_leaf: dict[int, int] = {}  # occurrences per query term; a loop beats Counter on a dozen items
    for occ in occs:
        leaf = occ[0]
        per_leaf[leaf] = per_leaf.get(leaf, 0) + 1
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
            gap = b[2] - a[3] - 1
            if gap < best:
                best = gap if gap > 0 else 0
    return best


def terms(doc: AnalysedDocument, occs: list[Occ], ordered: list[Occ] | None = None) -> tuple[str, ...]:
    """Return the distinct matched words as written, title first, in order of appearance.

    ``ordered`` is ``by_place(occs)`` when the caller already has it.
    """
    seen: dict[str, str] = {}
    # Hits of many topics on one document share their words: fold each matched span once per document.
    known = doc.folded_surfaces
    for _, field, start, end in by_place(occs) if ordered is None else ordered:
        place = (field, start, end)
        folded, surface = known.get(place) or doc.folded_surface(field, start, end)
        if folded not in seen:
            seen[folded] = surface
    return tuple(seen.values())


def snippets(doc: AnalysedDocument, occs: list[Occ]) -> tuple[str, ...]:
    """Return up to three ~160-character windows of the text around matches (the title if none)."""
    in_text = [o for o in occs if o[1] == TEXT]
    if not in_text:
        title = doc.texts[TITLE].strip()
        return (title[:SNIPPET_CHARS],) if title and occs else ()
    spans = doc.spans(TEXT)
    return _windows(doc.texts[TEXT], sorted({(spans[o[2]][0], spans[o[3]][1]) for o in in_text}), doc.cuts)


def _windows(text: str, hits: list[tuple[int, int]], cuts: dict[tuple[int, int], str]) -> tuple[str, ...]:
    windows: list[list[int]] = []  # [start, end, hits inside], in text order
    half = SNIPPET_CHARS // 2
    last_lo = len(text) - SNIPPET_CHARS
    for start, end in hits:
        if windows and start < windows[-1][1]:
            window = windows[-1]
            if end > window[1]:
                window[1] = end
            window[2] += 1
            continue
        lo = (start + end) // 2 - half
        lo = max(0, min(lo, last_lo))
        windows.append([lo, max(end, min(len(text), lo + SNIPPET_CHARS)), 1])
    if len(windows) > MAX_SNIPPETS:
        # The windows holding most hits (the earliest on ties), back in text order.
        windows = sorted(sorted(windows, key=_HITS_INSIDE, reverse=True)[:MAX_SNIPPETS])
    out = []
    for lo, hi, _ in windows:
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
