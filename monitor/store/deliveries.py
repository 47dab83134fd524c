"""Hits and the delivery outbox: a hit and its deliveries are written in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from monitor.models import Alert, Match
from monitor.textutil import shorten


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A delivery waiting to be sent, with the alert to send."""

    id: int
    channel_id: str
    attempts: int
    alert: Alert


def alert_id(topic_id: str, article_url: str, channel_id: str) -> str:
    """Return the stable id of the alert of one topic, article and channel (the webhook-id on every retry)."""
    digest = hashlib.sha256(f"{topic_id}\n{article_url}\n{channel_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def record_hits(
    db: Database,
    *,
    article_id: int,
    article_url: str,
    matches: Sequence[Match],
    topic_titles: dict[str, str],
    channels_for: Callable[[str, float], list[str]],
    now: datetime,
) -> tuple[int, int]:
    """Store new hits of an article and queue their deliveries; return (new hits, new deliveries)."""
    new_hits = new_deliveries = 0
    with db.atomic():  # one transaction: a hit is never stored without its deliveries
        for match in matches:
            cursor = db.execute(
                "INSERT OR IGNORE INTO hits (topic_id, topic_title, article_id, score, terms, snippets, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    match.topic_id,
                    topic_titles.get(match.topic_id, match.topic_id),
                    article_id,
                    match.score,
                    json.dumps(list(match.terms), ensure_ascii=False),
                    json.dumps(list(match.snippets), ensure_ascii=False),
                    now.isoformat(),
                ],
            )
            if cursor.rowcount == 0:
                continue  # this topic already hit this article
            new_hits += 1
            for channel_id in channels_for(match.topic_id, match.score):
                inserted = db.execute(
                    "INSERT OR IGNORE INTO deliveries (hit_id, channel_id, alert_id, status, attempts, created_at)"
                    " VALUES (?, ?, ?, 'pending', 0, ?)",
                    [cursor.lastrowid, channel_id, alert_id(match.topic_id, article_url, channel_id), now.isoformat()],
                )
                new_deliveries += inserted.rowcount
    return new_hits, new_deliveries


_PENDING_SQL = """
SELECT d.id, d.channel_id, d.attempts, d.alert_id, d.created_at,
       h.topic_id, h.topic_title, h.score, h.terms, h.snippets,
       a.url, a.title, a.summary, a.text, a.published, a.authors, a.language,
       coalesce(s.name, a.site_name, '') AS source
FROM deliveries d
JOIN hits h ON h.id = d.hit_id
JOIN articles a ON a.id = h.article_id
LEFT JOIN sources s ON s.id = a.source_id
WHERE d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)
ORDER BY d.id
LIMIT ?
"""


def pending_deliveries(db: Database, now: datetime, limit: int = 500) -> list[PendingDelivery]:
    """Return deliveries that are due now, oldest first."""
    pending = []
    for row in db.execute(_PENDING_SQL, [now.isoformat(), limit]).fetchall():
        (delivery_id, channel_id, attempts, message_id, created_at, topic_id, topic_title, score, terms, snippets,
         url, title, summary, text, published, authors, language, source) = row
        alert = Alert(
            id=message_id,
            topic_id=topic_id,
            topic_title=topic_title,
            article_url=url,
            article_title=title,
            source=source,
            score=score,
            terms=tuple(json.loads(terms or "[]")),
            snippets=tuple(json.loads(snippets or "[]")),
            created_at=datetime.fromisoformat(created_at),
            published=datetime.fromisoformat(published) if published else None,
            authors=tuple(json.loads(authors or "[]")),
            language=language,
            summary=summary or shorten(text, 300),
        )
        pending.append(PendingDelivery(delivery_id, channel_id, attempts, alert))
    return pending


def mark_delivery_sent(db: Database, delivery_id: int, now: datetime) -> None:
    """Mark a delivery done."""
    with db.atomic():
        db.execute(
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL"
            " WHERE id = ?",
            [now.isoformat(), delivery_id],
        )


def mark_delivery_failed(
    db: Database, delivery_id: int, *, error: str, permanent: bool, retry_at: datetime | None
) -> None:
    """Record a failed attempt: permanent failures stop, others wait until ``retry_at``."""
    with db.atomic():
        db.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ?",
            ["failed" if permanent else "pending", error, retry_at.isoformat() if retry_at else None, delivery_id],
        )


def delivery_counts(db: Database) -> dict[str, int]:
    """Return the number of deliveries per status."""
    return {row[0]: row[1] for row in db.execute("SELECT status, count(*) FROM deliveries GROUP BY status")}
