"""Defuse hostile markup before parsing: a size cap and a flattening of pathological nesting.

Lexbor checks its stack of open elements on every block tag ("close a <p> in button scope"), so
100,000 nested <div>s cost it about ten seconds: quadratic in the depth. Real pages nest a few
dozen levels deep; text is kept whatever the depth, only the tags below ``MAX_DEPTH`` go.
"""

from __future__ import annotations

import re

# Above this, a page is refused rather than parsed (the fetch stage caps bodies well below it).
MAX_PAGE_CHARS = 50_000_000
MAX_DEPTH = 3_000
# Fewer tags than this cannot nest deep enough to hurt: the scan is skipped (one C-level count).
_SCAN_FROM_TAGS = 20_000
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
    if data.count(b"<") < _SCAN_FROM_TAGS:
        return data
    return flatten_nesting(text).encode("utf-8", "ignore")


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
