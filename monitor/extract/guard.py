"""Defuse hostile markup before parsing: a size cap and a flattening of pathological nesting.

Lexbor checks its stack of open elements on every block tag ("close a <p> in button scope"), so
100,000 nested <div>s cost it about ten seconds: quadratic in the depth. Real pages nest a few
dozen levels deep; text is kept whatever the depth, only the tags below ``MAX_DEPTH`` go.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import sub

# Above this, a page is refused rather than parsed (the fetch stage caps bodies well below it).
MAX_PAGE_CHARS = 50_000_000
MAX_DEPTH = 3_000
# Lexbor's cost grows with (block tags) x (depth of open elements): 3,000 nested <div>s parse in about 6 ms,
# 10,000 in 55 ms, 20,000 in 0.4 s. Fewer tags than this cannot cost more than about 40 ms however they nest,
# so the scan is skipped (one C-level count); real news pages have 1,000-5,000.
_SCAN_FROM_TAGS = 8_000
# Bounded attribute run: a "<a<a<a..." stream must not make each attempt rescan the page.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]{0,40})(?:\s[^<>]{0,2000})?(/?)>")
# Tags that never open a level: void elements, and those the parser closes by itself when the
# next one starts (so they cannot nest, and would make a legitimate page look deep).
_FLAT = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
        "p", "li", "dt", "dd", "option", "tr", "td", "th", "tbody", "thead", "tfoot", "colgroup", "rp", "rt",
    }
)  # fmt: skip


# For the quick bound: every "<" opens a level and every "</" closes one; all other bytes are deleted.
_CLOSE = b"\x01"
_STEP = [0] * 256
_STEP[ord("<")], _STEP[_CLOSE[0]] = 1, -1
_PAIR = b"<" + _CLOSE
_COLLAPSE_PASSES = 64
# Void elements written as pages write them (an exact name and a space or ">", so <br-x> still counts).
_VOID_STARTS = (
    b"<br>", b"<br/>", b"<br ", b"<BR>", b"<img ", b"<IMG ", b"<hr>", b"<hr ", b"<input ", b"<meta ", b"<link ",
)  # fmt: skip
_NOT_A_MARK = bytes(b for b in range(256) if b not in (ord("<"), _CLOSE[0]))


def depth_bound(data: bytes) -> int:
    """Return ``marks_bound`` of ``data``, or of ``data`` without its line breaks and images when that is too deep:
    a page of thousands of <br>s is shallow, and the exact scan of it would cost tens of milliseconds."""
    bound = _marks_bound(data)
    if bound > MAX_DEPTH:
        for void in _VOID_STARTS:
            if void in data:
                data = data.replace(void, b"")
        bound = _marks_bound(data)
    return bound


def _marks_bound(data: bytes) -> int:
    """Return a quick bound on the nesting depth of UTF-8 ``data``, walked in C rather than tag by tag in Python.

    Void elements, comments and a stray "<" count as levels, so on well-formed tags it is never below
    ``nesting_depth``: a bound within MAX_DEPTH spares the exact scan (about 40 ms on a 1 MB page of 100,000
    tags); 2-3 ms on such a page. Stray end tags fool both alike, as they always did.
    """
    marks = data.replace(_CLOSE, b"").replace(b"</", _CLOSE).translate(None, _NOT_A_MARK)
    # An element opened and closed with nothing in between adds one level at that point only: dropping every
    # such pair (in C) lowers the deepest point by at most one, so each pass adds one to the bound. Shallow
    # markup (a table's rows and cells) collapses in a few passes, leaving little to walk.
    passes = 0
    while passes < _COLLAPSE_PASSES:
        shorter = marks.replace(_PAIR, b"")
        if len(shorter) == len(marks):
            break
        marks, passes = shorter, passes + 1
    if not marks:
        return passes
    sums = list(accumulate(map(_STEP.__getitem__, marks)))
    # A stray closing tag cannot go below the top: depth is the sum less its lowest point so far (or 0).
    floors: Iterator[int] = map(min, repeat(0), accumulate(sums, min))
    deepest: int = max(map(sub, sums, floors))
    return passes + deepest


def nesting_depth(text: str) -> int:
    """Return the deepest nesting of open tags in ``text`` (an estimate; unclosed tags count as open)."""
    depth = deepest = 0
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def parser_input(text: str, utf8: bytes | None = None) -> bytes:
    """Return the UTF-8 bytes to hand the parser: ``text`` encoded, defused if it nests too deep.

    ``utf8``, when given, must be exactly ``text`` in UTF-8 (the page's own bytes), and is used as
    is. Otherwise the text is encoded as the parser would encode a str (UTF-8, errors ignored).
    Either way the tag count runs over bytes, several times faster than over a wide str; "<" is
    one byte in UTF-8 and never part of a multi-byte sequence, so both counts agree.
    """
    data = utf8 if utf8 is not None else text.encode("utf-8", "ignore")
    if shallow(data):
        return data
    return flatten_nesting(text).encode("utf-8", "ignore")


def shallow(data: bytes) -> bool:
    """Say whether UTF-8 ``data`` can go to the parser as it is: not nested deep enough to need flattening."""
    return data.count(b"<") < _SCAN_FROM_TAGS or depth_bound(data) <= MAX_DEPTH


def flatten_nesting(text: str) -> str:
    """Return ``text`` with the tags nested below ``MAX_DEPTH`` removed (their text kept)."""
    if text.count("<") < _SCAN_FROM_TAGS or nesting_depth(text) <= MAX_DEPTH:
        return text
    depth = 0

    def keep_or_drop(match: re.Match[str]) -> str:
        nonlocal depth
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT:
            return match.group(0) if depth <= MAX_DEPTH else ""
        if closing:
            depth = max(0, depth - 1)
            return match.group(0) if depth < MAX_DEPTH else ""
        depth += 1
        return match.group(0) if depth <= MAX_DEPTH else ""

    return _TAG.sub(keep_or_drop, text)
