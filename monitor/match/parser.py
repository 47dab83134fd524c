"""Recursive-descent parser: query tokens to a ``Node`` tree, aliases expanded, fields applied.

Precedence, loosest first: ``OR``; ``AND`` (explicit or implicit); ``NEAR/n``; ``NOT`` and ``-``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.errors import QueryError
from monitor.match.document import TEXT, TITLE
from monitor.match.fold import analyse_words, fold
from monitor.match.lexer import Lexer, Token
from monitor.match.nodes import And, Meta, Near, Node, Not, Or, Phrase, Word

MIN_PREFIX = 3
_STARTS_OPERAND = frozenset({"WORD", "PHRASE", "ALIAS", "FIELD", "LP", "NOT", "MINUS"})
_TEXT_FIELDS = {None: (TITLE, TEXT), "title": (TITLE,), "text": (TEXT,)}


class Parser:
    """Parse one topic query against the topic's alias table."""

    def __init__(self, query: str, aliases: Mapping[str, Sequence[str]], source: str | None) -> None:
        self.lexer = Lexer(query, source)
        self.aliases = {fold(name): tuple(entries) for name, entries in aliases.items()}
        self.toks = self.lexer.tokens()
        self.i = 0
        self.field: str | None = None
        # The same term written twice (an alias used in two places, say) is one term: one id, scored once.
        self.leaves: dict[tuple[tuple[Word, ...], tuple[int, ...], int], int] = {}

    def parse(self) -> Node:
        """Return the whole query's tree."""
        if self.toks[0].kind == "END":
            raise self.lexer.error("the query is empty", 0)
        node = self._or()
        tok = self.toks[self.i]
        if tok.kind == "RP":
            raise self.lexer.error("unexpected ')' without a matching '('", tok.pos)
        if tok.kind != "END":  # pragma: no cover - every other token starts or joins an operand
            raise self.lexer.error(f"unexpected {tok.describe()}", tok.pos)
        if not any(isinstance(n, Phrase) for n in _positive(node)):
            raise self.lexer.error("the query has no word to match outside NOT (nothing could score)", 0)
        return node

    def _next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _or(self) -> Node:
        items = [self._and()]
        while self.toks[self.i].kind == "OR":
            self._operand_follows(self._next())
            items.append(self._and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _and(self) -> Node:
        items = [self._near()]
        while True:
            kind = self.toks[self.i].kind
            if kind == "AND":
                self._operand_follows(self._next())
            elif kind not in _STARTS_OPERAND:
                break
            items.append(self._near())
        return items[0] if len(items) == 1 else And(tuple(items))

    def _near(self) -> Node:
        node = self._unary()
        while self.toks[self.i].kind == "NEAR":
            op = self._next()
            self._operand_follows(op)
            right = self._unary()
            for side in (node, right):
                for sub in side.walk():
                    if isinstance(sub, (Not, Meta)):
                        what = "NOT" if isinstance(sub, Not) else f"{sub.field}:"
                        raise self.lexer.error(f"NEAR needs words or phrases on both sides, not {what}", op.pos)
            node = Near(node, right, op.number)
        return node

    def _unary(self) -> Node:
        if self.toks[self.i].kind in ("NOT", "MINUS"):
            self._operand_follows(self._next())
            return Not(self._unary())
        return self._primary()

    def _operand_follows(self, op: Token) -> None:
        """Fail unless the token after operator ``op`` can start an operand."""
        tok = self.toks[self.i]
        if tok.kind not in _STARTS_OPERAND:
            raise self.lexer.error(f"expected a term after {op.describe()} but found {tok.describe()}", tok.pos)

    def _primary(self) -> Node:
        tok = self._next()
        if tok.kind == "FIELD":
            if self.field is not None:
                raise self.lexer.error(f"field '{tok.text}:' inside field '{self.field}:'", tok.pos)
            self._operand_follows(Token("FIELD", f"{tok.text}:", tok.pos))
            self.field = tok.text
            try:
                return self._unary()
            finally:
                self.field = None
        if tok.kind == "LP":
            node = self._or()
            close = self._next()
            if close.kind != "RP":
                where = "the query ended" if close.kind == "END" else f"found {close.describe()}"
                raise self.lexer.error(f"expected ')' to close the '(' at {tok.pos} but {where}", close.pos)
            return node
        if tok.kind == "WORD":
            return self._leaf(tok.text, 0, tok.pos)
        if tok.kind == "PHRASE":
            return self._leaf(tok.text, tok.number, tok.pos, inner=1)
        if tok.kind == "ALIAS":
            return self._alias(tok)
        if self.i == 1:
            raise self.lexer.error(f"expected a term at the start of the query but found {tok.describe()}", tok.pos)
        raise self.lexer.error(f"expected a term but found {tok.describe()}", tok.pos)

    def _alias(self, tok: Token) -> Node:
        entries = self.aliases.get(fold(tok.text))
        if entries is None:
            known = ", ".join(f"@{n}" for n in sorted(self.aliases)) or "none"
            raise self.lexer.error(f"unknown alias '@{tok.text}' (this topic defines: {known})", tok.pos)
        if not entries:
            raise self.lexer.error(f"alias '@{tok.text}' has no entries", tok.pos)
        items = []
        for entry in entries:
            text = entry.strip()
            if len(text) > 1 and text[0] == text[-1] == '"':
                text = text[1:-1]
            try:
                items.append(self._leaf(text, 0, tok.pos, inner=None))
            except QueryError as exc:
                raise self.lexer.error(f"alias '@{tok.text}' entry '{entry}': {exc.message}", tok.pos) from None
        return items[0] if len(items) == 1 else Or(tuple(items), label=f"@{tok.text}")

    def _leaf(self, text: str, slop: int, pos: int, inner: int | None = 0) -> Node:
        """Build a term, phrase or metadata clause; ``inner`` is where ``text`` starts after ``pos``."""
        prefix = text.endswith("*")
        stem = text[:-1] if prefix else text
        star = stem.find("*")
        if star >= 0:
            at = pos if inner is None else pos + inner + star
            raise self.lexer.error("wildcard '*' is only allowed at the end of a word", at)
        words = analyse_words(stem)
        if not words:
            raise self.lexer.error(f"'{text}' has no letters or digits to match", pos)
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise self.lexer.error(f"a wildcard needs at least {MIN_PREFIX} letters before '*'", pos)
        built = tuple(Word(w, prefix and i == len(words) - 1) for i, w in enumerate(words))
        if self.field in ("source", "lang"):
            return Meta(self.field, built)
        fields = _TEXT_FIELDS[self.field]
        leaf = self.leaves.setdefault((built, fields, slop), len(self.leaves) + 1)
        return Phrase(built, fields, leaf, slop)


def _positive(node: Node) -> list[Node]:
    """Return the nodes reachable without passing through a NOT."""
    if isinstance(node, Not):
        return []
    out = [node]
    for child in node.children():
        out.extend(_positive(child))
    return out


# The parser and every walk over the tree recurse once per level: bound the nesting so that a query such as
# 5,000 "(" fails with a QueryError instead of a RecursionError (found by tests/hostile).
MAX_NESTING = 100


def parse_query(query: str, aliases: Mapping[str, Sequence[str]], source: str | None = None) -> Node:
    """Parse ``query`` into a tree, raising ``QueryError`` with position and what was expected."""
    parser = Parser(query, aliases, source)
    depth = negations = 0
    for tok in parser.toks:
        depth += (tok.kind == "LP") - (tok.kind == "RP" and depth > 0)
        negations = negations + 1 if tok.kind in ("NOT", "MINUS") else 0
        if depth + negations > MAX_NESTING:
            raise parser.lexer.error(f"nested more than {MAX_NESTING} levels deep", tok.pos)
    return parser.parse()
