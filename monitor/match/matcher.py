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


_BLOCK = 512  # topics per bitset: small ints OR fast, and most keys touch one block


class Matcher:
    """Match documents against many topics, evaluating only topics whose required words all occur.

    Like Lucene's Monitor (Luwak), each query is reduced to up to ``MAX_CLAUSES`` clauses, each a set of
    words or prefixes of which a matching document must contain one. For each clause slot, every key
    maps to bitsets (Python ints, one per block of ``_BLOCK`` topics) of the topics whose clause in that
    slot contains the key; a document ORs the bitsets of its words per slot and ANDs the slots, so the
    work grows with the postings of the document's words, not with the number of topics.
    """

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.compiled = [compile_topic(t) for t in topics]
        self._blocks = (len(self.compiled) + _BLOCK - 1) // _BLOCK
        words: dict[str, dict[tuple[int, int], int]] = {}
        prefixes: dict[int, dict[str, dict[tuple[int, int], int]]] = {}
        # Topics with no clause in a slot pass it whatever the document says.
        free = [[0] * self._blocks for _ in range(MAX_CLAUSES)]
        for n, compiled in enumerate(self.compiled):
            block, bit = divmod(n, _BLOCK)
            clauses = compiled.clauses or ()
            for c in range(len(clauses), MAX_CLAUSES):
                free[c][block] |= 1 << bit
            for c, clause in enumerate(clauses):
                for kind, key in clause:
                    table = words if kind == "w" else prefixes.setdefault(len(key), {})
                    slots = table.setdefault(key, {})
                    slots[c, block] = slots.get((c, block), 0) | 1 << bit
        self._free = free
        self._words = {key: tuple((c, b, bits) for (c, b), bits in slots.items()) for key, slots in words.items()}
        self._prefixes = {
            length: {key: tuple((c, b, bits) for (c, b), bits in slots.items()) for key, slots in table.items()}
            for length, table in prefixes.items()
        }

    def candidates(self, doc: AnalysedDocument) -> list[int]:
        """Return the indexes, in topic order, of topics that may match ``doc``."""
        vocab = doc.vocabulary()
        met: list[dict[int, int]] = [{} for _ in range(MAX_CLAUSES)]
        words = self._words
        for key in vocab & words.keys():
            for c, b, bits in words[key]:
                slot = met[c]
                slot[b] = slot.get(b, 0) | bits
        for length, table in self._prefixes.items():
            for key in {w[:length] for w in vocab if len(w) >= length} & table.keys():
                for c, b, bits in table[key]:
                    slot = met[c]
                    slot[b] = slot.get(b, 0) | bits
        out: list[int] = []
        free = self._free
        for b in range(self._blocks):
            found = -1
            for c in range(MAX_CLAUSES):
                found &= met[c].get(b, 0) | free[c][b]
                if not found:
                    break
            if found > 0:
                # The set bits, lowest first, found by C-level string search rather than bit by bit.
                binary, base = f"{found:b}"[::-1], b * _BLOCK
                i = binary.find("1")
                while i >= 0:
                    out.append(base + i)
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
