"""Read stored articles back for archive search, backtests and explanations.

The caller (which knows the query language) decides which rows are worth matching: FTS5 expressions,
checked in SQL, and regular expressions, searched here in the rows FTS rejects. This module never decides
what matches. On PostgreSQL the same expressions run as ``tsquery`` against the GIN index
``pg_migrations.ARTICLE_SEARCH``, whose tokenizer is measured the same way (``fts_chars``), so the caller's plan
holds for both.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import psycopg

from monitor.errors import StoreError
from monitor.store.db import Db
from monitor.store.pg_migrations import ARTICLE_SEARCH

DEFAULT_TOKENIZE = "unicode61 remove_diacritics 2"
_TOKENIZE_RE = re.compile(r"tokenize\s*=\s*'((?:[^']|'')*)'", re.IGNORECASE)
_FTS5_TERM_RE = re.compile(r'"((?:[^"]|"")*)"(\*?)')

Clause = tuple[str | None, str | None]  # (FTS5 expression, regex searched in title and text); either may hold


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """A stored article with what the live matcher saw: title, text, source name and language."""

    id: int
    url: str
    source_id: str
    title: str
    text: str
    source: str
    language: str | None
    published: str | None
    fetched_at: str | None


_COLUMNS = (
    "a.id, a.url, coalesce(a.source_id, ''), a.title, a.text, coalesce(s.name, '') AS source,"
    " a.language, a.published, a.fetched_at"
    " FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
)


def _row(row: Sequence[object]) -> StoredArticle:
    id_, url, source_id, title, text, source, language, published, fetched = row
    return StoredArticle(
        int(id_),  # type: ignore[call-overload]
        str(url),
        str(source_id),
        str(title or ""),
        str(text or ""),
        str(source or ""),
        None if language is None else str(language),
        None if published is None else str(published),
        None if fetched is None else str(fetched),
    )


def fts_tokenizer(db: Db) -> str:
    """Return the tokenizer declaration of the ``articles_fts`` index."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'").fetchone()
    if row is None:
        raise StoreError("the database has no articles_fts index")
    found = _TOKENIZE_RE.search(row[0] or "")
    return found.group(1).replace("''", "'") if found else DEFAULT_TOKENIZE


@lru_cache(maxsize=4)
def _measure(tokenize: str, chars: tuple[str, ...]) -> dict[str, str | None]:
    # A scratch in-memory index: each character between two 'q's gives one token (its fold) or two (a separator).
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{tokenize.replace(chr(39), chr(39) * 2)}')")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", [(n, f"q{c}q") for n, c in enumerate(chars, 1)])
        terms: dict[int, list[str]] = {}
        for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
            terms.setdefault(doc, []).append(term)
    finally:
        conn.close()
    out: dict[str, str | None] = {}
    for n, ch in enumerate(chars, 1):
        found = terms.get(n, [])
        one = len(found) == 1 and found[0].startswith("q") and found[0].endswith("q") and len(found[0]) >= 2
        out[ch] = found[0][1:-1] if one else None
    return out


def fts_chars(db: Db, chars: Sequence[str]) -> dict[str, str | None]:
    """Return how the archive's FTS tokenizer treats each character: its fold, or None for a separator."""
    if db.dialect == "postgresql":
        key = (db.name, tuple(chars))
        if key not in _MEASURED:
            _MEASURED[key] = _measure_pg(db, key[1])
        return _MEASURED[key]
    return _measure(fts_tokenizer(db), tuple(chars))


_MEASURED: dict[tuple[str, tuple[str, ...]], dict[str, str | None]] = {}


def _measure_pg(db: Db, chars: tuple[str, ...]) -> dict[str, str | None]:
    # The same measure as _measure, through the index's own expression: its tokens depend on the server's locale.
    expression = ARTICLE_SEARCH.replace("coalesce(title, '') || ' ' || coalesce(text, '')", "'q' || c || 'q'")
    terms: dict[int, list[str]] = {}
    for n, lexeme, count in db.execute(
        f"SELECT n, v.lexeme, cardinality(v.positions) FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS t (c, n),"
        f" unnest({expression}) AS v",
        [list(chars)],
    ):
        terms.setdefault(int(n), []).extend([str(lexeme)] * int(count))
    out: dict[str, str | None] = {}
    for n, ch in enumerate(chars, 1):
        found = terms.get(n, [])
        one = len(found) == 1 and found[0].startswith("q") and found[0].endswith("q") and len(found[0]) >= 2
        out[ch] = found[0][1:-1] if one else None
    return out


