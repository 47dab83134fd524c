"""Hits and the delivery outbox: a hit and its deliveries are written in one transaction.

A delivery's ``status`` moves ``pending`` → ``sent``; or → ``failed`` (refused for good) or ``dead`` (retried until
its channel's give-up limit); or, for routes that gather hits, ``pending`` → ``held`` → ``bundled`` (one digest
message under ``digest_id``) → ``sent``. ``monitor deliveries retry`` puts failed and dead ones back to ``pending``.
The transitions after an attempt are ``monitor.store.sends``', shared with digests and notices.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.models import Alert, Match, SemanticHit
from monitor.store import sends
from monitor.store.db import Db
from monitor.textutil import shorten

FAILED_STATUSES = ("failed", "dead")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "due at once"


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A delivery waiting to be sent, with the alert to send and what routing needs to know of its article."""

    id: int
    channel_id: str
    attempts: int
    alert: Alert
    queued_at: datetime | None = None
    source_id: str = ""


def alert_id(topic_id: str, article_url: str, channel_id: str) -> str:
    """Return the stable id of the alert of one topic, article and channel (the webhook-id on every retry)."""
    digest = hashlib.sha256(f"{topic_id}\n{article_url}\n{channel_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def semantic_json(hit: SemanticHit | None) -> str | None:
    """Return how a hit matched by meaning as stored in ``hits.semantic`` (None for a hit of the query alone)."""
    if hit is None:
        return None
    return json.dumps({"similarity": hit.similarity, "nearest": hit.nearest, "counter": hit.counter})


def semantic_from_json(text: str | None) -> SemanticHit | None:
    """Return the ``SemanticHit`` stored by ``semantic_json``."""
    if not text:
        return None
    found = json.loads(text)
    return SemanticHit(float(found["similarity"]), str(found["nearest"]), float(found.get("counter", 0.0)))


@dataclass(frozen=True, slots=True)
class AlertIntent:
    """One alert decided for a new hit: the topic's hit on an article, sent through one channel under ``alert_id``."""

    topic_id: str
    channel_id: str
    alert_id: str


@dataclass(frozen=True, slots=True)
class UpdateIntent:
    """One story-update alert decided for a story that reached a route's outlets (sent with this article's hit)."""

    topic_id: str
    channel_id: str
    alert_id: str


@dataclass(frozen=True, slots=True)
class HitPlan:
    """An article's hits and the deliveries decided for them, as values: computed before the write, written here.

    ``suppressed`` are the (topic, channel) pairs the decision kept quiet (its story already alerted there).
    """

    matches: Sequence[Match]
    topic_titles: Mapping[str, str] = field(default_factory=dict)
    alerts: Sequence[AlertIntent] = ()
    updates: Sequence[UpdateIntent] = ()
    suppressed: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class RecordedHits:
    """What writing a HitPlan did: the new hits by topic, the alerts queued, and those a UNIQUE constraint refused.

    Mostly refused because the story already has a live alert on that topic and channel, which another writer
    queued after the decision read the story (else: an alert id already queued).
    """

    hit_ids: Mapping[str, int] = field(default_factory=dict)
    alerts: tuple[AlertIntent, ...] = ()
    refused: tuple[AlertIntent, ...] = ()


def record_hits(db: Db, *, article_id: int, plan: HitPlan, now: datetime, story_id: int | None = None) -> RecordedHits:
    """Store the new hits of an article and queue the plan's alerts for them; return what was new.

    A topic that already hit the article gets nothing; an alert of ``story_id`` whose (story, topic, channel) has a
    live alert already is refused by the schema, not by a read before the write.
    """
    hit_ids: dict[str, int] = {}
    alerts: list[AlertIntent] = []
    refused: list[AlertIntent] = []
    with db.transaction():  # one transaction: a hit is never stored without its deliveries
        for match in plan.matches:
            hit = db.execute(
                "INSERT INTO hits (topic_id, topic_title, article_id, score, terms, snippets, created_at, semantic)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                [
                    match.topic_id,
                    plan.topic_titles.get(match.topic_id, match.topic_id),
                    article_id,
                    match.score,
                    json.dumps(list(match.terms), ensure_ascii=False),
                    json.dumps(list(match.snippets), ensure_ascii=False),
                    now.isoformat(),
                    semantic_json(match.semantic),
                ],
            ).fetchone()
            if hit is not None:  # else this topic already hit this article
                hit_ids[match.topic_id] = int(hit[0])
        for alert in plan.alerts:
            hit_id = hit_ids.get(alert.topic_id)
            if hit_id is None:
                continue
            queued = insert_delivery(
                db, hit_id, alert.channel_id, alert.alert_id, now, story=(story_id, alert.topic_id)
            )
            (alerts if queued is not None else refused).append(alert)
    return RecordedHits(hit_ids, tuple(alerts), tuple(refused))


