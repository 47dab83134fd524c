"""Lead vectors of articles with hits (headline + lead, float32 little-endian), for stories across languages.

Only articles that hit a topic are kept: a story joins across languages to stop a second alert, and an article
without hits never alerted. The window query is one index range scan on the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.store.db import Db

# Articles with hits inside a ±12 h window: a few hundred on a busy install; past this the newest are kept.
MAX_CANDIDATES = 2000


@dataclass(frozen=True, slots=True)
class VectorRow:
    """A stored article's lead vector with its language, time, story and the topics it hit."""

    article_id: int
    story_id: int
    language: str
    at: datetime
    topics: frozenset[str]
    vector: bytes


def _stamp(at: datetime) -> str:
    """Return ``at`` as a UTC ISO string to the second: stored and compared as text, so one format for all."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


def save_vector(db: Db, article_id: int, language: str, at: datetime, vector: bytes) -> None:
    """Store (or replace) the lead vector of ``article_id``, in ``language``, published at ``at``."""
    db.execute(
        "INSERT INTO article_vectors (article_id, language, published_at, vector) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (article_id) DO UPDATE SET language = excluded.language,"
        " published_at = excluded.published_at, vector = excluded.vector",
        [article_id, language, _stamp(at), vector],
    )


def vectors_between(db: Db, since: datetime, until: datetime, *, limit: int = MAX_CANDIDATES) -> list[VectorRow]:
    """Return the vectors of articles in a story published from ``since`` to ``until``, newest first, with their
    topics hit."""
    rows = db.execute(
        "SELECT v.article_id, sa.story_id, v.language, v.published_at, v.vector FROM article_vectors v"
        " JOIN story_articles sa ON sa.article_id = v.article_id"
        " WHERE v.published_at >= ? AND v.published_at <= ? ORDER BY v.published_at DESC, v.article_id DESC LIMIT ?",
        [_stamp(since), _stamp(until), limit],
    ).fetchall()
    if not rows:
        return []
    topics: dict[int, set[str]] = {}
    ids = [int(r[0]) for r in rows]
    for start in range(0, len(ids), 500):  # bounded parameter lists: SQLite's limit and PostgreSQL's plan cache
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for article_id, topic_id in db.execute(
            f"SELECT article_id, topic_id FROM hits WHERE article_id IN ({marks})", chunk
        ).fetchall():
            topics.setdefault(int(article_id), set()).add(topic_id)
    return [
        VectorRow(int(a), int(s), lang, datetime.fromisoformat(at), frozenset(topics.get(int(a), ())), bytes(vector))
        for a, s, lang, at, vector in rows
    ]