def tsquery(expression: str) -> str:
    """Return the FTS5 expression of a plan (``"key"`` and ``"prefix"*`` terms joined by OR) as a ``tsquery``."""
    terms = []
    for word, prefix in _FTS5_TERM_RE.findall(expression):
        lexeme = word.replace('""', '"').replace("\\", "\\\\").replace("'", "''")
        terms.append(f"'{lexeme}'" + (":*" if prefix else ""))
    if not terms:
        raise StoreError(f"archive search: no terms in {expression!r}")
    return " | ".join(terms)


def _select(
    db: Db, since: datetime | None, clauses: Sequence[Clause], newest_first: bool
) -> tuple[str, list[object], list[re.Pattern[str] | None]]:
    """Return the SQL (one 0/1 column per clause: its FTS expression holds), its parameters, the clause regexes."""
    params: list[object] = []
    flags = []
    for expression, _ in clauses:
        if expression is None:
            flags.append(", 0")
        elif db.dialect == "postgresql":
            flags.append(f", a.id IN (SELECT id FROM articles WHERE {ARTICLE_SEARCH} @@ CAST(? AS tsquery))")
            params.append(tsquery(expression))
        else:
            flags.append(", a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(expression)
    where = ""
    if since is not None:
        where = " WHERE a.fetched_at >= ?"
        params.append(since.isoformat())
    order = "DESC" if newest_first else "ASC"
    sql = f"SELECT {_COLUMNS.replace(' FROM ', ''.join(flags) + ' FROM ', 1)}{where} ORDER BY a.id {order}"
    return sql, params, [None if regex is None else re.compile(regex) for _, regex in clauses]


def count_articles(db: Db, *, since: datetime | None = None) -> int:
    """Return how many articles were stored at or after ``since`` (all when None)."""
    if since is None:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    return int(db.execute("SELECT count(*) FROM articles WHERE fetched_at >= ?", [since.isoformat()]).fetchone()[0])


def iter_articles(
    db: Db,
    *,
    since: datetime | None = None,
    exotic: Sequence[str] = (),
    clauses: Sequence[Clause] = (),
    newest_first: bool = False,
    on_row: Callable[[], None] | None = None,
    batch: int = 500,
) -> Iterator[StoredArticle]:
    """Yield stored articles fetched at or after ``since`` that pass the filter, oldest (or newest) first.

    With no clauses every article passes. Otherwise an article passes when one of the ``exotic`` regexes is
    found in its title or text, or when every clause holds: its FTS expression matches the article's FTS
    row, or its regex is found in the title or text. ``on_row`` is called for every article examined.
    """
    sql, params, regexes = _select(db, since, clauses, newest_first)
    odd = [re.compile(pattern) for pattern in exotic]
    width = 9  # the article columns before the clause flags
    cursor = db.stream(sql, params)
    try:
        while rows := cursor.fetchmany(batch):
            for row in rows:
                if on_row is not None:
                    on_row()
                if clauses and not _passes(row, width, regexes, odd):
                    continue
                yield _row(row[:width])
    except (sqlite3.Error, psycopg.Error) as exc:
        raise StoreError(f"archive query failed: {exc}") from exc
    finally:
        cursor.close()


def _passes(
    row: Sequence[object], width: int, regexes: list[re.Pattern[str] | None], odd: list[re.Pattern[str]]
) -> bool:
    title, text = str(row[3] or ""), str(row[4] or "")
    for flag, regex in zip(row[width:], regexes, strict=True):
        if not flag and not (regex is not None and (regex.search(title) or regex.search(text))):
            break
    else:
        return True
    return any(pattern.search(title) or pattern.search(text) for pattern in odd)


def get_article(db: Db, article_id: int) -> StoredArticle | None:
    """Return the stored article with ``article_id``, if any."""
    row = db.execute(f"SELECT {_COLUMNS} WHERE a.id = ?", [article_id]).fetchone()
    return None if row is None else _row(row)
