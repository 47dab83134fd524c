"""Find the article body: score paragraphs into their containers, pick the best, add its siblings."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract import selectors as sel
from monitor.extract.clean import ChromeFilter, class_weight, drop_tags, is_chrome, link_density, remove_clutter
from monitor.extract.text import node_text

_MIN_PARAGRAPH = 25
_ANCESTOR_LEVELS = 4
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


def _paragraph_score(text: str) -> float:
    commas = sum(text.count(c) for c in _COMMAS)
    return 1.0 + commas + min(len(text) / 100.0, 3.0)


def _initial_score(node: LexborNode) -> float:
    return sel.TAG_WEIGHTS.get(node.tag or "", 0.0) + class_weight(node)


def _score_containers(body: LexborNode) -> dict[int, _Candidate]:
    """Return {mem_id: [node, score]} for every container of a prose paragraph."""
    scores: dict[int, _Candidate] = {}
    chrome = ChromeFilter(body)
    for para in body.css(sel.PARAGRAPH_SELECTOR):
        text = para.text(deep=True).strip()
        if len(text) < _MIN_PARAGRAPH or chrome.inside_chrome(para):
            continue
        points = _paragraph_score(text)
        ancestor = para.parent
        for level in range(_ANCESTOR_LEVELS):
            if ancestor is None or ancestor.tag in (None, "html", "#document"):
                break
            entry = scores.get(ancestor.mem_id)
            if entry is None:
                entry = scores[ancestor.mem_id] = _Candidate(ancestor, _initial_score(ancestor))
            divider = 1.0 if level == 0 else 2.0 if level == 1 else level * 3.0
            entry.score += points / divider
            ancestor = ancestor.parent
    return scores


def _best(scores: dict[int, _Candidate]) -> tuple[LexborNode, float] | None:
    ranked = sorted(scores.values(), key=lambda c: c.score, reverse=True)[:8]
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


def _promote(top: LexborNode, scores: dict[int, _Candidate]) -> LexborNode:
    """Climb to a parent that scores nearly as well: the article is split over sibling blocks."""
    own = scores.get(top.mem_id)
    score = own.score if own else 0.0
    parent = top.parent
    while parent is not None and parent.tag not in ("body", "html"):
        entry = scores.get(parent.mem_id)
        if entry is None or entry.score < score * 0.75:
            break
        top, score = parent, entry.score
        parent = parent.parent
    return top


def extract_body(tree: LexborHTMLParser) -> Body:
    """Return the article body as text (paragraphs separated by blank lines)."""
    body = drop_tags(tree)
    if body is None:
        return Body("", 0.0)
    scores = _score_containers(body)
    best = _best(scores)
    if best is None:
        return Body("", 0.0)
    top = _promote(best[0], scores)
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
