"""Remove page chrome before scoring and clutter after it, using only generic signals."""

from __future__ import annotations

import re
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract import selectors as sel
from monitor.extract.text import tag_ids

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
STRONG = 2
WEAK = 1
_PROSE_PARAGRAPH = 100
_PROSE_PARAGRAPHS = 5
_PROSE_HEADER = 150
_LINK_PARAGRAPH = 300
_LINK_PARAGRAPH_DENSITY = 0.6
_MIN_CAPTION = 25
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
# Tag ids for the hot loops: an int comparison instead of a new name string per node.
_NEVER_CHROME_IDS = tag_ids(sel.NEVER_CHROME_TAGS)
_INLINE_IDS = tag_ids(sel.INLINE_TAGS)
_TEXT_BLOCK_IDS = tag_ids(sel.TEXT_BLOCK_TAGS)
_DROP_IDS = tag_ids(frozenset(sel.DROP_TAGS))
# A tiny container is kept when it holds one of these (code, a table, a subhead).
_KEEP_SMALL = frozenset({"pre", "table", "h2", "h3", "h4"})
_SMALL_NODE_SELECTOR = ", ".join(("img", "p", *sorted(_KEEP_SMALL)))


@lru_cache(maxsize=8192)
def _normalise_names(classes: str, ident: str) -> str:
    """Join class and id for matching: atomic CSS dropped, camelCase split, lower-cased."""
    if "(" in classes:
        # Atomic CSS utilities ("mstart(137px)--modalminwidth") carry no meaning, only noise.
        classes = " ".join(token for token in classes.split() if "(" not in token)
    # "contentBreadcrumbs" must match "breadcrumb" at a word start, as "content-breadcrumbs" does.
    return _CAMEL.sub("-", f"{classes} {ident}").lower()


@lru_cache(maxsize=8192)
def _names_weight(classes: str, ident: str) -> float:
    names = _normalise_names(classes, ident)
    weight = 0.0
    if sel.NEGATIVE_RE.search(names):
        weight -= 25.0
    if sel.POSITIVE_RE.search(names):
        weight += 25.0
    return weight


@lru_cache(maxsize=8192)
def _names_chrome_level(classes: str, ident: str) -> int:
    # Pages repeat the same few class strings hundreds of times: cache the regex verdicts.
    names = _normalise_names(classes, ident)
    if sel.STRONG_UNLIKELY_RE.search(names):
        return STRONG
    if sel.UNLIKELY_RE.search(names) and not sel.LIKELY_RE.search(names):
        return WEAK
    return 0


def class_weight(node: LexborNode, attrs: dict[str, str | None] | None = None) -> float:
    """Score a node's class and id: +25 for content-like names, -25 for chrome-like ones.

    ``attrs`` is the node's attribute dict when the caller already has it (each read builds one).
    """
    if attrs is None:
        attrs = node.attributes
    classes, ident = attrs.get("class") or "", attrs.get("id") or ""
    return _names_weight(classes, ident) if classes or ident else 0.0


def chrome_level(node: LexborNode) -> int:
    """Return STRONG for certain chrome, WEAK for names that only suggest it, 0 otherwise."""
    tag = node.tag
    if tag in sel.PROTECTED_TAGS:
        return 0
    attrs = node.attributes
    if not attrs:
        return WEAK if tag in sel.CHROME_TAGS else 0
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return STRONG
    style = attrs.get("style")
    if style and ("none" in style or "hidden" in style) and _HIDDEN_STYLE.search(style):
        return STRONG
    role = attrs.get("role")
    if role and role.lower() in sel.UNLIKELY_ROLES:
        return STRONG
    if tag in sel.CHROME_TAGS:
        return WEAK
    classes, ident = attrs.get("class") or "", attrs.get("id") or ""
    return _names_chrome_level(classes, ident) if classes or ident else 0


