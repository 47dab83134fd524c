"""Explain a topic on one document: every clause, whether it matched, where, and the score's parts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitor.match import score
from monitor.match.document import TEXT, TITLE, AnalysedDocument
from monitor.match.matcher import CompiledTopic
from monitor.match.nodes import And, Meta, Near, Node, Not, Occ, Or, Phrase
from monitor.models import Match, MatchDocument

FIELD_NAMES = {TITLE: "title", TEXT: "text"}


@dataclass(frozen=True, slots=True)
class Place:
    """One occurrence: the field, the first and last word positions (0-based) and the words as written."""

    field: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True, slots=True)
class Clause:
    """A node of the query with its outcome on the document."""

    label: str
    matched: bool
    places: tuple[Place, ...] = ()
    children: tuple[Clause, ...] = ()


@dataclass(frozen=True, slots=True)
class TermScore:
    """What one matched query term adds to the score."""

    term: str
    tf: int
    base: float  # 1 + ln(tf)
    title_bonus: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """The whole story of a topic on a document."""

    topic_id: str
    min_score: float
    tree: Clause
    hit: Match | None
    reason: str  # why it is or is not a hit
    terms: tuple[TermScore, ...] = ()
    closest_gap: int | None = None
    proximity: float = 0.0
    score: float = 0.0
    snippets: tuple[str, ...] = field(default=())


def label(node: Node) -> str:
    """Return how a node reads in an explanation (words are shown folded, as the matcher sees them)."""
    if isinstance(node, Phrase):
        words = " ".join(w.text + ("*" if w.prefix else "") for w in node.words)
        text = words if len(node.words) == 1 else f'"{words}"' + (f"~{node.slop}" if node.slop else "")
        return text if len(node.fields) == 2 else f"{FIELD_NAMES[node.fields[0]]}:{text}"
    if isinstance(node, Meta):
        return f"{node.field}:" + " ".join(w.text + ("*" if w.prefix else "") for w in node.words)
    if isinstance(node, Or):
        return f"OR {node.label}" if node.label else "OR"
    if isinstance(node, Near):
        return f"NEAR/{node.distance}"
    return "NOT" if isinstance(node, Not) else "AND" if isinstance(node, And) else type(node).__name__


def _places(doc: AnalysedDocument, occs: list[Occ]) -> tuple[Place, ...]:
    unique = sorted(set(occs), key=lambda o: (o[1], o[2]))
    return tuple(Place(FIELD_NAMES[f], s, e, doc.surface(f, s, e)) for _, f, s, e in unique)


def _clause(node: Node, doc: AnalysedDocument) -> Clause:
    occs = node.evaluate(doc)
    children = tuple(_clause(child, doc) for child in node.children())
    places = _places(doc, occs) if occs and isinstance(node, Phrase) else ()
    return Clause(label(node), occs is not None, places, children)


def explain(compiled: CompiledTopic, document: MatchDocument) -> Explanation:
    """Return the clause tree, the hit (if any) and the score breakdown of ``compiled`` on ``document``."""
    doc = AnalysedDocument(document)
    topic = compiled.topic
    tree = _clause(compiled.root, doc)
    hit = compiled.match(doc)
    occs = compiled.root.evaluate(doc)
    if not occs:
        return Explanation(topic.id, topic.min_score, tree, None, "the query does not match")
    unique = list(dict.fromkeys(occs))
    leaves = {n.leaf_id: label(n) for n in compiled.root.walk() if isinstance(n, Phrase)}
    per_leaf: dict[int, list[Occ]] = {}
    for occ in unique:
        per_leaf.setdefault(occ[0], []).append(occ)
    terms = tuple(
        TermScore(
            leaves.get(leaf, str(leaf)),
            len(found),
            round(1.0 + math.log(len(found)), 3),
            score.TITLE_BOOST if any(o[1] == TITLE for o in found) else 0.0,
        )
        for leaf, found in per_leaf.items()
    )
    gap = score._closest_gap(score.by_place(unique)) if len(per_leaf) > 1 else None
    proximity = 0.0 if gap is None else 2.0 if gap <= score.CLOSE else 1.0 if gap <= score.NEAR_BY else 0.0
    total = score.score(unique)
    if hit is not None:
        reason = f"hit: score {total:g} reaches min_score {topic.min_score:g}"
    else:
        reason = f"no hit: the query matches but score {total:g} is below min_score {topic.min_score:g}"
    return Explanation(
        topic.id, topic.min_score, tree, hit, reason, terms, gap, proximity, total, hit.snippets if hit else ()
    )
