"""Split a query string into tokens, each with its position, for the parser."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.errors import QueryError

FIELD_NAMES = ("title", "text", "source", "lang")
_OPERATORS = {"AND", "OR", "NOT"}
_STOP = frozenset(' \t\r\n()"')
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_NEAR_RE = re.compile(r"NEAR(?:/(\d+))?$")
_ALIAS_RE = re.compile(r"[\w-]+")
_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Token:
    """A lexical token: ``kind`` is WORD, PHRASE, ALIAS, FIELD, AND, OR, NOT, NEAR, MINUS, LP, RP or END."""

    kind: str
    text: str
    pos: int
    number: int = 0  # NEAR distance or phrase slop

    def describe(self) -> str:
        """Return how an error message names this token."""
        return "the end of the query" if self.kind == "END" else f"'{self.text}'"


class Lexer:
    """Tokenise one query; errors carry the query and its origin."""

    def __init__(self, query: str, source: str | None) -> None:
        self.query = query
        self.source = source

    def error(self, message: str, pos: int) -> QueryError:
        """Build a ``QueryError`` for this query."""
        return QueryError(message, query=self.query, position=pos, source=self.source)

    def tokens(self) -> list[Token]:
        """Return every token, ending with an END token."""
        q, i, out = self.query, 0, []
        while i < len(q):
            ch = q[i]
            if ch.isspace():
                i += 1
            elif ch in "()":
                out.append(Token("LP" if ch == "(" else "RP", ch, i))
                i += 1
            elif ch == '"':
                i = self._phrase(i, out)
            elif ch == "@":
                m = _ALIAS_RE.match(q, i + 1)
                if not m:
                    raise self.error("expected an alias name after '@'", i)
                out.append(Token("ALIAS", m.group(), i))
                i = m.end()
            elif ch == "-":
                if i + 1 >= len(q) or q[i + 1] in _STOP:
                    raise self.error("expected a term right after '-'", i)
                out.append(Token("MINUS", "-", i))
                i += 1
            else:
                i = self._run(i, out)
        out.append(Token("END", "", len(q)))
        return out

    def _phrase(self, i: int, out: list[Token]) -> int:
        """Lex a quoted phrase with an optional ``~slop``; return the next index."""
        q = self.query
        close = q.find('"', i + 1)
        if close < 0:
            raise self.error("expected a closing '\"' but the query ended", len(q))
        text = q[i + 1 : close]
        if not text.strip():
            raise self.error("empty phrase: expected words between the quotes", i)
        j, slop = close + 1, 0
        if j < len(q) and q[j] == "~":
            m = _DIGITS_RE.match(q, j + 1)
            if not m:
                raise self.error("expected a number after '~', e.g. \"naval base\"~3", j + 1)
            slop, j = int(m.group()), m.end()
        out.append(Token("PHRASE", text, i, slop))
        return j

    def _run(self, i: int, out: list[Token]) -> int:
        """Lex a bare word, operator or ``field:`` prefix; return the next index."""
        q, j = self.query, i
        while j < len(q) and q[j] not in _STOP:
            j += 1
        run = q[i:j]
        field = _FIELD_RE.match(run)
        if field:
            name = field.group(1)
            if name.lower() not in FIELD_NAMES:
                raise self.error(f"unknown field '{name}:' (expected one of title:, text:, source:, lang:)", i)
            out.append(Token("FIELD", name.lower(), i))
            return i + field.end()
        if run in _OPERATORS:
            out.append(Token(run, run, i))
        elif run == "NEAR" or run.startswith("NEAR/"):
            m = _NEAR_RE.match(run)
            if not m or m.group(1) is None:
                raise self.error("expected 'NEAR/n' with a number of words, e.g. NEAR/10", i)
            distance = int(m.group(1))
            if distance < 1:
                raise self.error("NEAR distance must be at least 1 word", i)
            out.append(Token("NEAR", run, i, distance))
        else:
            out.append(Token("WORD", run, i))
        return j
