"""Hits read back for people: the newest hits with where each went, hits per topic and day, whether one exists."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.store.db import Db


@dataclass(frozen=True, slots=True)
class HitRow:
    """One stored hit with its article."""

    created_at: str
    topic: str
    score: float
    title: str
    url: str
    source: str
    hit_id: int = 0
    article_id: int = 0
    terms: tuple[str, ...] = ()
    snippets: tuple[str, ...] = ()
    story_id: int | None = None
    channels: tuple[str, ...] = ()  # where it was (or is being) delivered
    quiet_story: int | None = None  # not delivered: its story had already alerted this topic

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.hit_id,
            "created_at": self.created_at,
            "topic": self.topic,
            "score": self.score,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "channels": list(self.channels),
            "kept_quiet_in_story": self.quiet_story,
        }

    @property
    def delivery(self) -> str:
        """Return where the hit went, or why it went nowhere, in a few words."""
        if self.channels:
            return ", ".join(self.channels)
        return f"kept quiet: story {self.quiet_story} already alerted" if self.quiet_story else "-"


def recent_hits(db: Db, *, topic: str | None, since: datetime | None, limit: int) -> list[HitRow]:
    """Return hits, newest first, optionally of one topic and not older than ``since``."""
    where, params = [], []
    if topic:
        where.append("h.topic_id = ?")
        params.append(topic)
    if since is not None:
        where.append("h.created_at >= ?")
        params.append(since.isoformat())
    # A hit without deliveries whose story has another article with a delivered hit on the same topic was kept
    # quiet as the same story (monitor.store.stories.save_in_story).
    sql = (
        "SELECT h.created_at, h.topic_id, h.score, a.title, a.url, coalesce(s.name, a.source_id, ''),"
        " h.id, a.id, h.terms, h.snippets, sa.story_id,"
        " (SELECT sa.story_id FROM story_articles sa WHERE sa.article_id = h.article_id AND EXISTS ("
        "   SELECT 1 FROM story_articles o JOIN hits oh ON oh.article_id = o.article_id"
        "   JOIN deliveries od ON od.hit_id = oh.id"
        "   WHERE o.story_id = sa.story_id AND oh.topic_id = h.topic_id AND oh.id != h.id))"
        " FROM hits h JOIN articles a ON a.id = h.article_id LEFT JOIN sources s ON s.id = a.source_id"
        " LEFT JOIN story_articles sa ON sa.article_id = a.id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY h.created_at DESC, h.id DESC LIMIT ?"
    )
    rows = db.execute(sql, [*params, limit]).fetchall()
    channels = _channels_of(db, [r[6] for r in rows])
    return [
        HitRow(
            r[0] or "",
            r[1],
            float(r[2] or 0),
            r[3] or "",
            r[4],
            r[5],
            r[6],
            r[7],
            _strings(r[8]),
            _strings(r[9]),
            r[10],
            channels=channels.get(r[6], ()),
            quiet_story=None if r[6] in channels else r[11],
        )
        for r in rows
    ]


def _channels_of(db: Db, hit_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Return the channels each hit was delivered to, in the order its deliveries were queued."""
    if not hit_ids:
        return {}
    marks = ", ".join("?" for _ in hit_ids)
    found: dict[int, tuple[str, ...]] = {}
    for hit_id, channel, _ in db.execute(
        f"SELECT hit_id, channel_id, min(id) FROM deliveries WHERE hit_id IN ({marks})"
        " GROUP BY hit_id, channel_id ORDER BY 3",
        hit_ids,
    ):
        found[hit_id] = (*found.get(hit_id, ()), channel)
    return found


def _strings(stored: str | None) -> tuple[str, ...]:
    """Return a JSON array column (a hit's terms or snippets) as strings; anything else as nothing."""
    try:
        value = json.loads(stored or "[]")
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class TopicSummary:
    """Hits of one topic: per UTC day since a start, in the last 24 hours and 7 days, in total, the newest."""

    topic: str
    title: str
    per_day: dict[str, int]  # "YYYY-MM-DD" -> hits created that day
    last_24h: int
    last_7d: int
    total: int
    newest: str


def topic_summaries(db: Db, *, since: datetime, now: datetime) -> list[TopicSummary]:
    """Return every topic with hits, busiest in the last 24 hours first, with its hits per day since ``since``."""
    day, week = (now - timedelta(days=1)).isoformat(), (now - timedelta(days=7)).isoformat()
    totals = db.execute(
        "SELECT topic_id, coalesce(max(topic_title), ''), sum(CASE WHEN created_at >= ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), count(*), max(created_at)"
        " FROM hits GROUP BY topic_id ORDER BY 3 DESC, 5 DESC, topic_id",
        [day, week],
    ).fetchall()
    per_day: dict[str, dict[str, int]] = {}
    for topic, date, count in db.execute(
        "SELECT topic_id, substr(created_at, 1, 10), count(*) FROM hits WHERE created_at >= ? GROUP BY 1, 2",
        [since.isoformat()],
    ):
        per_day.setdefault(topic, {})[date] = int(count)
    return [
        TopicSummary(t, title or t, per_day.get(t, {}), int(d), int(w), int(n), newest or "")
        for t, title, d, w, n, newest in totals
    ]


def has_hit(db: Db, topic_id: str, article_id: int) -> bool:
    """Return whether ``article_id`` is stored as a hit of ``topic_id``."""
    return db.scalar("SELECT 1 FROM hits WHERE topic_id = ? AND article_id = ?", [topic_id, article_id]) is not None