def is_chrome(node: LexborNode) -> bool:
    """Say whether a node is chrome: certain, or suggested by its names and not full of prose."""
    level = chrome_level(node)
    return level == STRONG or (level == WEAK and not _holds_prose(node))


def _small_chrome(node: LexborNode, limit: int) -> bool:
    """Say whether a node is chrome (as ``is_chrome``) holding at most ``limit`` paragraphs."""
    level = chrome_level(node)
    if not level:
        return False
    # One paragraph query serves both the prose test and the size limit.
    paragraphs = None if node.tag in sel.CHROME_TAGS else node.css("p")
    if level == WEAK and _holds_prose(node, paragraphs):
        return False
    return len(paragraphs if paragraphs is not None else node.css("p")) <= limit


def _holds_prose(node: LexborNode, paragraphs: list[LexborNode] | None = None) -> bool:
    """Say whether a chrome-named node holds prose; ``paragraphs`` are its <p>, when already found."""
    # A sidebar or overlay rarely holds several long paragraphs; an article shown in one does.
    if node.tag in sel.CHROME_TAGS:
        # A <header> inside the body may carry the intro as bare text; a site header is mostly links.
        text = node.text(deep=True).strip()
        return len(text) >= _PROSE_HEADER and link_density(node, len(text)) < 0.2
    long_paragraphs = 0
    for para in node.css("p") if paragraphs is None else paragraphs:
        if len(para.text(deep=True)) >= _PROSE_PARAGRAPH:
            long_paragraphs += 1
            if long_paragraphs >= _PROSE_PARAGRAPHS:
                return True
    return False


def drop_tags(tree: LexborHTMLParser) -> LexborNode | None:
    """Drop tags that never hold article prose; return the body (None for an empty document)."""
    # One walk comparing integer tag ids: about half the cost of a 15-part selector list, which
    # Lexbor tries part by part on every node, and far less than strip_tags' walk per tag name.
    # Collected first, then unlinked (not recursive) as strip_tags does, so a node inside an
    # already dropped one is safe to touch.
    root = tree.root
    if root is not None:
        for node in [found for found in root.traverse() if found.tag_id in _DROP_IDS]:
            node.decompose(recursive=False)
    return tree.body


