"""Plan an archive search: an FTS5 candidate prefilter that provably never drops a hit of the live matcher.

SQLite's ``unicode61 remove_diacritics 2`` tokenizer does not fold like we do (it keeps ``ё``, ``ة``, ``أ``
and tatweel, splits words at Arabic harakat, knows no Arabic clitics, no NFKC), so FTS5 alone would miss
true hits. The plan therefore has two parts, both built from the tokenizer's measured per-character
behaviour (``fts_chars``: each character → its FTS fold, or ``None`` when FTS treats it as a separator):

1. **Plain documents.** ``W`` is the set of characters on which FTS agrees with us: (a) a word character
   for both, with ``fts(c) == fts(fold(c))`` and ``fold(c)`` at most one character; (b) a separator for
   both; or (c) a word character for us, a separator for FTS, folding to characters outside the safe
   alphabet ``S`` (ASCII letters and digits, basic Cyrillic). No combining marks, NFC-stable. In a document
   made only of ``W`` characters, every word of ours that folds to a string of ``S`` (or starts with one) is
   exactly one FTS token, whose FTS fold is the FTS fold of our folded word. So a key in ``S*`` that we find,
   FTS finds too, given as ``"key"`` (or ``"key"*``). Any other document is **exotic** and always scanned.
2. **Keys FTS cannot express** (Arabic, whose clitics we strip; other scripts): a matching word must contain
   a character whose fold leaves ``S``, so the clause is widened to "or the document contains such a
   character" (a regular expression), instead of giving up the whole prefilter.

One more trap: ``وtartus`` is indexed by us as ``tartus`` too (clitic stripped). Documents where an Arabic
clitic letter touches a letter folding into ``S`` are exotic as well.

Every candidate is then confirmed by the compiled matcher, so the plan only decides what is matched. The
character tests are Python regular expressions run on the rows FTS rejects: SQLite's GLOB scans a whole
character class per character, which made them slower than matching everything.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from monitor.match.fold import _CLITICS, TOKEN_RE, fold
from monitor.match.matcher import CompiledTopic
from monitor.match.nodes import Key, required_clauses

# The characters we ask FTS about; anything else makes a document exotic (always scanned).
CANDIDATE_RANGES = (
    (0x09, 0x0D),
    (0x20, 0x24F),  # ASCII, Latin-1, Latin Extended-A/B
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x600, 0x6FF),  # Arabic
    (0x2000, 0x206F),  # general punctuation: dashes, quotes, ellipsis
    (0x20A0, 0x20BF),  # currency signs
)
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789" + "".join(map(chr, range(0x430, 0x450))))
_CLITIC_LETTERS = frozenset("".join(_CLITICS))


def candidate_chars() -> list[str]:
    """Return the characters whose FTS behaviour the plan needs."""
    return [chr(cp) for lo, hi in CANDIDATE_RANGES for cp in range(lo, hi + 1)]


@dataclass(frozen=True, slots=True)
class Alphabet:
    """What the FTS tokenizer and our folding agree on, as regular expressions and the safe query alphabet."""

    exotic: tuple[str, ...]  # a document in which any of these is found is always matched
    unsafe: str | None  # found in any plain document a non-``S`` key can match (None: no document can)
    safe: frozenset[str]


@dataclass(frozen=True, slots=True)
class Plan:
    """How to find the candidates of one query: every clause must hold, unless the document is exotic.

    Each clause is ``(fts_expression or None, regex or None)``: the document's FTS row matches the
    expression, or the regex is found in its title or text; ``(None, None)`` never holds. No clauses:
    every document is a candidate.
    """

    exotic: tuple[str, ...]
    clauses: tuple[tuple[str | None, str | None], ...]


def _word(ch: str) -> bool:
    return TOKEN_RE.fullmatch(ch) is not None


def build_alphabet(fts_chars: Mapping[str, str | None]) -> Alphabet:
    """Derive the plain-document alphabet and the regexes from the tokenizer's per-character behaviour."""
    safe = frozenset(c for c in _SAFE if _word(c) and fts_chars.get(c) is not None and fold(c) == c)

    def fts_of(text: str) -> str | None:
        parts = [fts_chars.get(c) for c in text]
        return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)

    plain: set[str] = set()
    unsafe: set[str] = set()  # word characters folding outside the safe alphabet
    clitic: set[str] = set()  # may be an Arabic clitic letter once folded
    starts_safe: set[str] = set()  # may start a word folding into the safe alphabet
    for ch, theirs in fts_chars.items():
        if unicodedata.category(ch).startswith("M") or unicodedata.normalize("NFC", ch) != ch:
            continue
        ours = fold(ch)
        if not _word(ch):
            if theirs is None:
                plain.add(ch)  # (b) a separator for both
            continue
        if theirs is not None and len(ours) <= 1 and fts_of(ours) == theirs:
            plain.add(ch)  # (a)
        elif theirs is None and ours and not set(ours) & safe:
            plain.add(ch)  # (c)
        else:
            continue
        if set(ours) - safe:
            unsafe.add(ch)
        if ours in _CLITIC_LETTERS:
            clitic.add(ch)
        if not ours or ours[0] in safe:
            starts_safe.add(ch)
    exotic = [f"[^{regex_class(plain)}]"]
    if clitic and starts_safe:
        exotic.append(f"[{regex_class(clitic)}][{regex_class(starts_safe)}]")
    return Alphabet(exotic=tuple(exotic), unsafe=f"[{regex_class(unsafe)}]" if unsafe else None, safe=safe)


def regex_class(chars: Iterable[str]) -> str:
    """Return the body of a regex ``[...]`` class matching exactly ``chars``, as ``\\uXXXX`` ranges."""
    points = sorted(set(map(ord, chars)))
    if not points:
        raise ValueError("a character class needs at least one member")
    body: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        body.append(_escape(points[i]) if i == j else f"{_escape(points[i])}-{_escape(points[j])}")
        i = j + 1
    return "".join(body)


def _escape(point: int) -> str:
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def _fts_key(key: Key, safe: frozenset[str]) -> str | None:
    kind, text = key
    if not text or not set(text) <= safe:
        return None
    return f'"{text}"*' if kind == "p" else f'"{text}"'


def plan_query(compiled: CompiledTopic, alphabet: Alphabet) -> Plan:
    """Return the candidate plan of one compiled query (see the module docstring for why it is sound)."""
    clauses = required_clauses(compiled.root) or []
    out: dict[tuple[str | None, str | None], None] = {}
    for clause in clauses:
        expressions = sorted({_fts_key(key, alphabet.safe) or "" for key in clause})
        regex = alphabet.unsafe if "" in expressions else None
        fts = " OR ".join(e for e in expressions if e) or None
        out[(fts, regex)] = None
    return Plan(alphabet.exotic, tuple(out))


@lru_cache(maxsize=8)
def _cached_alphabet(items: tuple[tuple[str, str | None], ...]) -> Alphabet:
    return build_alphabet(dict(items))


def alphabet_for(fts_chars: Mapping[str, str | None]) -> Alphabet:
    """Return ``build_alphabet(fts_chars)``, computed once per distinct tokenizer behaviour."""
    return _cached_alphabet(tuple(sorted(fts_chars.items())))
