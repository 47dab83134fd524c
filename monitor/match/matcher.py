"""Compile topics once, then match documents: an inverted-index prefilter picks the topics worth evaluating."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.match import score
from monitor.match.document import AnalysedDocument
from monitor.match.nodes import Key, Node, pick_clauses, required_clauses
from monitor.match.parser import parse_query
from monitor.match.prefilter import MAX_CLAUSES, ClauseIndex
from monitor.match.semantic import (
    Embedder,
    Marked,
    SemanticTopic,
    compile_semantic,
    default_embedder,
    hit_by_meaning,
    lead_text,
)
from monitor.models import Match, MatchDocument, Topic


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    """A topic, its parsed query and its prefilter clauses (``None``: evaluate on every document)."""

    topic: Topic
    root: Node
    clauses: tuple[frozenset[Key], ...] | None

    def match(self, doc: AnalysedDocument | MatchDocument) -> Match | None:
        """Return the hit on ``doc`` if the query matches and the score reaches ``min_score``."""
        analysed = doc if isinstance(doc, AnalysedDocument) else AnalysedDocument(doc)
        # No yes/no pass first: the prefilter leaves few candidates that fail, so it would mostly be paid twice.
        occs = self.root.evaluate(analysed)
        if not occs:
            return None
        unique = list(dict.fromkeys(occs))
        ordered = score.by_place(unique)
        value = score.score(unique, ordered)
        if value <= 0 or value < self.topic.min_score:
            return None
        return Match(
            topic_id=self.topic.id,
            score=value,
            terms=score.terms(analysed, unique, ordered),
            snippets=score.snippets(analysed, unique),
        )


def compile_topic(topic: Topic) -> CompiledTopic:
    """Parse ``topic.query`` with the topic's aliases, raising ``QueryError`` naming the topic on failure."""
    root = parse_query(topic.query, topic.aliases, topic.origin or topic.id)
    clauses = required_clauses(root)
    if clauses is not None:
        # A few selective clauses prune almost as well as all of them and keep counting cheap.
        clauses = pick_clauses(clauses, MAX_CLAUSES)
    return CompiledTopic(topic, root, None if clauses is None else tuple(clauses))


def validate_topics(topics: Sequence[Topic]) -> list[QueryError]:
    """Return the query error of every topic that does not compile (empty when all are fine)."""
    errors = []
    for topic in topics:
        try:
            compile_topic(topic)
            if topic.semantic is not None and topic.semantic.must:
                parse_query(topic.semantic.must, topic.aliases, (topic.origin or topic.id) + " (must)")
        except QueryError as exc:
            errors.append(exc)
    return errors


class Matcher:
    """Match documents against many topics, evaluating only the topics the prefilter lets through.

    See ``monitor.match.prefilter``: each query is reduced to a few clauses of required words, and a
    document's words pick the topics whose every clause they meet, as Lucene's Monitor (Luwak) does.
    """

    def __init__(
        self,
        topics: Sequence[Topic],
        embedder: Embedder | None = None,
        *,
        semantic: bool = True,
        marks: Mapping[str, Sequence[Marked]] | None = None,
    ) -> None:
        """Compile ``topics``; topics with a meaning also match by it when an embedder is at hand.

        ``marks`` (by topic id) are hits analysts marked relevant or not: more examples and counter-examples.

        Without ``embedder`` the bundled model of the extra ``semantic`` is loaded here, once per process and only
        when some topic has ``about`` or ``examples``, so no poll waits for it; ``semantic=False`` turns it off.
        """
        self.compiled = [compile_topic(t) for t in topics]
        self._index = ClauseIndex([c.clauses for c in self.compiled])
        wanted = semantic and any(t.semantic is not None for t in topics)
        self.embedder = (embedder or default_embedder()) if wanted else None
        self.semantic: list[SemanticTopic] = []
        if self.embedder is not None:
            found = (compile_semantic(t, n, self.embedder, (marks or {}).get(t.id, ())) for n, t in enumerate(topics))
            self.semantic = [s for s in found if s is not None]

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return the indexes, in topic order, of topics that may match ``doc``."""
        return self._index.candidates(doc)

    def match(self, doc: MatchDocument) -> list[Match]:
        """Return the hits of every topic on ``doc``, in topic order."""
        analysed = AnalysedDocument(doc)
        out = []
        for n in self.candidates(analysed):
            hit = self.compiled[n].match(analysed)
            if hit is not None:
                out.append(hit)
        if self.semantic:
            return self._with_semantic(analysed, out)
        return out

    def _with_semantic(self, doc: AnalysedDocument, hits: list[Match]) -> list[Match]:
        """Add the semantic hits of topics whose query missed, embedding ``doc`` once and only if some topic may hit."""
        assert self.embedder is not None
        done = {m.topic_id for m in hits}
        pending = [s for s in self.semantic if s.topic.id not in done and s.must_hold(doc)]
        if not pending:
            return hits
        vector = self.embedder.passages([lead_text(doc.doc)])[0]
        found = list(hits)
        for sem in pending:
            _, hit = hit_by_meaning(sem, doc, vector)
            if hit is not None:
                found.append(hit)
        if len(found) == len(hits):
            return hits
        order = {c.topic.id: n for n, c in enumerate(self.compiled)}
        return sorted(found, key=lambda m: order[m.topic_id])
