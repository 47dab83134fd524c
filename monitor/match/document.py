"""An article analysed once per match call: folded word positions per field, shared by every topic."""

from __future__ import annotations

import re
from functools import lru_cache

from monitor.match.fold import CLITIC_START, TOKEN_RE, analyse_words, arabic_variants, fold, fold_tokens, tokenize
from monitor.models import MatchDocument

TITLE = 0
TEXT = 1
FIELDS = (TITLE, TEXT)
# Prefix keys longer than this add no selectivity to the index and only multiply lookups.
PREFIX_KEY_LEN = 6
_SPAN = re.Match.span
# Every character that may fold to an Arabic letter (the Arabic blocks, presentation forms, mathematical
# letters): a text without any has no word behind a clitic, and skips looking for them word by word.
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff\U0001ee00-\U0001eeff]")
# The same few names recur in hit after hit and document after document: fold each multi-word span once.
_fold = lru_cache(maxsize=1 << 16)(fold)


def _index(folded: list[str], arabic: bool) -> dict[str, list[int]]:
    """Map each folded word (and, when the text is ``arabic``, its clitic-free forms) to its positions."""
    index: dict[str, list[int]] = {}
    get = index.get
    for pos, word in enumerate(folded):
        found = get(word)
        if found is None:
            index[word] = [pos]
        else:
            found.append(pos)
    index.pop("", None)
    for word in [w for w in index if w[0] in CLITIC_START] if arabic else ():
        for variant in arabic_variants(word):
            index[variant] = sorted({*index.get(variant, ()), *index[word]})
    return index


def _with_variants(words: set[str], arabic: bool) -> set[str]:
    """Return ``words`` plus, when the text is ``arabic``, the clitic-free forms of the Arabic ones."""
    words.discard("")
    if arabic:
        words.update([v for w in words if w[0] in CLITIC_START for v in arabic_variants(w)])
    return words


class AnalysedDocument:
    """Folded, position-indexed title and text of one ``MatchDocument``."""

    __slots__ = (
        "_arabic", "_folded", "_indexes", "_prefix_cache", "_prefix_groups", "_prefixes", "_spans",
        "_vocab", "cuts",
        "doc", "folded_surfaces", "lang", "source_words", "texts",
    )  # fmt: skip

    def __init__(self, doc: MatchDocument) -> None:
        self.doc = doc
        self.texts = (doc.title or "", doc.text or "")
        self._folded = tuple(fold_tokens(tokenize(t)) for t in self.texts)
        self._arabic = any(_ARABIC_RE.search(t) for t in self.texts)
        self._indexes: tuple[dict[str, list[int]], ...] | None = None
        self.source_words = tuple(analyse_words(doc.source or ""))
        self.lang = (doc.language or "").lower().replace("_", "-").split("-")[0]
        self._prefix_cache: dict[str, tuple[list[int], ...]] = {}
        self._spans: dict[int, list[tuple[int, int]]] = {}
        self.cuts: dict[tuple[int, int], str] = {}  # snippet text per (first, last) character of the body
        self.folded_surfaces: dict[tuple[int, int, int], tuple[str, str]] = {}  # (field, first, last) word
        self._vocab: set[str] | None = None
        self._prefixes: dict[int, set[str]] = {}
        self._prefix_groups: dict[int, dict[str, list[str]]] = {}  # prefix length -> prefix -> words

    @property
    def indexes(self) -> tuple[dict[str, list[int]], ...]:
        """Return the word-to-positions map of title and text, built on first use."""
        # Built lazily: the prefilter needs only the vocabulary, and most documents match no topic.
        if self._indexes is None:
            self._indexes = tuple(_index(f, self._arabic) for f in self._folded)
        return self._indexes

    def vocabulary(self) -> set[str]:
        """Return every folded word of title and text, with Arabic clitic-free forms (shared: do not modify)."""
        if self._vocab is None:
            self._vocab = _with_variants(set(self._folded[TITLE]).union(self._folded[TEXT]), self._arabic)
        return self._vocab

    def prefixes(self, length: int) -> set[str]:
        """Return the first ``length`` characters of every word as long (with clitic-free forms; shared)."""
        found = self._prefixes.get(length)
        if found is None:
            # A shorter word is its own "prefix" here and can equal no ``length``-character prefix: no filter.
            found = self._prefixes[length] = {w[:length] for w in self.vocabulary()}
        return found

    def has_prefix(self, prefix: str) -> bool:
        """Return whether any word of title or text (or its clitic-free form) starts with ``prefix``."""
        return prefix in self.prefixes(len(prefix))

    def positions(self, word: str, prefix: bool, field: int) -> list[int]:
        """Return the sorted positions in ``field`` of ``word`` (or of any word starting with it)."""
        if prefix:
            return self.prefix_positions(word)[field]
        return self.indexes[field].get(word, [])

    def prefix_positions(self, prefix: str) -> tuple[list[int], ...]:
        """Return, per field, the sorted positions of the words starting with ``prefix`` (shared: do not modify)."""
        found = self._prefix_cache.get(prefix)
        if found is None:
            found = self._prefix_cache[prefix] = tuple(self._scan_prefix(field, prefix) for field in FIELDS)
        return found

    def _scan_prefix(self, field: int, prefix: str) -> list[int]:
        index = self.indexes[field]
        groups = self._prefix_groups.get(len(prefix))
        if groups is None:
            groups = self._prefix_groups[len(prefix)] = {}
            for word in self.vocabulary():
                if len(word) >= len(prefix):
                    groups.setdefault(word[: len(prefix)], []).append(word)
        found = [positions for positions in map(index.get, groups.get(prefix, ())) if positions]
        if len(found) < 2:
            return found[0] if found else []
        return sorted({p for positions in found for p in positions})

    def spans(self, field: int) -> list[tuple[int, int]]:
        """Return the character span of every word of ``field``, by word position (shared: do not modify)."""
        spans = self._spans.get(field)
        if spans is None:  # only documents with a hit need character offsets
            spans = self._spans[field] = list(map(_SPAN, TOKEN_RE.finditer(self.texts[field])))
        return spans

    def folded_surface(self, field: int, start: int, end: int) -> tuple[str, str]:
        """Return the folded form and the original text of words ``start`` to ``end`` (memoised per place)."""
        surface = self.surface(field, start, end)
        # One word folds as it did when the document was analysed; a span between words keeps their separators.
        folded = self._folded[field][start] if start == end else _fold(surface)
        found = self.folded_surfaces[field, start, end] = (folded, surface)
        return found

    def surface(self, field: int, start: int, end: int) -> str:
        """Return the original text from word ``start`` to word ``end`` inclusive."""
        spans = self.spans(field)
        return self.texts[field][spans[start][0] : spans[end][1]]
