"""The one state machine of every queued send: an alert, a digest of alerts, a notice.

A send waits in its ``waiting`` status (``pending``; ``bundled`` for a digest's rows) until an attempt ends:
``sent``; or back to waiting with a retry time; or ``failed`` (refused for good) or ``dead`` (retried until its
channel's give-up limit). Every attempt counts in ``attempts``; the last error stays in ``last_error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.store.db import Db
from monitor.store.leases import claim_lease, release_lease


@dataclass(frozen=True, slots=True)
class Outbox:
    """Where one kind of send keeps its rows, how one send is named, and which status means "waiting"."""

    table: str
    key: str  # the column naming one send: a row id, or the id a digest's rows share
    waiting: str

    @property
    def where(self) -> str:
        # A digest names many rows; only those still bundled belong to the attempt that just ended.
        return f"{self.key} = ?" + (f" AND status = '{self.waiting}'" if self.key != "id" else "")


ALERTS = Outbox("deliveries", "id", "pending")
DIGESTS = Outbox("deliveries", "digest_id", "bundled")
NOTICES = Outbox("notice_deliveries", "id", "pending")


def mark_sent(db: Db, box: Outbox, key: int | str, now: datetime, *, outcome: str | None, **also: Any) -> None:
    """Record a successful attempt, the receiver's answer as ``outcome`` (and any column in ``also``)."""
    extra = "".join(f", {column} = ?" for column in also)
    with db.transaction():
        db.execute(
            f"UPDATE {box.table} SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL,"
            f" outcome = ?{extra} WHERE {box.where}",
            [now.isoformat(), outcome, *also.values(), key],
        )


def mark_failed(
    db: Db,
    box: Outbox,
    key: int | str,
    *,
    error: str,
    permanent: bool,
    retry_at: datetime | None,
    dead: bool = False,
) -> None:
    """Record a failed attempt: ``dead`` or ``failed`` (``permanent``) for good, else waiting until ``retry_at``."""
    status = "dead" if dead else "failed" if permanent else box.waiting
    with db.transaction():
        db.execute(
            f"UPDATE {box.table} SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            f" WHERE {box.where}",
            [status, error, retry_at.isoformat() if retry_at else None, key],
        )


SEND_LEASE_SECONDS = 60.0  # the daemon's heartbeat renews it while the send runs


def claim(
    db: Db,
    box: Outbox,
    key: int | str,
    owner: str,
    now: datetime,
    seconds: float = SEND_LEASE_SECONDS,
    *,
    due: bool = True,
) -> bool:
    """Take the lease of one send for ``owner`` when several daemons share the outbox; False when another daemon
    is sending it, or it is no longer waiting and due (another daemon sent it, or put it off, since it was read).
    ``due=False`` (retrying everything now) only asks that it still waits.

    The status is read in the same transaction as the lease is taken, and an outcome is recorded before the lease
    is released, so a send read by two daemons goes out once.
    """
    with db.transaction():
        due = db.scalar(
            f"SELECT count(*) FROM {box.table} WHERE {box.key} = ? AND status = ?"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            [key, box.waiting, (now if due else datetime.max.replace(tzinfo=now.tzinfo)).isoformat()],
        )
        return bool(due) and claim_lease(db, _lease(box, key), owner, now, seconds)


def release(db: Db, box: Outbox, key: int | str, owner: str) -> None:
    """Drop the lease ``claim`` took (the outcome is recorded by then)."""
    release_lease(db, _lease(box, key), owner)


def _lease(box: Outbox, key: int | str) -> str:
    return f"send:{box.table}:{box.key}:{key}"
