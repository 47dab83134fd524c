"""Turn a content node into plain text with paragraph breaks, and guess a text's language."""

from __future__ import annotations

import re

import py3langid
from selectolax.lexbor import LexborNode

from monitor.extract import selectors as sel

# Private-use characters mark block and line breaks inside the tree, so that a single C-level
# text() call serialises the whole body; pages do not use them in prose.
_PARA = "\ue000"
_LINE = "\ue001"
_INLINE_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b\u2028\u2029]+")
_LANG_SAMPLE = 600


def _clean_block(block: str) -> str:
    lines = (line.strip() for line in block.split(_LINE))
    return "\n".join(line for line in lines if line)


def node_text(node: LexborNode) -> str:
    """Return the node's text with blocks separated by blank lines and <br> kept as line breaks."""
    for block in node.css(sel.BLOCK_SELECTOR):
        block.insert_before(_PARA)
        block.insert_after(_PARA)
    for br in node.css("br"):
        br.insert_after(_LINE)
    raw = _INLINE_SPACE.sub(" ", node.text(deep=True, separator=""))
    blocks = (_clean_block(b) for b in raw.split(_PARA))
    return "\n\n".join(b for b in blocks if b)


def detect_language(text: str) -> str | None:
    """Guess the ISO 639-1 language of a text with py3langid; None for too little text."""
    sample = text[:_LANG_SAMPLE]
    if len(sample.strip()) < 20:
        return None
    code, _ = py3langid.classify(sample)
    return str(code) if code else None
