"""The compiled query tree: each node evaluates against an ``AnalysedDocument``.

``evaluate`` returns ``None`` when the node does not match, otherwise the occurrences that made it match
(possibly none, for ``NOT`` and metadata clauses). An occurrence is ``(leaf_id, field, first_word, last_word)``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from monitor.match.document import PREFIX_KEY_LEN, AnalysedDocument

Occ = tuple[int, int, int, int]
Key = tuple[str, str]  # ("w", word) or ("p", prefix[:PREFIX_KEY_LEN])
_OR_BRANCH_CLAUSES = 2  # clauses taken from each OR branch ...
_OR_PRODUCTS = 4  # ... and combinations kept, so that nested ORs stay small
_WORD, _PREFIX, _OTHER = range(3)  # how ``Or.evaluate`` reads a child
_NONE: frozenset[str] = frozenset()  # one shared empty set: ``frozenset()`` makes a new object each time


@dataclass(frozen=True, slots=True)
class Word:
    """One folded query word; ``prefix`` when written with a trailing ``*``."""

    text: str
    prefix: bool = False

    def key(self) -> Key:
        """Return this word's prefilter key."""
        return ("p", self.text[:PREFIX_KEY_LEN]) if self.prefix else ("w", self.text)


class Node:
    """Base of every query node."""

    __slots__ = ()  # nodes are many (thousands of topics) and read on every candidate: keep them small

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return the occurrences that make this node match ``doc``, or ``None``."""
        raise NotImplementedError

    def matches(self, doc: AnalysedDocument) -> bool:
        """Return ``evaluate(doc) is not None``, cheaper where no occurrence list is needed."""
        return self.evaluate(doc) is not None

    def children(self) -> tuple[Node, ...]:
        """Return the direct sub-nodes."""
        return ()

    def walk(self) -> Iterator[Node]:
        """Yield this node and every node below it."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(eq=False, slots=True)
class Phrase(Node):
    """Words in order; ``slop`` extra words allowed in between; a single word is a plain term."""

    words: tuple[Word, ...]
    fields: tuple[int, ...]
    leaf_id: int
    slop: int = 0

    def key(self) -> Key:
        """Return the most selective word's key: the longest whole word, else the longest prefix."""
        return max(self.words, key=lambda w: (not w.prefix, len(w.text))).key()

    def matches(self, doc: AnalysedDocument) -> bool:
        """Return whether the phrase occurs; a single word is a dictionary lookup per field."""
        if len(self.words) > 1:
            # Positions are needed only when every word occurs somewhere.
            vocab = doc.vocabulary()
            for w in self.words:
                if not (doc.has_prefix(w.text) if w.prefix else w.text in vocab):
                    return False
            return self.evaluate(doc) is not None
        word = self.words[0]
        if len(self.fields) == 2:  # both fields: the document's vocabulary answers without positions
            return doc.has_prefix(word.text) if word.prefix else word.text in doc.vocabulary()
        if word.prefix:
            return bool(doc.positions(word.text, True, self.fields[0]))
        return word.text in doc.indexes[self.fields[0]]

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return every span where the words appear in order (within the slop)."""
        out: list[Occ] = []
        if len(self.words) == 1:  # the common case, kept cheap: most leaves are single words
            word = self.words[0]
            leaf = self.leaf_id
            if word.prefix:
                per_field = doc.prefix_positions(word.text)
                for field in self.fields:
                    out.extend([(leaf, field, p, p) for p in per_field[field]])
                return out or None
            if word.text not in doc.vocabulary():
                return None
            indexes = doc.indexes
            for field in self.fields:
                found = indexes[field].get(word.text)
                if found:
                    out.extend([(leaf, field, p, p) for p in found])
            return out or None
        vocab = doc.vocabulary()
        for w in self.words:  # a phrase needs every word somewhere: test that before collecting positions
            if not (doc.has_prefix(w.text) if w.prefix else w.text in vocab):
                return None
        for field in self.fields:
            lists = [doc.positions(w.text, w.prefix, field) for w in self.words]
            if not all(lists):
                continue
            for start, end in self._spans(lists):
                out.append((self.leaf_id, field, start, end))
        return out or None

    def _spans(self, lists: list[list[int]]) -> Iterator[tuple[int, int]]:
        """Yield (first, last) word positions of each match, given each word's positions."""
        if len(lists) == 1:
            for pos in lists[0]:
                yield pos, pos
            return
        if self.slop == 0:
            sets = [set(p) for p in lists[1:]]
            for pos in lists[0]:
                if all(pos + i in s for i, s in enumerate(sets, 1)):
                    yield pos, pos + len(lists) - 1
            return
        limit = self.slop + len(lists) - 1
        for pos in lists[0]:
            cur = pos
            for later in lists[1:]:
                # The earliest following occurrence of each word gives the shortest in-order span.
                i = bisect_right(later, cur)
                if i == len(later):
                    cur = -1
                    break
                cur = later[i]
            if cur < 0:
                break
            if cur - pos <= limit:
                yield pos, cur


