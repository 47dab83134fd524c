"""Notices (spike and monitor.health alerts) with their own small outbox, health conditions and channel health.

A notice and its deliveries are written in one transaction, like a hit and its deliveries; a notice delivery
moves ``pending`` → ``sent``, or → ``failed`` (refused for good) or ``dead`` (retried past the give-up limit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.models import Notice
from monitor.store import sends
from monitor.store.db import Db


@dataclass(frozen=True, slots=True)
class PendingNotice:
    """A notice delivery waiting to be sent."""

    id: int
    channel_id: str
    attempts: int
    notice: Notice
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class Condition:
    """A health condition that is true now: since when, and when it was last alerted."""

    key: str
    condition: str
    subject: str
    started_at: datetime
    last_notified_at: datetime
    detail: str


def queue_notice(db: Db, notice: Notice, channels: list[str], now: datetime) -> int:
    """Store ``notice`` and one pending delivery per channel in one transaction; return the deliveries queued."""
    queued = 0
    with db.transaction():
        stored = db.execute(
            "INSERT INTO notices (notice_id, topic_id, topic_title, condition, subject, state, title, text,"
            " facts, since, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            [
                notice.id,
                notice.topic_id,
                notice.topic_title,
                notice.condition,
                notice.subject,
                notice.state,
                notice.title,
                notice.text,
                json.dumps([list(f) for f in notice.facts], ensure_ascii=False),
                notice.since.isoformat() if notice.since else None,
                notice.created_at.isoformat(),
            ],
        ).fetchone()
        if stored is None:
            return 0  # the same notice was stored before (a check that ran twice): queued once
        for channel_id in channels:
            inserted = db.execute(
                "INSERT INTO notice_deliveries (notice_id, channel_id, queued_at, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [stored[0], channel_id, now.isoformat(), now.isoformat()],
            )
            queued += inserted.rowcount
    return queued


_COLUMNS = """d.id, d.channel_id, d.attempts, d.queued_at, n.notice_id, n.topic_id, n.topic_title, n.condition,
n.subject, n.state, n.title, n.text, n.facts, n.since, n.created_at
FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id"""


def _pending(row: Any) -> PendingNotice:
    (
        delivery_id,
        channel_id,
        attempts,
        queued_at,
        notice_id,
        topic_id,
        topic_title,
        condition,
        subject,
        state,
        title,
        text,
        facts,
        since,
        created_at,
    ) = row
    notice = Notice(
        id=notice_id,
        topic_id=topic_id,
        topic_title=topic_title,
        condition=condition,
        subject=subject,
        state=state,
        title=title,
        text=text,
        created_at=datetime.fromisoformat(created_at),
        facts=tuple((str(k), str(v)) for k, v in json.loads(facts or "[]")),
        since=datetime.fromisoformat(since) if since else None,
    )
    return PendingNotice(delivery_id, channel_id, attempts, notice, datetime.fromisoformat(queued_at))


def pending_notices(db: Db, now: datetime, limit: int = 200) -> list[PendingNotice]:
    """Return notice deliveries due now, oldest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} WHERE d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
        " ORDER BY d.id LIMIT ?",
        [now.isoformat(), limit],
    ).fetchall()
    return [_pending(row) for row in rows]


