"""Find the article body: score paragraphs into their containers, pick the best, add its siblings."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract import selectors as sel
from monitor.extract.clean import (
    STRONG,
    WEAK,
    ChromeFilter,
    chrome_level,
    class_weight,
    drop_tags,
    is_chrome,
    link_density,
    remove_clutter,
)
from monitor.extract.text import ROOT_IDS, node_text

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
# A body with at least this many linked headings, one per two paragraphs or more, is a listing.
_MIN_TEASERS = 4
# Below this much paragraph prose in the best container, divs holding bare text are scored too.
_ENOUGH_PROSE = 500
_TEASER_LINKS = 0.8


@dataclass(frozen=True, slots=True)
class Body:
    """The body text and how link-heavy its container was (a listing page is mostly links)."""

    text: str
    link_density: float
    teasers: int = 0


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


class _Direct(_Prose):
    """Prose paragraphs whose parent is this node."""

    __slots__ = ("node",)

    def __init__(self, node: LexborNode) -> None:
        super().__init__()
        self.node = node


def _paragraph_score(text: str) -> float:
    count = text.count  # unrolled: this runs once per paragraph of every page
    commas = count(",") + count("،") + count("，") + count("、") + count("。")
    return 1.0 + commas + min(len(text) / 100.0, 3.0)


def _initial_score(node: LexborNode) -> float:
    attrs = node.attributes
    score = sel.TAG_WEIGHTS.get(node.tag or "", 0.0) + class_weight(node, attrs)
    itemprop = attrs.get("itemprop")
    if itemprop and itemprop.lower() == sel.ARTICLE_BODY_ITEMPROP:
        score += sel.ARTICLE_BODY_BONUS
    return score


def _credit(scores: dict[int, _Candidate], direct: dict[int, _Direct], start: LexborNode | None, text: str) -> None:
    """Add a paragraph's points to its close containers and its length to its own container."""
    if start is None:
        return
    points = _paragraph_score(text)
    held = direct.get(start.mem_id)
    if held is None:
        held = direct[start.mem_id] = _Direct(start)
    held.chars += len(text)
    held.paragraphs += 1
    ancestor: LexborNode | None = start
    level = 0
    while ancestor is not None and level < _ANCESTOR_LEVELS and ancestor.tag_id not in ROOT_IDS:
        key = ancestor.mem_id
        entry = scores.get(key)
        if entry is None:
            entry = scores[key] = _Candidate(ancestor, _initial_score(ancestor))
        divider = 1.0 if level == 0 else 2.0 if level == 1 else level * 3.0
        entry.score += points / divider
        ancestor = ancestor.parent
        level += 1


def _total_prose(direct: dict[int, _Direct]) -> dict[int, _Prose]:
    """Sum the prose of every container onto all its ancestors.

    Done once per distinct container rather than once per paragraph: paragraphs share their
    ancestors, and every step up the tree costs a Python object.
    """
    prose: dict[int, _Prose] = {}
    for held in direct.values():
        node: LexborNode | None = held.node
        while node is not None and node.tag_id not in ROOT_IDS:
            key = node.mem_id
            counted = prose.get(key)
            if counted is None:
                counted = prose[key] = _Prose()
            counted.chars += held.chars
            counted.paragraphs += held.paragraphs
            node = node.parent
    return prose


def _score_containers(
    paragraphs: list[LexborNode], chrome: ChromeFilter
) -> tuple[dict[int, _Candidate], dict[int, _Direct]]:
    """Score the close containers of each prose paragraph; tally the prose each container holds."""
    scores: dict[int, _Candidate] = {}
    direct: dict[int, _Direct] = {}
    for para in paragraphs:
        text = para.text(deep=True).strip()
        if len(text) >= _MIN_PARAGRAPH and not chrome.inside_chrome(para):
            _credit(scores, direct, para.parent, text)
    return scores, direct


def _own_text(node: LexborNode) -> str:
    """Return the text a div holds itself (text nodes and inline children), not in child blocks."""
    parts: list[str] = []
    child = node.child
    while child is not None:
        if child.is_text_node:
            parts.append(child.text(deep=False))
        elif child.tag in sel.INLINE_TAGS:
            parts.append(child.text(deep=True))
        child = child.next
    return " ".join("".join(parts).split())


