"""What our sources delivered, for ``monitor coverage``: outlets of stored articles and of a topic's hits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from monitor.store.db import Db


def known_outlets(db: Db) -> set[str]:
    """Return every outlet we ever stored an article from."""
    return {str(row[0]) for row in db.execute("SELECT DISTINCT outlet FROM story_articles").fetchall()}


def topic_outlets(db: Db, topic_id: str, since: datetime) -> dict[str, int]:
    """Return the outlets of a topic's hits since ``since``, with their number of articles."""
    rows = db.execute(
        "SELECT sa.outlet, count(*) FROM hits h JOIN story_articles sa ON sa.article_id = h.article_id"
        " WHERE h.topic_id = ? AND h.created_at >= ? GROUP BY sa.outlet ORDER BY count(*) DESC, sa.outlet",
        [topic_id, since.isoformat()],
    ).fetchall()
    return {str(outlet): int(count) for outlet, count in rows}


def stored_url_keys(db: Db, keys: Iterable[str]) -> set[str]:
    """Return those of ``keys`` that belong to a stored article."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(f"SELECT url_key FROM story_articles WHERE url_key IN ({marks})", chunk).fetchall()
        found.update(str(row[0]) for row in rows)
    return found
