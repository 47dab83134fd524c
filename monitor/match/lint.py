"""Likely mistakes in a topic query that still parses: `monitor check` prints them as warnings (pure).

The query language reads only upper-case ``AND``/``OR``/``NOT``/``NEAR/n`` as operators, so a lower-case
``and`` is a word to match: ``@russia and @bases`` then needs the English word "and" in every article, and
silently drops the Russian and Arabic ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from monitor.errors import QueryError
from monitor.match.fold import fold
from monitor.match.lexer import Lexer, Token
from monitor.models import Topic

_OPERATOR_WORDS = re.compile(r"(and|or|not|near(/\d+)?)", re.IGNORECASE)
_ENDS_OPERAND = frozenset({"WORD", "PHRASE", "ALIAS", "RP"})
_STARTS_OPERAND = frozenset({"WORD", "PHRASE", "ALIAS", "FIELD", "LP", "MINUS"})
_CURLY_QUOTES = "“”„«»‘’"


def query_warnings(query: str, aliases: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Return a warning for each likely mistake in a query that parses, naming its position and the fix."""
    try:
        tokens = Lexer(query, None).tokens()
    except QueryError:
        return []  # not parseable: `check` reports the error itself
    warnings = [
        _operator_warning(tok)
        for before, tok, after in zip([None, *tokens], tokens, tokens[1:], strict=False)
        if _looks_like_operator(before, tok, after)
    ]
    for tok in tokens:
        if tok.kind == "WORD" and any(q in tok.text for q in _CURLY_QUOTES):
            warnings.append(
                f"position {tok.pos}: {tok.text!r} has typographic quotes, matched as part of the word; "
                'write a phrase with straight quotes: "naval base"'
            )
    used = {fold(tok.text) for tok in tokens if tok.kind == "ALIAS"}
    warnings += [
        f"alias '{name}' is defined but the query never uses it (did you mean to write @{name}?)"
        for name in aliases or {}
        if fold(name) not in used
    ]
    return warnings


def _looks_like_operator(before: Token | None, tok: Token, after: Token) -> bool:
    if tok.kind != "WORD" or not _OPERATOR_WORDS.fullmatch(tok.text) or tok.text.isupper():
        return False
    follows = after.kind in _STARTS_OPERAND
    if tok.text.lower() == "not":  # "not" starts a clause: at the start of the query or after an operand
        return follows
    return follows and before is not None and before.kind in _ENDS_OPERAND


def _operator_warning(tok: Token) -> str:
    upper = tok.text.upper()
    if upper.startswith("NEAR"):
        fix = f"{upper if '/' in upper else 'NEAR/10'} (terms within that many words), or a phrase in quotes"
    else:
        fix = upper
    return (
        f"position {tok.pos}: {tok.text!r} between terms is matched as the word {tok.text!r}, not as an operator "
        f"(operators are upper-case): did you mean {fix}?"
    )


def _aliases_in(query: str) -> set[str]:
    """Return the folded alias names ``query`` uses (none when it does not parse)."""
    try:
        return {fold(tok.text) for tok in Lexer(query, None).tokens() if tok.kind == "ALIAS"}
    except QueryError:
        return set()


def topic_warnings(topics: Sequence[Topic]) -> list[str]:
    """Return ``origin: topic id: warning`` for every likely mistake in these topics' queries (and ``must`` guards)."""
    found = []
    for topic in topics:
        must = topic.semantic.must if topic.semantic is not None else None
        # An alias that only the must guard uses is used.
        guard = _aliases_in(must) if must else set()
        aliases = {name: entries for name, entries in topic.aliases.items() if fold(name) not in guard}
        warnings = query_warnings(topic.query, aliases)
        warnings += [f"must: {w}" for w in query_warnings(must)] if must else []
        found += [f"{topic.origin or topic.id}: topic {topic.id!r}: {warning}" for warning in warnings]
    return found
