"""Source rows: the fetch state and health of each configured source."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError, Table

from monitor.config import Source


@dataclass(frozen=True, slots=True)
class SourceState:
    """What we remember about a source between polls."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None


def _table(db: Database) -> Table:
    return db.table("sources")


def sync_sources(db: Database, sources: Iterable[Source], now: datetime) -> None:
    """Create a row for every configured source; keep the state of the ones already known."""
    table = _table(db)
    with db.atomic():
        for source in sources:
            try:
                table.get(source.id)
                table.update(source.id, {"name": source.name, "url": source.url})
            except NotFoundError:
                table.insert({"id": source.id, "name": source.name, "url": source.url, "created_at": now.isoformat()})


def source_state(db: Database, source_id: str) -> SourceState:
    """Return the stored state of a source (empty when never polled)."""
    try:
        row = _table(db).get(source_id)
    except NotFoundError:
        return SourceState()
    return SourceState(
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        consecutive_failures=row["consecutive_failures"] or 0,
        last_error=row["last_error"],
    )


def record_poll_success(
    db: Database, source_id: str, *, state: SourceState, status: int, entries: int, now: datetime
) -> None:
    """Store new validators and reset the failure count."""
    with db.atomic():
        _table(db).update(
            source_id,
            {
                "etag": state.etag,
                "last_modified": state.last_modified,
                "body_hash": state.body_hash,
                "last_polled_at": now.isoformat(),
                "last_success_at": now.isoformat(),
                "last_status": status,
                "last_error": None,
                "consecutive_failures": 0,
                "entries_seen": entries,
            },
        )


def record_poll_failure(db: Database, source_id: str, *, error: str, status: int | None, now: datetime) -> None:
    """Record a failed poll: the error, its status and one more consecutive failure."""
    with db.atomic():
        db.execute(
            "UPDATE sources SET last_polled_at = ?, last_status = ?, last_error = ?,"
            " consecutive_failures = coalesce(consecutive_failures, 0) + 1 WHERE id = ?",
            [now.isoformat(), status, error, source_id],
        )