def next_notice_time(db: Db) -> datetime | None:
    """Return when the next waiting notice delivery becomes due (None: nothing waits)."""
    row = db.execute(
        "SELECT min(coalesce(next_attempt_at, '1970-01-01T00:00:00+00:00')) FROM notice_deliveries"
        " WHERE status = 'pending'"
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def mark_notice_sent(db: Db, delivery_id: int, now: datetime, *, outcome: str) -> None:
    """Mark a notice delivery done, with the receiver's answer."""
    sends.mark_sent(db, sends.NOTICES, delivery_id, now, outcome=outcome)


def mark_notice_failed(
    db: Db, delivery_id: int, *, error: str, permanent: bool, retry_at: datetime | None, dead: bool = False
) -> None:
    """Record a failed notice attempt: retried at ``retry_at``, or ``failed``/``dead`` for good."""
    sends.mark_failed(db, sends.NOTICES, delivery_id, error=error, permanent=permanent, retry_at=retry_at, dead=dead)


def list_notices(db: Db, limit: int = 50) -> list[Notice]:
    """Return the newest notices, newest first (for tests and the CLI)."""
    rows = db.execute(
        "SELECT 0, '', 0, created_at, notice_id, topic_id, topic_title, condition, subject, state, title, text,"
        " facts, since, created_at FROM notices ORDER BY id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [_pending(row).notice for row in rows]


def last_notice_at(db: Db, condition: str, subject: str) -> datetime | None:
    """Return when the newest notice of ``condition`` about ``subject`` was made (for cooldowns)."""
    row = db.execute(
        "SELECT max(created_at) FROM notices WHERE condition = ? AND subject = ?", [condition, subject]
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


# --- health conditions -----------------------------------------------------------------------------------------


def active_conditions(db: Db) -> dict[str, Condition]:
    """Return every health condition that was true at the last check, by key."""
    rows = db.execute(
        "SELECT key, condition, subject, started_at, last_notified_at, coalesce(detail, '') FROM monitor_conditions"
    )
    return {
        r[0]: Condition(r[0], r[1], r[2], datetime.fromisoformat(r[3]), datetime.fromisoformat(r[4]), r[5])
        for r in rows
    }


def start_condition(db: Db, key: str, condition: str, subject: str, detail: str, now: datetime) -> None:
    """Record that a condition became true (and was alerted) at ``now``."""
    db.execute(
        "INSERT INTO monitor_conditions (key, condition, subject, started_at, last_notified_at, detail)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET condition = excluded.condition,"
        " subject = excluded.subject, started_at = excluded.started_at,"
        " last_notified_at = excluded.last_notified_at, detail = excluded.detail",
        [key, condition, subject, now.isoformat(), now.isoformat(), detail],
    )


def remind_condition(db: Db, key: str, detail: str, now: datetime) -> None:
    """Record that a condition still true was alerted again at ``now``."""
    db.execute(
        "UPDATE monitor_conditions SET last_notified_at = ?, detail = ? WHERE key = ?", [now.isoformat(), detail, key]
    )


def end_condition(db: Db, key: str) -> None:
    """Forget a condition that is no longer true."""
    db.execute("DELETE FROM monitor_conditions WHERE key = ?", [key])


# --- channel health ----------------------------------------------------------------------------------------------


def record_channel_outcome(db: Db, channel_id: str, *, ok: bool, error: str | None, now: datetime) -> None:
    """Count a send on a channel: a success resets its run of failures, a failure extends it."""
    with db.transaction():
        if ok:
            db.execute(
                "INSERT INTO channel_health (channel_id, consecutive_failures, last_success_at) VALUES (?, 0, ?)"
                " ON CONFLICT (channel_id) DO UPDATE SET consecutive_failures = 0,"
                " last_success_at = excluded.last_success_at",
                [channel_id, now.isoformat()],
            )
        else:
            db.execute(
                "INSERT INTO channel_health (channel_id, consecutive_failures, last_error, last_failure_at)"
                " VALUES (?, 1, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET"
                " consecutive_failures = channel_health.consecutive_failures + 1, last_error = excluded.last_error,"
                " last_failure_at = excluded.last_failure_at",
                [channel_id, error, now.isoformat()],
            )


def channel_failures(db: Db) -> dict[str, tuple[int, str]]:
    """Return (failures in a row, last error) of every channel whose last send failed."""
    rows = db.execute(
        "SELECT channel_id, consecutive_failures, coalesce(last_error, '') FROM channel_health"
        " WHERE consecutive_failures > 0"
    )
    return {r[0]: (int(r[1]), r[2]) for r in rows}


def notice_condition(db: Db, notice: Notice, channels: list[str], now: datetime, *, key: str, started: bool) -> int:
    """Record that a health condition started (``started``) or was reminded of, and queue its notice to
    ``channels``, in one transaction (a crash repeats neither); return the deliveries queued."""
    with db.transaction():
        if started:
            start_condition(db, key, notice.condition, notice.subject, notice.title, now)
        else:
            remind_condition(db, key, notice.title, now)
        return queue_notice(db, notice, channels, now)


def recover_condition(db: Db, notice: Notice, channels: list[str], now: datetime, *, key: str) -> int:
    """Forget a health condition no longer true and queue its "recovered" notice, in one transaction."""
    with db.transaction():
        end_condition(db, key)
        return queue_notice(db, notice, channels, now)
