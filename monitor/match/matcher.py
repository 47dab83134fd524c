"""Compile topics once, then match documents: an inverted-index prefilter picks the topics worth evaluating."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.match import score
from monitor.match.document import AnalysedDocument
from monitor.match.nodes import Key, Node, clause_cost, required_clauses
from monitor.match.parser import parse_query
from monitor.models import Match, MatchDocument, Topic

MAX_CLAUSES = 3


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    """A topic, its parsed query and its prefilter clauses (``None``: evaluate on every document)."""

    topic: Topic
    root: Node
    clauses: tuple[frozenset[Key], ...] | None

    def match(self, doc: AnalysedDocument | MatchDocument) -> Match | None:
        """Return the hit on ``doc`` if the query matches and the score reaches ``min_score``."""
        analysed = doc if isinstance(doc, AnalysedDocument) else AnalysedDocument(doc)
        occs = self.root.evaluate(analysed)
        if not occs:
            return None
        unique = list(dict.fromkeys(occs))
        value = score.score(unique)
        if value <= 0 or value < self.topic.min_score:
            return None
        return Match(
            topic_id=self.topic.id,
            score=value,
            terms=score.terms(analysed, unique),
            snippets=score.snippets(analysed, unique),
        )


def compile_topic(topic: Topic) -> CompiledTopic:
    """Parse ``topic.query`` with the topic's aliases, raising ``QueryError`` naming the topic on failure."""
    root = parse_query(topic.query, topic.aliases, topic.origin or topic.id)
    clauses = required_clauses(root)
    if clauses is not None:
        # A few selective clauses prune almost as well as all of them and keep counting cheap.
        clauses = sorted(set(clauses), key=clause_cost)[:MAX_CLAUSES]
    return CompiledTopic(topic, root, None if clauses is None else tuple(clauses))


def validate_topics(topics: Sequence[Topic]) -> list[QueryError]:
    """Return the query error of every topic that does not compile (empty when all are fine)."""
    errors = []
    for topic in topics:
        try:
            compile_topic(topic)
        except QueryError as exc:
            errors.append(exc)
    return errors


class Matcher:
    """Match documents against many topics, evaluating only topics whose required words all occur.

    Like Lucene's Monitor (Luwak), each query is reduced to up to ``MAX_CLAUSES`` clauses, each a set of
    words or prefixes of which a matching document must contain one; an inverted index from those words to
    (topic, clause) finds the topics whose every clause is met, and only those are evaluated.
    """

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.compiled = [compile_topic(t) for t in topics]
        self._words: dict[str, list[tuple[int, int]]] = {}
        self._prefixes: dict[int, dict[str, list[tuple[int, int]]]] = {}
        self._need: list[int] = []
        self._always: list[int] = []
        for n, compiled in enumerate(self.compiled):
            self._need.append(len(compiled.clauses or ()))
            if compiled.clauses is None:
                self._always.append(n)
                continue
            for c, clause in enumerate(compiled.clauses):
                for kind, key in clause:
                    table = self._words if kind == "w" else self._prefixes.setdefault(len(key), {})
                    table.setdefault(key, []).append((n, c))

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return the indexes, in topic order, of topics that may match ``doc``."""
        vocab = doc.vocabulary()
        met: dict[int, set[int]] = {}
        tables = [(self._words, vocab & self._words.keys())]
        for length, table in self._prefixes.items():
            heads = {w[:length] for w in vocab if len(w) >= length}
            tables.append((table, heads & table.keys()))
        for table, keys in tables:
            for key in keys:
                for n, c in table[key]:
                    found = met.get(n)
                    if found is None:
                        met[n] = {c}
                    else:
                        found.add(c)
        need = self._need
        return sorted([n for n, c in met.items() if len(c) == need[n]] + self._always)

    def match(self, doc: MatchDocument) -> list[Match]:
        """Return the hits of every topic on ``doc``, in topic order."""
        analysed = AnalysedDocument(doc)
        out = []
        for n in self.candidates(analysed):
            hit = self.compiled[n].match(analysed)
            if hit is not None:
                out.append(hit)
        return out
