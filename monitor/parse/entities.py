"""Make a feed's ampersands well-formed XML: HTML's named entities as character references, stray ``&`` escaped.

XML knows five named entities; feeds written by HTML tools use all of HTML's (``&eacute;``, ``&nbsp;``,
``&mdash;``) without a DTD, and some write a bare ``&`` in a link. Either makes the document ill-formed, and
fastfeedparser's recovery then cuts a title at the first such entity. Rewriting them before parsing keeps the
fast parser on the fast path. CDATA sections are left alone: there ``&eacute;`` is literal text already.
"""

from __future__ import annotations

import re
from html.entities import html5, name2codepoint

# Predefined XML entities and character references are fine; anything else starting with "&" is not XML.
_AMP = rb"&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});)(?:([A-Za-z][A-Za-z0-9]{1,31});)?"
_AMPERSAND = re.compile(_AMP)
# A document with its own DTD may declare entities of its own; its references are the XML parser's to resolve.
_DECLARES_ENTITIES = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HEAD_BYTES = 4096


def repair_ampersands(data: bytes) -> bytes:
    """Return ``data`` with undeclared HTML entities as numeric references and stray ``&`` as ``&amp;``."""
    if _AMPERSAND.search(data) is None or _DECLARES_ENTITIES.search(data, 0, _HEAD_BYTES):
        return data
    if data.lstrip()[:1] in (b"{", b"["):
        return data  # JSON Feed: "&" is just a character there
    # Step over CDATA sections with bytes.find (a lazy ".*?" regex over them costs ten times as much).
    parts: list[bytes] = []
    position = 0
    while (start := data.find(b"<![CDATA[", position)) >= 0:
        end = data.find(b"]]>", start)
        end = len(data) if end < 0 else end + 3
        parts += (_repaired(data[position:start]), data[start:end])
        position = end
    parts.append(_repaired(data[position:]))
    return b"".join(parts)


def _repaired(chunk: bytes) -> bytes:
    return _AMPERSAND.sub(_replacement, chunk) if b"&" in chunk else chunk


def _replacement(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name is None:
        return b"&amp;"
    word = name.decode("ascii")
    if word in name2codepoint:
        # HTML 4's table first: it is the one feed tools were written against (&lang; is U+2329 there, not U+27E8).
        return b"&#%d;" % name2codepoint[word]
    text = html5.get(word + ";")
    if text is None:
        return b"&amp;" + name + b";"  # not an entity of HTML either: show it as written, as a browser would
    return b"".join(b"&#%d;" % ord(char) for char in text)
