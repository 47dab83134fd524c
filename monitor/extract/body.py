"""Find the article body: score paragraphs into their containers, pick the best, add its siblings."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract import selectors as sel
from monitor.extract.clean import ChromeFilter, class_weight, drop_tags, is_chrome, link_density, remove_clutter
from monitor.extract.text import node_text

_MIN_PARAGRAPH = 25
_ANCESTOR_LEVELS = 4
# Widening to a parent needs at least this much new prose, in paragraphs this long on average,
# with links no denser than this.
_WIDEN_SHARE = 0.1
_WIDEN_AVERAGE = 80
_WIDEN_LINKS = 0.15
_WIDEN_STEPS = 6
# Only the best few raw scores are worth the cost of a link-density check.
_RANKED = 5
_COMMAS = (",", "،", "，", "、", "。")


@dataclass(frozen=True, slots=True)
class Body:
    """The body text and how link-heavy its container was (a listing page is mostly links)."""

    text: str
    link_density: float


class _Candidate:
    """A container and its accumulated paragraph score."""

    __slots__ = ("node", "score")

    def __init__(self, node: LexborNode, score: float) -> None:
        self.node = node
        self.score = score


class _Prose:
    """Characters and number of prose paragraphs found anywhere under a node."""

    __slots__ = ("chars", "paragraphs")

    def __init__(self) -> None:
        self.chars = 0
        self.paragraphs = 0


def _paragraph_score(text: str) -> float:
    commas = sum(text.count(c) for c in _COMMAS)
    return 1.0 + commas + min(len(text) / 100.0, 3.0)


def _initial_score(node: LexborNode) -> float:
    return sel.TAG_WEIGHTS.get(node.tag or "", 0.0) + class_weight(node)


def _score_containers(body: LexborNode) -> tuple[dict[int, _Candidate], dict[int, _Prose]]:
    """Score the close containers of each prose paragraph; count prose under every ancestor."""
    scores: dict[int, _Candidate] = {}
    prose: dict[int, _Prose] = {}
    paragraphs = body.css(sel.PARAGRAPH_SELECTOR)
    chrome = ChromeFilter(len(paragraphs))
    for para in paragraphs:
        text = para.text(deep=True).strip()
        if len(text) < _MIN_PARAGRAPH or chrome.inside_chrome(para):
            continue
        points = _paragraph_score(text)
        ancestor = para.parent
        level = 0
        while ancestor is not None and ancestor.tag not in (None, "html", "#document"):
            key = ancestor.mem_id
            if level < _ANCESTOR_LEVELS:
                entry = scores.get(key)
                if entry is None:
                    entry = scores[key] = _Candidate(ancestor, _initial_score(ancestor))
                divider = 1.0 if level == 0 else 2.0 if level == 1 else level * 3.0
                entry.score += points / divider
            counted = prose.get(key)
            if counted is None:
                counted = prose[key] = _Prose()
            counted.chars += len(text)
            counted.paragraphs += 1
            ancestor = ancestor.parent
            level += 1
    return scores, prose


def _best(scores: dict[int, _Candidate]) -> tuple[LexborNode, float] | None:
    ranked = sorted(scores.values(), key=lambda c: c.score, reverse=True)[:_RANKED]
    best: tuple[LexborNode, float] | None = None
    for cand in ranked:
        score = cand.score * (1.0 - link_density(cand.node))
        if best is None or score > best[1]:
            best = (cand.node, score)
    return best


def _siblings(top: LexborNode, top_score: float, scores: dict[int, _Candidate]) -> list[LexborNode]:
    """Return the top container plus siblings that look like more of the same article."""
    parent = top.parent
    if parent is None or parent.tag == "html":
        return [top]
    threshold = max(10.0, top_score * 0.2)
    top_class = top.attributes.get("class")
    chosen: list[LexborNode] = []
    child = parent.child
    while child is not None:
        if child.mem_id == top.mem_id:
            chosen.append(child)
        elif child.is_element_node:
            entry = scores.get(child.mem_id)
            bonus = top_score * 0.2 if top_class and child.attributes.get("class") == top_class else 0.0
            if entry is not None and entry.score + bonus >= threshold:
                chosen.append(child)
            elif child.tag == "p" and not is_chrome(child):
                text = child.text(deep=True).strip()
                density = link_density(child, len(text))
                if (len(text) > 80 and density < 0.25) or (
                    0 < len(text) <= 80 and density == 0 and text.endswith((".", "!", "?", "。"))
                ):
                    chosen.append(child)
        child = child.next
    return chosen


def _text_and_links(node: LexborNode) -> tuple[int, int]:
    return len(node.text(deep=True)), sum(len(a.text(deep=True)) for a in node.css("a"))


def _widen(top: LexborNode, prose: dict[int, _Prose]) -> LexborNode:
    """Climb to an ancestor that adds real paragraphs: the article is split over sibling blocks."""
    own = prose.get(top.mem_id)
    if own is None:
        return top
    own_text, own_links = _text_and_links(top)
    node = top.parent
    for _ in range(_WIDEN_STEPS):
        if node is None or node.tag in ("body", "html"):
            break
        above = prose.get(node.mem_id)
        if above is None:
            break
        added_chars = above.chars - own.chars
        if added_chars > 0:
            added = above.paragraphs - own.paragraphs
            if added_chars < _WIDEN_SHARE * own.chars or added_chars / added < _WIDEN_AVERAGE:
                break
            # What the ancestor adds must read like the article, not like a block of teasers.
            text, links = _text_and_links(node)
            if text <= own_text or (links - own_links) / (text - own_text) > _WIDEN_LINKS:
                break
            top, own, own_text, own_links = node, above, text, links
        node = node.parent
    return top


def extract_body(tree: LexborHTMLParser) -> Body:
    """Return the article body as text (paragraphs separated by blank lines)."""
    body = drop_tags(tree)
    if body is None:
        return Body("", 0.0)
    scores, prose = _score_containers(body)
    best = _best(scores)
    if best is None:
        return Body("", 0.0)
    top = _widen(best[0], prose)
    parts: list[str] = []
    linked = total = 0.0
    for node in _siblings(top, best[1], scores):
        remove_clutter(node)
        text = node_text(node)
        if text:
            parts.append(text)
            length = len(text)
            total += length
            linked += link_density(node, length) * length
    return Body("\n\n".join(parts), linked / total if total else 0.0)
