"""Compile topics once, then match documents: an inverted-index prefilter picks the topics worth evaluating."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.match import score
from monitor.match.document import AnalysedDocument
from monitor.match.nodes import Key, Node, pick_clauses, required_clauses
from monitor.match.parser import parse_query
from monitor.models import Match, MatchDocument, Topic

MAX_CLAUSES = 4


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
        except QueryError as exc:
            errors.append(exc)
    return errors


class Matcher:
    """Match documents against many topics, evaluating only topics whose required words all occur.

    Like Lucene's Monitor (Luwak), each query is reduced to up to ``MAX_CLAUSES`` clauses, each a set of
    words or prefixes of which a matching document must contain one, the most selective first. Each key
    maps to the topics whose first clause holds it, and to the (topic, slot) pairs of their other clauses
    that hold it. A document unites those sets over its words (a few C-level unions), which gives the
    topics whose first clause it meets; a topic stays a candidate when its other clauses' pairs are all in
    the document's union (one subset test). The work follows the postings the document's words reach,
    not the number of topics: a bitset over all topics, ORed per word, costs ten times more at ten times
    the topics even when the document reaches the same few.
    """

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.compiled = [compile_topic(t) for t in topics]
        first: dict[Key, set[int]] = {}
        later: dict[Key, set[int]] = {}
        required: list[frozenset[int]] = []
        always: list[int] = []
        for n, compiled in enumerate(self.compiled):
            clauses = compiled.clauses
            if not clauses:
                always.append(n)
            for c, clause in enumerate(clauses or ()):
                for key in clause:
                    if c == 0:
                        first.setdefault(key, set()).add(n)
                    else:
                        later.setdefault(key, set()).add(_pair(n, c))
            required.append(frozenset(_pair(n, c) for c in range(1, len(clauses or ()))))
        self._always = tuple(always)
        self._required = required
        keys = first.keys() | later.keys()
        empty: frozenset[int] = frozenset()
        postings = {key: (frozenset(first.get(key, empty)), frozenset(later.get(key, empty))) for key in keys}
        self._words = {text: found for (kind, text), found in postings.items() if kind == "w"}
        self._prefixes: dict[int, dict[str, tuple[frozenset[int], frozenset[int]]]] = {}
        for (kind, text), found in postings.items():
            if kind == "p":
                self._prefixes.setdefault(len(text), {})[text] = found

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return the indexes, in topic order, of topics that may match ``doc``."""
        vocab = doc.vocabulary()
        reached = [found for found in map(self._words.get, vocab) if found is not None]
        for length, table in self._prefixes.items():
            reached.extend([found for found in map(table.get, doc.prefixes(length)) if found is not None])
        met = frozenset().union(*[found[1] for found in reached])
        required = self._required
        out = [n for n in frozenset().union(*[found[0] for found in reached]) if required[n] <= met]
        if self._always:
            out.extend(self._always)
        out.sort()
        return out

    def match(self, doc: MatchDocument) -> list[Match]:
        """Return the hits of every topic on ``doc``, in topic order."""
        analysed = AnalysedDocument(doc)
        out = []
        for n in self.candidates(analysed):
            hit = self.compiled[n].match(analysed)
            if hit is not None:
                out.append(hit)
        return out


def _pair(topic: int, slot: int) -> int:
    """Return one int standing for clause ``slot`` of ``topic``."""
    return topic * MAX_CLAUSES + slot
