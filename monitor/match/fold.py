"""Tokenising and per-script folding shared by queries and documents, so both sides agree."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining marks are not \w in Python, yet Arabic harakat and decomposed Latin accents sit inside words.
_MARKS = "\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
TOKEN_RE = re.compile(rf"[\w{_MARKS}]+")

# Letter variants writers use interchangeably; applied after case folding and NFKD.
_ARABIC = {
    "\u0671": "\u0627",  # alef wasla -> alef (NFKD leaves it alone)
    "\u0629": "\u0647",  # ta marbuta -> ha
    "\u0649": "\u064a",  # alef maqsura -> ya
    "\u06cc": "\u064a",  # Farsi yeh -> ya
    "\u06a9": "\u0643",  # keheh -> kaf
    "\u0640": "",  # tatweel is decoration
}
_CYRILLIC = {"ё": "е"}

# Prefixes an Arabic word may carry: conjunction, preposition, article. "لل" is li- + al- contracted.
_CLITICS = sorted(
    {c + p + a for c in ("", "و", "ف") for p in ("", "ب", "ك", "ل") for a in ("", "ال")} | {"لل", "ولل", "فلل"},
    key=len,
    reverse=True,
)
_CLITICS.remove("")
CLITIC_START = frozenset(c[0] for c in _CLITICS)
# A stripped stem shorter than this is more likely a short word than a name behind a clitic.
_MIN_STEM = 3


def _fold_char(ch: str) -> str:
    """Fold one code point: case, then script rules (Cyrillic keeps its breve, others drop marks)."""
    low = ch.casefold()
    if any("CYRILLIC" in unicodedata.name(c, "") for c in low):
        return "".join(_CYRILLIC.get(c, c) for c in low)
    out = []
    for c in unicodedata.normalize("NFKD", low):
        if unicodedata.combining(c):
            continue
        out.append(_ARABIC.get(c, c))
    return "".join(out)


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that computes and caches each code point's folding on first use."""

    def __missing__(self, cp: int) -> str:
        folded = _fold_char(chr(cp))
        self[cp] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Return ``text`` case-folded with diacritics and script letter variants normalised."""
    return unicodedata.normalize("NFC", text).translate(_TABLE)


def tokenize(text: str) -> list[str]:
    """Return the surface words of ``text`` in order (whole ``\\w`` runs, marks included)."""
    return TOKEN_RE.findall(text)


# Folded form of every token seen lately: the same few thousand words make up most articles, and a
# dictionary lookup per word is cheaper than translating every character again. Emptied when full.
_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 1 << 17


def fold_tokens(tokens: list[str]) -> list[str]:
    """Fold each token, keeping a one-to-one correspondence with the input list."""
    if not tokens:
        return []
    new = set(tokens).difference(_FOLDED)
    if new:
        if len(_FOLDED) + len(new) > _FOLDED_MAX:
            _FOLDED.clear()
        unknown = list(new)
        # One translate call over the joined words is far cheaper than one per word; NUL folds to itself.
        _FOLDED.update(zip(unknown, fold("\x00".join(unknown)).split("\x00"), strict=True))
    try:
        return list(map(_FOLDED.__getitem__, tokens))
    except KeyError:  # emptied meanwhile by another thread: fold the whole list the slow way
        return fold("\x00".join(tokens)).split("\x00")


def analyse_words(text: str) -> list[str]:
    """Return the folded words of ``text``, dropping any that fold to nothing."""
    return [t for t in fold_tokens(tokenize(text)) if t]


@lru_cache(maxsize=65536)
def arabic_variants(token: str) -> tuple[str, ...]:
    """Return ``token`` without each clitic prefix it may carry (folded Arabic input), longest first."""
    if not token or token[0] not in CLITIC_START:
        return ()
    out = []
    for clitic in _CLITICS:
        if token.startswith(clitic) and len(token) - len(clitic) >= _MIN_STEM:
            out.append(token[len(clitic) :])
    return tuple(out)