@dataclass(eq=False, slots=True)
class Meta(Node):
    """A ``source:`` or ``lang:`` clause: matches document metadata, contributes no occurrences."""

    field: str
    words: tuple[Word, ...]

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return ``[]`` when the metadata matches, else ``None``."""
        have = (doc.lang,) if self.field == "lang" else doc.source_words
        n = len(self.words)
        for i in range(len(have) - n + 1):
            if all(
                have[i + j].startswith(w.text) if w.prefix else have[i + j] == w.text for j, w in enumerate(self.words)
            ):
                return []
        return None


@dataclass(eq=False, slots=True)
class And(Node):
    """Every child matches."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        """Return the operands."""
        return self.items

    def matches(self, doc: AnalysedDocument) -> bool:
        """Return whether every child matches."""
        return all(item.matches(doc) for item in self.items)

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return all children's occurrences if every child matches."""
        out: list[Occ] = []
        for item in self.items:
            got = item.evaluate(doc)
            if got is None:
                return None
            out.extend(got)
        return out


@dataclass(eq=False, slots=True)
class Or(Node):
    """At least one child matches; ``label`` names the alias group it came from, for explanations."""

    items: tuple[Node, ...]
    label: str = ""
    _words: frozenset[str] = field(init=False, repr=False)
    _plan: tuple[tuple[int, Node, str, int, frozenset[str]], ...] = field(init=False, repr=False)
    _prefixes: tuple[str, ...] = field(init=False, repr=False)
    _rest: tuple[Node, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Alias groups are mostly plain words: one set test answers for all of them at once.
        words: set[str] = set()
        prefixes: list[str] = []
        rest: list[Node] = []
        # How evaluate treats each child: (kind, child, its word or prefix, leaf id, words it needs).
        plan: list[tuple[int, Node, str, int, frozenset[str]]] = []
        for item in self.items:
            if isinstance(item, Phrase) and len(item.words) == 1 and len(item.fields) == 2:
                single = item.words[0]
                (prefixes.append if single.prefix else words.add)(single.text)
                plan.append((_PREFIX if single.prefix else _WORD, item, single.text, item.leaf_id, _NONE))
            else:
                rest.append(item)
                needs = frozenset(w.text for w in item.words if not w.prefix) if isinstance(item, Phrase) else None
                plan.append((_OTHER, item, "", -1, needs or _NONE))
        self._words = frozenset(words)
        self._plan = tuple(plan)
        self._prefixes = tuple(prefixes)
        self._rest = tuple(rest)

    def children(self) -> tuple[Node, ...]:
        """Return the operands."""
        return self.items

    def matches(self, doc: AnalysedDocument) -> bool:
        """Return whether any child matches."""
        if self._words and not self._words.isdisjoint(doc.vocabulary()):
            return True
        for prefix in self._prefixes:
            if doc.has_prefix(prefix):
                return True
        return any(item.matches(doc) for item in self._rest)

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return the occurrences of every matching child (all count towards the score)."""
        out: list[Occ] = []
        matched = False
        vocab = doc.vocabulary()
        # Single words and prefixes in both fields, the bulk of alias groups, are read here without a call.
        for kind, item, text, leaf, needs in self._plan:
            if kind == _WORD:
                if text in vocab:
                    for field, index in enumerate(doc.indexes):
                        found = index.get(text)
                        if found:
                            out.extend([(leaf, field, p, p) for p in found])
                    matched = True
            elif kind == _PREFIX:
                if doc.has_prefix(text):
                    for field, found in enumerate(doc.prefix_positions(text)):
                        out.extend([(leaf, field, p, p) for p in found])
                    matched = True
            elif needs <= vocab:  # a phrase lacking one of its whole words cannot match: skip the call
                got = item.evaluate(doc)
                if got is not None:
                    out.extend(got)
                    matched = True
        return out if matched else None


@dataclass(eq=False, slots=True)
class Not(Node):
    """The child does not match."""

    item: Node

    def children(self) -> tuple[Node, ...]:
        """Return the negated operand."""
        return (self.item,)

    def matches(self, doc: AnalysedDocument) -> bool:
        """Return whether the child fails."""
        return not self.item.matches(doc)

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return ``[]`` when the child fails."""
        return [] if self.item.evaluate(doc) is None else None


@dataclass(eq=False, slots=True)
class Near(Node):
    """Both sides occur in the same field with at most ``distance`` other words between them."""

    left: Node
    right: Node
    distance: int

    def children(self) -> tuple[Node, ...]:
        """Return both sides."""
        return (self.left, self.right)

    def matches(self, doc: AnalysedDocument) -> bool:
        """Return whether both sides occur close enough; positions only when both occur at all."""
        return self.left.matches(doc) and self.right.matches(doc) and self.evaluate(doc) is not None

    def evaluate(self, doc: AnalysedDocument) -> list[Occ] | None:
        """Return the occurrences of each side that have a partner close enough."""
        left = self.left.evaluate(doc)
        if not left:
            return None
        right = self.right.evaluate(doc)
        if not right:
            return None
        hits: dict[Occ, None] = {}
        for a in left:
            for b in right:
                if a[1] == b[1] and max(b[2] - a[3], a[2] - b[3]) <= self.distance + 1:
                    hits[a] = None
                    hits[b] = None
        return list(hits) if hits else None


def required_clauses(node: Node) -> list[frozenset[Key]] | None:
    """Return key sets a matching document must each meet (one key at least), or ``None`` if unknown."""
    if isinstance(node, Phrase):
        return [frozenset((w.key(),)) for w in node.words]
    if isinstance(node, Or):
        # (a AND b) OR (c AND d) requires (a OR c), (a OR d), (b OR c), (b OR d): one clause from each
        # branch, united. Keeping only a few of those products weakens the prefilter but never breaks it.
        products: list[frozenset[Key]] = [frozenset()]
        for item in node.items:
            sub = required_clauses(item)
            if sub is None:
                return None
            best = pick_clauses(sub, _OR_BRANCH_CLAUSES)
            products = pick_clauses({acc | c for acc in products for c in best}, _OR_PRODUCTS)
        return products
    if isinstance(node, (And, Near)):
        found = [c for sub in map(required_clauses, node.children()) if sub is not None for c in sub]
        return found or None
    return None


def pick_clauses(clauses: Iterable[frozenset[Key]], limit: int) -> list[frozenset[Key]]:
    """Return up to ``limit`` cheap clauses, preferring ones that share no key with those already picked.

    Overlapping clauses (``a OR b`` and ``a OR c``) are all met by one word, so they prune little together.
    """
    ranked = sorted(set(clauses), key=lambda c: (*clause_cost(c), sorted(c)))
    picked: list[frozenset[Key]] = []
    used: set[Key] = set()
    for clause in ranked:
        if len(picked) < limit and used.isdisjoint(clause):
            picked.append(clause)
            used |= clause
    for clause in ranked:
        if len(picked) < limit and clause not in picked:
            picked.append(clause)
    return picked


def clause_cost(clause: AbstractSet[Key]) -> tuple[int, int]:
    """Rank a clause: fewer keys usually means rarer; whole words beat prefixes, which match more."""
    return len(clause), sum(kind == "p" for kind, _ in clause)
