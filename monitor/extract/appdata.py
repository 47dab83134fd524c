"""Article text that a JavaScript app ships as data (``__NEXT_DATA__``, ``__NUXT_DATA__``) instead of as HTML.

Sites built on Next.js and similar frameworks often render the body in the browser from a JSON blob in the page;
without it the HTML holds a headline and an empty ``<div id="__next">``. The blob's layout differs from site to site,
so we look for prose under the keys sites use for an article's text rather than for one schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser

# Keys under which apps keep an article's text: the body as one string, or a list of blocks holding strings.
_PROSE_KEYS = frozenset({
    "articlebody", "body", "bodytext", "content", "contents", "text", "paragraphs", "blocks", "html", "markdown",
    "value", "children", "description", "lead", "intro", "summary",
})  # fmt: skip
_MIN_WORDS = 6
_MAX_DEPTH = 40
_MAX_SCRIPT_CHARS = 5_000_000


def app_data_text(blocks: tuple[str, ...]) -> str:
    """Return the prose in a page's app data blocks, one paragraph per string, in document order ("" if none)."""
    paragraphs: list[str] = []
    seen: set[str] = set()
    for raw in blocks:
        if len(raw) > _MAX_SCRIPT_CHARS:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for text in _prose(data, in_prose=False, depth=0):
            if text not in seen:
                seen.add(text)
                paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _prose(value: Any, *, in_prose: bool, depth: int) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        if in_prose:
            text = _as_text(value)
            if len(text.split()) >= _MIN_WORDS:
                yield text
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _prose(child, in_prose=in_prose or str(key).lower() in _PROSE_KEYS, depth=depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _prose(child, in_prose=in_prose, depth=depth + 1)


def _as_text(value: str) -> str:
    if "<" in value and ">" in value:
        value = LexborHTMLParser(value).text(separator=" ")
    return " ".join(value.split())
