"""Story reads: a story's outlets, the story an alert belongs to, and the listing behind ``monitor stories``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from monitor.models import StoryRef
from monitor.store.db import Db
from monitor.store.deliveries import PendingDelivery


def outlets_of(db: Db, story_id: int) -> list[str]:
    """Return the distinct outlets of a story, in the order they joined it."""
    rows = db.execute(
        "SELECT outlet FROM story_articles WHERE story_id = ? GROUP BY outlet ORDER BY min(joined_at), min(article_id)",
        [story_id],
    ).fetchall()
    return [r[0] for r in rows]


def story_id_of(db: Db, article_id: int) -> int | None:
    """Return the story an article belongs to (None before stories existed, see `monitor stories backfill`)."""
    value = db.scalar("SELECT story_id FROM story_articles WHERE article_id = ?", [article_id])
    return None if value is None else int(value)


def unstoried_articles(db: Db, *, after_id: int = 0, limit: int = 500) -> list[tuple[int, str, str, str]]:
    """Return (id, url, text, fetched_at) of articles in no story (stored before stories existed), oldest first."""
    rows = db.execute(
        "SELECT a.id, a.url, a.text, a.fetched_at FROM articles a LEFT JOIN story_articles sa ON sa.article_id = a.id"
        " WHERE sa.article_id IS NULL AND a.id > ? ORDER BY a.id LIMIT ?",
        [after_id, limit],
    ).fetchall()
    return [(int(i), u, t or "", f or "") for i, u, t, f in rows]


def story_ref(db: Db, article_url: str, delivery_id: int | None = None) -> StoryRef | None:
    """Return the story of the article at ``article_url`` as alerts show it (None if it is in no story)."""
    row = db.execute(
        "SELECT sa.story_id FROM articles a JOIN story_articles sa ON sa.article_id = a.id WHERE a.url = ?",
        [article_url],
    ).fetchone()
    if row is None:
        return None
    story_id = int(row[0])
    size = db.execute("SELECT count(*) FROM story_articles WHERE story_id = ?", [story_id]).fetchone()[0]
    update = (
        delivery_id is not None
        and db.execute("SELECT 1 FROM story_updates WHERE delivery_id = ?", [delivery_id]).fetchone() is not None
    )
    return StoryRef(id=story_id, size=int(size), outlets=tuple(outlets_of(db, story_id)), update=update)


def with_story(db: Db, pending: PendingDelivery) -> PendingDelivery:
    """Return ``pending`` with its alert's story attached (its size and outlets as of now)."""
    ref = story_ref(db, pending.alert.article_url, pending.id)
    return pending if ref is None else replace(pending, alert=replace(pending.alert, story=ref))


@dataclass(frozen=True, slots=True)
class StoryRow:
    """One line of ``monitor stories``."""

    id: int
    created_at: str
    updated_at: str
    size: int
    outlets: tuple[str, ...]
    title: str
    url: str
    topics: tuple[str, ...]


def list_stories(
    db: Db, *, since: datetime | None = None, topic: str | None = None, min_size: int = 1, limit: int = 50
) -> list[StoryRow]:
    """Return stories updated since ``since`` (with a hit on ``topic``), largest and newest first."""
    where = ["1 = 1"]
    params: list[object] = []
    if since is not None:
        where.append("s.updated_at >= ?")
        params.append(since.isoformat())
    if topic is not None:
        where.append(
            "EXISTS (SELECT 1 FROM story_articles m JOIN hits h ON h.article_id = m.article_id"
            " WHERE m.story_id = s.id AND h.topic_id = ?)"
        )
        params.append(topic)
    rows = db.execute(
        "SELECT s.id, s.created_at, s.updated_at, count(sa.article_id) AS size,"
        " coalesce(a.title, ''), coalesce(a.url, '')"
        " FROM stories s JOIN story_articles sa ON sa.story_id = s.id LEFT JOIN articles a ON a.id = s.first_article_id"
        f" WHERE {' AND '.join(where)} GROUP BY s.id, a.title, a.url HAVING count(sa.article_id) >= ?"
        " ORDER BY size DESC, s.updated_at DESC LIMIT ?",
        [*params, min_size, limit],
    ).fetchall()
    found = []
    for story_id, created, updated, size, title, url in rows:
        topics = tuple(
            r[0]
            for r in db.execute(
                "SELECT DISTINCT h.topic_id FROM story_articles m JOIN hits h ON h.article_id = m.article_id"
                " WHERE m.story_id = ? ORDER BY h.topic_id",
                [story_id],
            )
        )
        outlets = tuple(outlets_of(db, story_id))
        found.append(StoryRow(story_id, created, updated, int(size), outlets, title, url, topics))
    return found


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One article of a story: when it joined, from which outlet, and the topics it hit."""

    article_id: int
    outlet: str
    joined_at: str
    published: str | None
    title: str
    url: str
    similarity: float | None
    topics: tuple[str, ...]


def story_members(db: Db, story_id: int) -> list[StoryMember]:
    """Return the articles of a story in the order they joined it (empty for an unknown story)."""
    rows = db.execute(
        "SELECT sa.article_id, sa.outlet, sa.joined_at, a.published, coalesce(a.title, ''), coalesce(a.url, ''),"
        " sa.similarity FROM story_articles sa JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ?"
        " ORDER BY sa.joined_at, sa.article_id",
        [story_id],
    ).fetchall()
    topics: dict[int, tuple[str, ...]] = {}
    for article_id, topic_id in db.execute(
        "SELECT h.article_id, h.topic_id FROM hits h JOIN story_articles sa ON sa.article_id = h.article_id"
        " WHERE sa.story_id = ? ORDER BY h.article_id, h.topic_id",
        [story_id],
    ):
        topics[article_id] = (*topics.get(article_id, ()), topic_id)
    return [StoryMember(int(i), o, j, p, t, u, s, topics.get(int(i), ())) for i, o, j, p, t, u, s in rows]
