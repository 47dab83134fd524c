"""Leases: which daemon polls a source, or runs a periodic job, when several share one database.

A lease is a row (name, owner, until): taken when free or expired, renewed by its holder while the work runs,
dropped when it is done. A daemon that dies holds its leases only until they expire, so another takes its sources
over within ``LEASE_SECONDS``. The statements are plain ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ...
RETURNING``: PostgreSQL takes the row lock and re-checks the condition, so of two daemons claiming at once exactly
one gets a row back; SQLite serialises writers anyway (and there one daemon holds the database's own lock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.store.db import Db

LEASE_SECONDS = 60.0

SOURCE_PREFIX = "source:"


def source_lease(source_id: str) -> str:
    """Return the lease name of polling ``source_id``."""
    return f"{SOURCE_PREFIX}{source_id}"


def claim_lease(db: Db, name: str, owner: str, now: datetime, seconds: float = LEASE_SECONDS) -> bool:
    """Take or renew lease ``name`` for ``owner`` until ``now + seconds``; False when another holds it unexpired."""
    until = (now + timedelta(seconds=seconds)).isoformat()
    with db.transaction():
        row = db.execute(
            "INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
            " WHERE leases.owner = excluded.owner OR leases.until < ? RETURNING name",
            [name, owner, until, now.isoformat()],
        ).fetchone()
    return row is not None


def claim_source(
    db: Db, source_id: str, owner: str, now: datetime, seconds: float = LEASE_SECONDS, *, fresh: float | None = None
) -> bool:
    """Take the lease on polling ``source_id``; False when another daemon holds it, or polled the source less than
    ``fresh`` seconds ago.

    Every daemon schedules every source, so the first whose job fires polls it and the others, firing a moment
    later, find it fresh (its poll is recorded before its lease is dropped) and wait for the next time.
    """
    with db.transaction():
        if fresh is not None:
            recent = db.scalar(
                "SELECT count(*) FROM sources WHERE id = ? AND last_polled_at > ?",
                [source_id, (now - timedelta(seconds=fresh)).isoformat()],
            )
            if recent:
                return False
        return claim_lease(db, source_lease(source_id), owner, now, seconds)


def release_lease(db: Db, name: str, owner: str) -> None:
    """Drop ``owner``'s lease ``name`` (nothing happens when it expired and another took it)."""
    db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner])


def renew_leases(db: Db, owner: str, now: datetime, seconds: float = LEASE_SECONDS) -> int:
    """Extend every unexpired lease ``owner`` holds (its polls still running); return how many."""
    until = (now + timedelta(seconds=seconds)).isoformat()
    rows = db.execute(
        "UPDATE leases SET until = ? WHERE owner = ? AND until >= ? RETURNING name", [until, owner, now.isoformat()]
    ).fetchall()
    return len(rows)


def held_leases(db: Db, owner: str, now: datetime, prefix: str = SOURCE_PREFIX) -> int:
    """Return how many unexpired leases named ``prefix...`` ``owner`` holds (for /healthz and /metrics)."""
    return int(
        db.scalar(
            "SELECT count(*) FROM leases WHERE owner = ? AND until >= ? AND substr(name, 1, ?) = ?",
            [owner, now.isoformat(), len(prefix), prefix],
        )
    )


def lease_holder(db: Db, name: str, now: datetime) -> tuple[str, datetime] | None:
    """Return who holds lease ``name`` and until when, or None when it is free or expired."""
    row = db.execute(
        "SELECT owner, until FROM leases WHERE name = ? AND until >= ?", [name, now.isoformat()]
    ).fetchone()
    return None if row is None else (row[0], datetime.fromisoformat(row[1]))