class ChromeFilter:
    """Say whether a node sits inside page chrome, remembering every ancestor already judged.

    Judging only the ancestors of paragraphs keeps the cost proportional to the prose, not to the
    whole tree; a "chrome" wrapper that holds most of the page's paragraphs is a mislabelled
    container and is kept.
    """

    def __init__(self, paragraphs: int) -> None:
        self._memo: dict[int, bool] = {}
        self._limit = max(4, paragraphs // 2)

    @property
    def judged(self) -> dict[int, bool]:
        """Verdicts by node mem_id; False means judged free of chrome (the node leads to a paragraph)."""
        return self._memo

    def inside_chrome(self, node: LexborNode) -> bool:
        """Return True if the node or one of its ancestors is chrome."""
        path: list[LexborNode] = []
        current: LexborNode | None = node
        result = False
        while current is not None:
            known = self._memo.get(current.mem_id)
            if known is not None:
                result = known
                break
            path.append(current)
            if current.tag in ("body", "html"):
                break
            current = current.parent
        for item in reversed(path):
            if not result and _small_chrome(item, self._limit):
                result = True
            self._memo[item.mem_id] = result
        return result


def _inline_in_text(node: LexborNode) -> bool:
    # A styled span inside a paragraph ("CAIRO —" as class=dateline) is part of the sentence.
    if node.tag_id not in _INLINE_IDS:
        return False
    parent = node.parent
    return parent is not None and parent.tag_id in _TEXT_BLOCK_IDS


def link_density(node: LexborNode, text_length: int | None = None) -> float:
    """Share of a node's text that sits inside links."""
    length = text_length if text_length is not None else len(node.text(deep=True).strip())
    if length == 0:
        return 0.0
    linked = sum(len(a.text(deep=True).strip()) for a in node.css("a"))
    return min(1.0, linked / length)


def _only_child(node: LexborNode) -> LexborNode | None:
    """Return the node's single element child when the node holds nothing else (no text of its own)."""
    only: LexborNode | None = None
    child = node.child
    while child is not None:
        if child.is_element_node:
            if only is not None:
                return None
            only = child
        elif child.is_text_node and (child.text_content or "").strip():
            return None
        child = child.next
    return only


def _captioned(figure: LexborNode) -> bool:
    """Say whether a figure carries a caption worth reading: a sentence, not a credit line or a link."""
    for caption in figure.css("figcaption"):
        text = caption.text(deep=True).strip()
        if len(text) >= _MIN_CAPTION and link_density(caption, len(text)) < 0.5:
            return True
    return False


def _is_clutter(node: LexborNode) -> bool:
    """Readability-style conditional test for a container inside the chosen body, cheapest first."""
    if node.tag == "figure":
        # Class names on figures ("media", "photo") say what they hold, not that they are chrome; an
        # image's caption is text that readers of the article see.
        return not _captioned(node)
    if class_weight(node) < 0:
        return True
    text = node.text(deep=True).strip()
    if text.count(",") + text.count("،") + text.count("，") >= 10:
        return False
    length = len(text)
    if length < 200:
        # One selector call instead of up to three: each call costs a selector parse and a walk.
        tags = [found.tag for found in node.css(_SMALL_NODE_SELECTOR)]
        images = tags.count("img")
        if length < 25 and (images == 0 or images > 2) and not any(tag in _KEEP_SMALL for tag in tags):
            return True
        if images > 1 and tags.count("p") / images < 0.5:
            return True
    density = link_density(node, length)
    return (density > 0.2 and length < 500) or density > 0.5


def remove_clutter(content: LexborNode, chrome: ChromeFilter | None = None) -> None:
    """Remove chrome, credits, headlines, link lists and tiny fragments from the body, innermost first."""
    limit = max(4, len(content.css("p")) // 2)
    content_id = content.mem_id
    judged = chrome.judged if chrome is not None else {}
    for node in reversed(content.css(sel.ATTRIBUTE_SELECTOR)):
        # Cheapest tests first: most attributed nodes are links, inline styling or known-clean paths.
        if node.tag_id in _NEVER_CHROME_IDS:
            continue
        key = node.mem_id
        if key == content_id or judged.get(key) is False or _inline_in_text(node):
            continue
        if _small_chrome(node, limit):
            node.decompose()
    for node in reversed(content.css(sel.BODY_JUNK_SELECTOR)):
        if node.mem_id != content.mem_id:
            node.decompose()
    # Innermost first, so a wrapper around a block already found clean holds the same text: only its own
    # names can make it clutter, and its text (half the text built here on news pages) need not be built again.
    clean: set[int] = set()
    for node in reversed(content.css(sel.CLEAN_SELECTOR)):
        if node.mem_id == content.mem_id:
            continue
        inner = _only_child(node)
        if inner is not None and inner.mem_id in clean and node.tag != "figure":
            verdict = class_weight(node) < 0
        else:
            verdict = _is_clutter(node)
        if verdict:
            node.decompose()
        else:
            clean.add(node.mem_id)
    # "Read more: <a>Another headline</a>" paragraphs are links dressed as prose; only paragraphs
    # that hold a link need the test.
    linked: dict[int, LexborNode] = {}
    for link in content.css("p a"):
        para = link.parent
        while para is not None and para.tag != "p" and para.mem_id != content.mem_id:
            para = para.parent
        # Never the content node itself (a lone <p> sibling) nor anything above it.
        if para is not None and para.tag == "p" and para.mem_id != content.mem_id:
            linked.setdefault(para.mem_id, para)
    for para in reversed(linked.values()):
        text = para.text(deep=True).strip()
        if len(text) < _LINK_PARAGRAPH and link_density(para, len(text)) > _LINK_PARAGRAPH_DENSITY:
            para.decompose()
