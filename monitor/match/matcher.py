"""Compile topics once, then match documents: an inverted-index prefilter picks the topics worth evaluating."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.match import score
from monitor.match.document import AnalysedDocument
from monitor.match.nodes import Key, Node, required_keys
from monitor.match.parser import parse_query
from monitor.models import Match, MatchDocument, Topic


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    """A topic with its parsed query and its prefilter keys (``None``: evaluate on every document)."""

    topic: Topic
    root: Node
    keys: frozenset[Key] | None

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
    return CompiledTopic(topic, root, required_keys(root))


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
    """Match documents against many topics, skipping topics none of whose required words occur."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.compiled = [compile_topic(t) for t in topics]
        self._words: dict[str, list[int]] = {}
        self._prefixes: dict[str, list[int]] = {}
        self._always: list[int] = []
        for n, compiled in enumerate(self.compiled):
            if compiled.keys is None:
                self._always.append(n)
                continue
            for kind, key in compiled.keys:
                table = self._words if kind == "w" else self._prefixes
                table.setdefault(key, []).append(n)
        self._prefix_lengths = sorted({len(p) for p in self._prefixes})

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return the indexes, in topic order, of topics that may match ``doc``."""
        found = set(self._always)
        words, prefixes, lengths = self._words, self._prefixes, self._prefix_lengths
        for token in doc.vocabulary():
            hit = words.get(token)
            if hit:
                found.update(hit)
            for length in lengths:
                if length > len(token):
                    break
                hit = prefixes.get(token[:length])
                if hit:
                    found.update(hit)
        return sorted(found)

    def match(self, doc: MatchDocument) -> list[Match]:
        """Return the hits of every topic on ``doc``, in topic order."""
        analysed = AnalysedDocument(doc)
        out = []
        for n in self.candidates(analysed):
            hit = self.compiled[n].match(analysed)
            if hit is not None:
                out.append(hit)
        return out
