"""Digests in the outbox: held deliveries of a route and channel are bundled into one message, sent and retried."""

from __future__ import annotations

import hashlib
from datetime import datetime

from monitor.store import sends
from monitor.store.db import Db
from monitor.store.deliveries import ALERT_COLUMNS, PendingDelivery, delivery_from_row


def due_holds(db: Db, now: datetime) -> list[tuple[str, str]]:
    """Return (route key, channel) of every group of held deliveries whose digest time has come."""
    rows = db.execute(
        "SELECT DISTINCT route_key, channel_id FROM deliveries WHERE status = 'held' AND hold_until <= ?"
        " ORDER BY route_key, channel_id",
        [now.isoformat()],
    )
    return [(str(r[0]), r[1]) for r in rows]


def bundle_held(db: Db, route: str, channel_id: str, now: datetime) -> str | None:
    """Bundle the due held deliveries of one route (by key) and channel into a digest; return its id (None: none
    due).

    The id is derived from the deliveries it holds, so the digest keeps its webhook-id / Message-ID on every retry.
    """
    with db.transaction():
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM deliveries WHERE status = 'held' AND route_key = ? AND channel_id = ?"
                " AND hold_until <= ?"
                " ORDER BY id",
                [route, channel_id, now.isoformat()],
            )
        ]
        if not ids:
            return None
        key = f"{channel_id}\n{route}\n" + ",".join(map(str, ids))
        digest_id = "dig_" + hashlib.sha256(key.encode()).hexdigest()[:32]
        db.execute(
            "UPDATE deliveries SET status = 'bundled', digest_id = ?, next_attempt_at = NULL, queued_at = ?"
            f" WHERE id IN ({', '.join('?' for _ in ids)})",
            [digest_id, now.isoformat(), *ids],
        )
    return digest_id


def due_bundles(db: Db, now: datetime) -> list[tuple[str, str, str]]:
    """Return (digest id, channel, route key) of every bundled digest due to be sent."""
    rows = db.execute(
        "SELECT digest_id, channel_id, min(route_key) FROM deliveries WHERE status = 'bundled'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) GROUP BY digest_id, channel_id ORDER BY min(id)",
        [now.isoformat()],
    )
    return [(r[0], r[1], str(r[2])) for r in rows]


def bundle_deliveries(db: Db, digest_id: str) -> list[PendingDelivery]:
    """Return the deliveries of one digest, oldest first."""
    rows = db.execute(f"SELECT {ALERT_COLUMNS} WHERE d.digest_id = ? ORDER BY d.id", [digest_id]).fetchall()
    return [delivery_from_row(row) for row in rows]


def mark_bundle_sent(db: Db, digest_id: str, now: datetime, *, outcome: str) -> None:
    """Mark every delivery of a digest sent."""
    sends.mark_sent(db, sends.DIGESTS, digest_id, now, outcome=outcome)


def next_digest_time(db: Db) -> datetime | None:
    """Return the earliest time a held group or a bundled digest becomes due (None: nothing waits)."""
    row = db.execute(
        "SELECT min(t) FROM (SELECT min(hold_until) AS t FROM deliveries WHERE status = 'held'"
        " UNION ALL SELECT min(coalesce(next_attempt_at, '1970-01-01T00:00:00+00:00')) FROM deliveries"
        " WHERE status = 'bundled') AS due"
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def sent_since(db: Db, channel_id: str, route: str, since: datetime) -> int:
    """Return how many alerts of a route (by key) went out instantly on a channel since ``since`` (max_per_hour)."""
    row = db.execute(
        "SELECT count(*) FROM deliveries WHERE channel_id = ? AND route_key = ? AND digest_id IS NULL AND sent_at >= ?",
        [channel_id, route, since.isoformat()],
    ).fetchone()
    return int(row[0]) if row else 0


def hit_counts(db: Db, topic_id: str, since: datetime, until: datetime) -> int:
    """Return the number of hits of ``topic_id`` stored in [since, until)."""
    row = db.execute(
        "SELECT count(*) FROM hits WHERE topic_id = ? AND created_at >= ? AND created_at < ?",
        [topic_id, since.isoformat(), until.isoformat()],
    ).fetchone()
    return int(row[0]) if row else 0


def first_hit_at(db: Db) -> datetime | None:
    """Return when the oldest stored hit (of any topic) was made: how much history a baseline can have."""
    row = db.execute("SELECT min(created_at) FROM hits").fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None
