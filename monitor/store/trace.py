"""Reads behind ``monitor trace``: an item's stored article, its hits, their deliveries and its story."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.store.db import Db
from monitor.store.story_queries import outlets_of


def find_traced_articles(db: Db, *, url: str, url_key: str) -> list[int]:
    """Return the ids of stored articles known by ``url``: as canonical URL, as the feed's link, or by URL key."""
    rows = db.execute(
        "SELECT id FROM articles WHERE url = ? OR link = ?"
        " UNION SELECT article_id FROM story_articles WHERE url_key = ? ORDER BY 1",
        [url, url, url_key],
    ).fetchall()
    return [int(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class TracedHit:
    """A stored hit of an article."""

    id: int
    topic_id: str
    score: float
    created_at: str


def hits_of(db: Db, article_id: int) -> list[TracedHit]:
    """Return the stored hits of an article."""
    rows = db.execute(
        "SELECT id, topic_id, score, created_at FROM hits WHERE article_id = ? ORDER BY id", [article_id]
    ).fetchall()
    return [TracedHit(int(i), t, float(s or 0), c or "") for i, t, s, c in rows]


@dataclass(frozen=True, slots=True)
class TracedDelivery:
    """One delivery of a hit: where it went, how it stands, and what the route decided."""

    topic_id: str
    channel_id: str
    status: str
    attempts: int
    route: str | None  # the key of the route that decided it (config.RouteConfig.key)
    hold_until: str | None
    digest_id: str | None
    last_error: str | None
    outcome: str | None
    sent_at: str | None
    next_attempt_at: str | None
    story_update: bool


def deliveries_of(db: Db, article_id: int) -> list[TracedDelivery]:
    """Return every delivery queued for an article's hits, story updates marked."""
    rows = db.execute(
        "SELECT h.topic_id, d.channel_id, d.status, d.attempts, d.route_key, d.hold_until, d.digest_id, d.last_error,"
        " d.outcome, d.sent_at, d.next_attempt_at, su.delivery_id IS NOT NULL"
        " FROM deliveries d JOIN hits h ON h.id = d.hit_id LEFT JOIN story_updates su ON su.delivery_id = d.id"
        " WHERE h.article_id = ? ORDER BY d.id",
        [article_id],
    ).fetchall()
    return [
        TracedDelivery(t, c, s, int(a or 0), r, hu, dg, e, o, sa, na, bool(u))
        for t, c, s, a, r, hu, dg, e, o, sa, na, u in rows
    ]


@dataclass(frozen=True, slots=True)
class TracedStory:
    """The story an article is in and who alerted for it first."""

    id: int
    articles: int
    outlets: tuple[str, ...]
    similarity: float | None
    # (topic, channel) -> the first other article of the story that has a live alert there
    alerted_by: dict[tuple[str, str], int]


def story_of(db: Db, article_id: int) -> TracedStory | None:
    """Return the story of an article, with the articles that alerted for each topic and channel before it."""
    row = db.execute("SELECT story_id, similarity FROM story_articles WHERE article_id = ?", [article_id]).fetchone()
    if row is None:
        return None
    story_id = int(row[0])
    members = db.execute("SELECT count(*) FROM story_articles WHERE story_id = ?", [story_id]).fetchone()[0]
    outlets = outlets_of(db, story_id)
    alerted: dict[tuple[str, str], int] = {}
    for topic, channel, other in db.execute(
        "SELECT h.topic_id, d.channel_id, min(h.article_id) FROM story_articles sa"
        " JOIN hits h ON h.article_id = sa.article_id JOIN deliveries d ON d.hit_id = h.id"
        " WHERE sa.story_id = ? AND sa.article_id != ? AND d.status NOT IN ('failed', 'dead')"
        " GROUP BY h.topic_id, d.channel_id",
        [story_id, article_id],
    ).fetchall():
        alerted[(topic, channel)] = int(other)
    return TracedStory(story_id, int(members), tuple(outlets), row[1], alerted)
