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
        # Most candidates fail: a yes/no pass over the tree is much cheaper than collecting occurrences.
        if not self.root.matches(analysed):
            return None
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
    words or prefixes of which a matching document must contain one. For each clause slot, every key maps
    to a bitset (a Python int, bit ``n`` for topic ``n``) of the topics whose clause in that slot contains
    the key; a document ORs the bitsets of its words per slot and ANDs the slots. One int per slot keeps
    the work per document word to a few C-level ORs however many topics share the word (the common names
    sit in hundreds of topics), where per-block bitsets cost a Python step per block.
    """

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.compiled = [compile_topic(t) for t in topics]
        words: dict[str, list[int]] = {}
        prefixes: dict[int, dict[str, list[int]]] = {}
        # Topics with no clause in a slot pass it whatever the document says.
        free = [0] * MAX_CLAUSES
        for n, compiled in enumerate(self.compiled):
            bit = 1 << n
            clauses = compiled.clauses or ()
            for c in range(len(clauses), MAX_CLAUSES):
                free[c] |= bit
            for c, clause in enumerate(clauses):
                for kind, key in clause:
                    table = words if kind == "w" else prefixes.setdefault(len(key), {})
                    slots = table.setdefault(key, [0] * MAX_CLAUSES)
                    slots[c] |= bit
        self._free = tuple(free)
        self._words = {key: _pairs(slots) for key, slots in words.items()}
        self._prefixes = {
            length: {key: _pairs(slots) for key, slots in table.items()} for length, table in prefixes.items()
        }

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return the indexes, in topic order, of topics that may match ``doc``."""
        vocab = doc.vocabulary()
        met = list(self._free)
        words = self._words
        for key in vocab & words.keys():
            for c, bits in words[key]:
                met[c] |= bits
        for length, table in self._prefixes.items():
            for key in {w[:length] for w in vocab if len(w) >= length} & table.keys():
                for c, bits in table[key]:
                    met[c] |= bits
        found = met[0]
        for c in range(1, MAX_CLAUSES):
            found &= met[c]
        out: list[int] = []
        if found:
            # The set bits, lowest first, found by C-level string search rather than bit by bit.
            binary = f"{found:b}"[::-1]
            i = binary.find("1")
            while i >= 0:
                out.append(i)
                i = binary.find("1", i + 1)
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


def _pairs(slots: list[int]) -> tuple[tuple[int, int], ...]:
    """Return the (slot, bitset) pairs of a key's non-empty slots."""
    return tuple((c, bits) for c, bits in enumerate(slots) if bits)