def insert_delivery(
    db: Db, hit_id: int, channel_id: str, message_id: str, now: datetime, *, story: tuple[int | None, str]
) -> int | None:
    """Queue one delivery of a hit; return its id, or None when a UNIQUE constraint refused it.

    ``story`` is (story id, topic id); a story id of None keeps the delivery out of "one alert per story".
    """
    row = db.execute(
        "INSERT INTO deliveries (hit_id, channel_id, alert_id, status, attempts, created_at, queued_at, story_id,"
        " topic_id) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        [hit_id, channel_id, message_id, now.isoformat(), now.isoformat(), *story],
    ).fetchone()
    return None if row is None else int(row[0])


def live_alerts(db: Db, story_id: int) -> set[tuple[str, str]]:
    """Return the (topic, channel) pairs with a live alert of the story (pending, held, bundled or sent).

    An alert that failed for good (failed, dead) does not count: the next article of the story is alerted there
    instead of the story staying silent on that channel forever.
    """
    rows = db.execute(
        "SELECT topic_id, channel_id FROM deliveries WHERE story_id = ? AND status NOT IN ('failed', 'dead')",
        [story_id],
    ).fetchall()
    return {(t, c) for t, c in rows}


ALERT_COLUMNS = """d.id, d.channel_id, d.attempts, d.alert_id, d.created_at, d.queued_at,
       h.topic_id, h.topic_title, h.score, h.terms, h.snippets,
       a.url, a.title, a.summary, a.text, a.published, a.authors, a.language,
       coalesce(s.name, a.site_name, '') AS source, coalesce(a.source_id, ''), h.semantic, h.id
FROM deliveries d
JOIN hits h ON h.id = d.hit_id
JOIN articles a ON a.id = h.article_id
LEFT JOIN sources s ON s.id = a.source_id"""


def delivery_from_row(row: Sequence[Any]) -> PendingDelivery:
    """Return the PendingDelivery of a row selected with ``ALERT_COLUMNS``."""
    (
        delivery_id,
        channel_id,
        attempts,
        message_id,
        created_at,
        queued_at,
        topic_id,
        topic_title,
        score,
        terms,
        snippets,
        url,
        title,
        summary,
        text,
        published,
        authors,
        language,
        source,
        source_id,
        semantic,
        hit_id,
    ) = row
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
        semantic=semantic_from_json(semantic),
        hit_id=hit_id,
    )
    queued = datetime.fromisoformat(queued_at or created_at)
    return PendingDelivery(delivery_id, channel_id, attempts, alert, queued, source_id)


def pending_deliveries(
    db: Db,
    now: datetime,
    limit: int = 500,
    *,
    channel_id: str | None = None,
    exclude: Iterable[int] = (),
    after_id: int = 0,
) -> list[PendingDelivery]:
    """Return deliveries that are due now, oldest first (of one channel, leaving out ``exclude``, when given)."""
    where = ["d.status = 'pending'", "(d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)", "d.id > ?"]
    params: list[Any] = [now.isoformat(), after_id]
    if channel_id is not None:
        where.append("d.channel_id = ?")
        params.append(channel_id)
    skipped = list(exclude)
    if skipped:
        where.append(f"d.id NOT IN ({', '.join('?' for _ in skipped)})")
        params.extend(skipped)
    sql = f"SELECT {ALERT_COLUMNS} WHERE {' AND '.join(where)} ORDER BY d.id LIMIT ?"
    return [delivery_from_row(row) for row in db.execute(sql, [*params, limit]).fetchall()]


def pending_channels(db: Db) -> list[str]:
    """Return the channels that have deliveries waiting (due or in backoff)."""
    return [r[0] for r in db.execute("SELECT DISTINCT channel_id FROM deliveries WHERE status = 'pending'")]


