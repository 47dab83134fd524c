"""Explain a topic on one document: every clause, whether it matched, where, and the score's parts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from monitor.match import score
from monitor.match.document import TEXT, TITLE, AnalysedDocument
from monitor.match.matcher import CompiledTopic
from monitor.match.nodes import And, Meta, Near, Node, Not, Occ, Or, Phrase
from monitor.match.semantic import Embedder, SemanticTopic, hit_by_meaning, lead_text
from monitor.models import Match, MatchDocument, SemanticHit

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
class Meaning:
    """How close the document is to the topic's meaning: the similarity, the threshold and the ``must`` guard."""

    near: SemanticHit
    min_similarity: float
    must: Clause | None  # the guard's clause tree, None when the topic has no guard
    hit: bool

    def describe(self) -> str:
        """Return the outcome in words, e.g. ``similar to example 2 (0.86), min_similarity 0.85: hit``."""
        parts = [f"{self.near.describe()}, min_similarity {self.min_similarity:g}"]
        if self.near.counter:
            parts.append(f"closest counter-example {self.near.counter:.2f}")
        if self.must is not None:
            parts.append("must " + ("holds" if self.must.matched else "does not hold"))
        return "; ".join(parts) + (": hit" if self.hit else ": no hit")


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
    meaning: Meaning | None = None


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


def explain(
    compiled: CompiledTopic,
    document: MatchDocument,
    meaning: SemanticTopic | None = None,
    embedder: Embedder | None = None,
) -> Explanation:
    """Return the clause tree, the hit (if any) and the score breakdown of ``compiled`` on ``document``.

    With the topic's ``meaning`` and an ``embedder``, also how close the document is to it; a query miss that is
    close enough (and meets ``must``) is a hit by meaning, as in ``Matcher.match``.
    """
    doc = AnalysedDocument(document)
    found = _explain_query(compiled, doc)
    if meaning is None or embedder is None:
        return found
    near, by_meaning = hit_by_meaning(meaning, doc, embedder.passages([lead_text(document)])[0])
    guard = None if meaning.must is None else _clause(meaning.must, doc)
    check = Meaning(near, meaning.min_similarity, guard, by_meaning is not None)
    if found.hit is not None or by_meaning is None:
        return replace(found, meaning=check)
    reason = f"hit by meaning: {near.describe()} reaches min_similarity {meaning.min_similarity:g}"
    return replace(found, hit=by_meaning, reason=reason, snippets=by_meaning.snippets, meaning=check)


def _explain_query(compiled: CompiledTopic, doc: AnalysedDocument) -> Explanation:
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