def _score_div_text(
    body: LexborNode, chrome: ChromeFilter, scores: dict[int, _Candidate], direct: dict[int, _Direct]
) -> None:
    """Score divs that hold prose without <p> (text split by <br>), as Readability turns them into <p>."""
    found = [(div, text) for div in body.css("div") if len(text := _own_text(div)) >= _MIN_PARAGRAPH]
    # The chrome filter rescues a chrome-named wrapper by the <p> it holds, and these pages have none:
    # one whose names only suggest chrome ("widget") and that holds most of the bare-div prose is the
    # article's container, mislabelled, as the filter judges a wrapper holding most <p>.
    held: dict[int, int] = {}
    for div, text in found:
        node: LexborNode | None = div
        while node is not None and node.tag_id not in ROOT_IDS:
            held[node.mem_id] = held.get(node.mem_id, 0) + len(text)
            node = node.parent
    half = sum(len(text) for _, text in found) / 2
    for div, text in found:
        if not chrome.inside_chrome(div) or _mislabelled_path(div, held, half):
            _credit(scores, direct, div, text)


def _mislabelled_path(node: LexborNode | None, held: dict[int, int], half: float) -> bool:
    """Say whether every chrome-named ancestor of a node is weak chrome holding most of the prose."""
    while node is not None and node.tag_id not in ROOT_IDS:
        level = chrome_level(node)
        if level == STRONG or (level == WEAK and held.get(node.mem_id, 0) <= half):
            return False
        node = node.parent
    return True


def _best(scores: dict[int, _Candidate]) -> tuple[LexborNode, float] | None:
    ranked = sorted(scores.values(), key=lambda c: c.score, reverse=True)[:_RANKED]
    best: tuple[LexborNode, float] | None = None
    for cand in ranked:
        # Link density only lowers a score: once raw scores fall below the best, none can win.
        if best is not None and cand.score <= best[1]:
            break
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
            elif _is_text_block(child) and not is_chrome(child):
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


def _is_text_block(node: LexborNode) -> bool:
    # As in Readability, a div holding only inline content counts as a paragraph (a standfirst).
    if node.tag == "p":
        return True
    if node.tag not in ("div", "section"):
        return False
    # css() matches the node itself, so look for block descendants below it.
    return all(block.mem_id == node.mem_id for block in node.css(sel.BLOCK_SELECTOR))


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
    paragraphs = body.css(sel.PARAGRAPH_SELECTOR)
    chrome = ChromeFilter(len(paragraphs))
    scores, direct = _score_containers(paragraphs, chrome)
    prose = _total_prose(direct)
    best = _best(scores)
    if best is None or prose[best[0].mem_id].chars < _ENOUGH_PROSE:
        # Too little prose in <p>: the page may keep its text in bare divs; the extra walk is paid only here.
        _score_div_text(body, chrome, scores, direct)
        prose = _total_prose(direct)
        best = _best(scores)
    if best is None:
        return Body("", 0.0)
    top = _widen(best[0], prose)
    parts: list[str] = []
    linked = total = 0.0
    teasers = 0
    for node in _siblings(top, best[1], scores):
        teasers += _count_teasers(node)
        remove_clutter(node, chrome)
        text = node_text(node)
        if text:
            parts.append(text)
            length = len(text)
            total += length
            linked += link_density(node, length) * length
    text = "\n\n".join(parts)
    blocks = text.count("\n\n") + 1 if text else 0
    is_listing = teasers >= _MIN_TEASERS and teasers * 2 >= blocks - teasers
    return Body(text, linked / total if total else 0.0, teasers if is_listing else 0)


def _count_teasers(node: LexborNode) -> int:
    """Count headings that are mostly a link: the cards of a front page, not an article's subheads."""
    count = 0
    for heading in node.css(sel.TEASER_HEADING_SELECTOR):
        text = heading.text(deep=True).strip()
        if text and link_density(heading, len(text)) > _TEASER_LINKS:
            count += 1
    return count