def next_attempt_at(db: Db, channel_id: str) -> datetime | None:
    """Return when the next waiting delivery of ``channel_id`` becomes due (None: nothing waits)."""
    row = db.execute(
        "SELECT min(coalesce(next_attempt_at, '')) FROM deliveries WHERE status = 'pending' AND channel_id = ?",
        [channel_id],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return EPOCH if row[0] == "" else datetime.fromisoformat(row[0])


def mark_delivery_sent(
    db: Db, delivery_id: int, now: datetime, *, outcome: str | None = None, route: str | None = None
) -> None:
    """Mark a delivery done, with the receiver's answer and the key of the route that sent it instantly."""
    sends.mark_sent(db, sends.ALERTS, delivery_id, now, outcome=outcome, route_key=route)


def mark_delivery_failed(
    db: Db, delivery_id: int, *, error: str, permanent: bool, retry_at: datetime | None, dead: bool = False
) -> None:
    """Record a failed attempt: permanent failures stop (``failed``), so do ``dead`` ones; others wait."""
    sends.mark_failed(db, sends.ALERTS, delivery_id, error=error, permanent=permanent, retry_at=retry_at, dead=dead)


def hold_delivery(db: Db, delivery_id: int, *, route: str, until: datetime) -> None:
    """Hold a delivery for the digest of the route with key ``route``, to be bundled at ``until``."""
    with db.transaction():
        db.execute(
            "UPDATE deliveries SET status = 'held', route_key = ?, hold_until = ? WHERE id = ? AND status = 'pending'",
            [route, until.isoformat(), delivery_id],
        )


def adopt_route_keys(db: Db, keys: Sequence[str]) -> int:
    """Give deliveries stored with a route's position (before route keys) the key of the route at that position
    in ``keys`` (the config's routes, in order); return how many changed.

    Meant for the first start after the upgrade, with the config those positions were stored under; a position
    past the end gets a key of its own, so its held deliveries still bundle together. Mapped rows lose their
    position, so this maps each row once.
    """
    with db.transaction():
        positions = [
            int(r[0])
            for r in db.execute("SELECT DISTINCT route FROM deliveries WHERE route IS NOT NULL AND route_key IS NULL")
        ]
        changed = 0
        for position in positions:
            key = keys[position] if 0 <= position < len(keys) else f"route-{position}-removed"
            changed += db.execute(
                "UPDATE deliveries SET route_key = ?, route = NULL WHERE route = ? AND route_key IS NULL",
                [key, position],
            ).rowcount
    return changed


def delivery_counts(db: Db) -> dict[str, int]:
    """Return the number of deliveries per status."""
    return {row[0]: row[1] for row in db.execute("SELECT status, count(*) FROM deliveries GROUP BY status")}


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One line of ``monitor deliveries``."""

    id: int
    status: str
    channel_id: str
    topic_id: str
    article_url: str
    attempts: int
    created_at: str
    next_attempt_at: str | None
    last_error: str | None
    outcome: str | None


def list_deliveries(db: Db, *, failed_only: bool = False, limit: int = 50) -> list[DeliveryRow]:
    """Return the newest deliveries (only failed and dead ones with ``failed_only``), newest first."""
    where = f"WHERE d.status IN ({', '.join(repr(s) for s in FAILED_STATUSES)})" if failed_only else ""
    rows = db.execute(
        "SELECT d.id, d.status, d.channel_id, h.topic_id, a.url, d.attempts, d.created_at, d.next_attempt_at,"
        " d.last_error, d.outcome FROM deliveries d JOIN hits h ON h.id = d.hit_id"
        f" JOIN articles a ON a.id = h.article_id {where} ORDER BY d.id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [DeliveryRow(*row) for row in rows]


def requeue_deliveries(db: Db, ids: Sequence[int] | None, now: datetime) -> int:
    """Put failed and dead deliveries (``ids``, or all when None) back in the queue; return how many.

    An alert whose story has a live alert on the same topic and channel stays as it is (one alert per story), and of
    several such alerts being put back only the oldest goes.
    """
    statuses = ", ".join(repr(s) for s in FAILED_STATUSES)
    chosen = ""
    params: list[Any] = []
    if ids is not None:
        if not ids:
            return 0
        chosen = f" AND {{t}}.id IN ({', '.join('?' for _ in ids)})"
        params = list(ids)
    sql = (
        f"UPDATE deliveries SET status = 'pending', next_attempt_at = NULL, queued_at = ?"
        f" WHERE status IN ({statuses}){chosen.format(t='deliveries')} AND (story_id IS NULL OR NOT EXISTS ("
        " SELECT 1 FROM deliveries o WHERE o.story_id = deliveries.story_id AND o.topic_id = deliveries.topic_id"
        f" AND o.channel_id = deliveries.channel_id AND (o.status NOT IN ({statuses})"
        f" OR (o.id < deliveries.id{chosen.format(t='o')}))))"
    )
    with db.transaction():
        return db.execute(sql, [now.isoformat(), *params, *params]).rowcount
