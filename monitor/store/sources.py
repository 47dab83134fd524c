"""Source rows: the fetch state, health and schedule of each configured source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    current_url: str | None = None  # after a 301/308 or autodiscovery; polled instead of the configured URL
    discovered_from: str | None = None
    next_poll_at: datetime | None = None
    backoff_seconds: float | None = None
    retry_after_until: datetime | None = None
    min_interval_seconds: float | None = None
    disabled: bool = False
    disabled_reason: str | None = None
    last_status: int | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_new_item_at: datetime | None = None
    average_gap_seconds: float | None = None
    entries_seen: int = 0


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A source as stored: its id, name, configured URL and state."""

    id: str
    name: str
    url: str
    state: SourceState


def _table(db: Database) -> Table:
    return db.table("sources")


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _state(row: Mapping[str, Any]) -> SourceState:
    return SourceState(
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        consecutive_failures=row["consecutive_failures"] or 0,
        last_error=row["last_error"],
        current_url=row.get("current_url"),
        discovered_from=row.get("discovered_from"),
        next_poll_at=_when(row.get("next_poll_at")),
        backoff_seconds=row.get("backoff_seconds"),
        retry_after_until=_when(row.get("retry_after_until")),
        min_interval_seconds=row.get("min_interval_seconds"),
        disabled=bool(row.get("disabled")),
        disabled_reason=row.get("disabled_reason"),
        last_status=row["last_status"],
        last_polled_at=_when(row["last_polled_at"]),
        last_success_at=_when(row["last_success_at"]),
        last_error_at=_when(row.get("last_error_at")),
        last_new_item_at=_when(row.get("last_new_item_at")),
        average_gap_seconds=row.get("average_gap_seconds"),
        entries_seen=row["entries_seen"] or 0,
    )


def sync_sources(db: Database, sources: Iterable[Source], now: datetime) -> None:
    """Create a row for every configured source; keep the state of the ones already known.

    When the configured URL of a known id changes, the operator has decided where the source lives: a moved or
    discovered URL and a 410 from the old address no longer apply.
    """
    table = _table(db)
    with db.atomic():
        for source in sources:
            try:
                row = table.get(source.id)
            except NotFoundError:
                table.insert({"id": source.id, "name": source.name, "url": source.url, "created_at": now.isoformat()})
                continue
            changes: dict[str, Any] = {"name": source.name, "url": source.url}
            if row["url"] != source.url:
                changes.update(
                    current_url=None, discovered_from=None, disabled=0, disabled_reason=None, next_poll_at=None,
                    etag=None, last_modified=None, body_hash=None,
                )
            table.update(source.id, changes)


def source_state(db: Database, source_id: str) -> SourceState:
    """Return the stored state of a source (empty when never polled)."""
    try:
        row = _table(db).get(source_id)
    except NotFoundError:
        return SourceState()
    return _state(row)


def list_sources(db: Database) -> list[SourceRow]:
    """Return every stored source with its state, by name."""
    return [
        SourceRow(row["id"], row["name"], row["url"], _state(row))
        for row in _table(db).rows_where(order_by="name COLLATE NOCASE, id")
    ]


def record_poll_success(
    db: Database,
    source_id: str,
    *,
    state: SourceState,
    status: int,
    entries: int,
    now: datetime,
    next_poll_at: datetime | None = None,
    new_items_at: datetime | None = None,
) -> None:
    """Store new validators and schedule, reset the failure count and backoff.

    ``state`` carries validators, ``current_url``/``discovered_from`` (kept when None), the feed's minimum
    interval and the publishing gap; ``new_items_at`` is when the newest new item appeared, if any did.
    """
    changes: dict[str, Any] = {
        "etag": state.etag,
        "last_modified": state.last_modified,
        "body_hash": state.body_hash,
        "last_polled_at": now.isoformat(),
        "last_success_at": now.isoformat(),
        "last_status": status,
        "last_error": None,
        "consecutive_failures": 0,
        "backoff_seconds": None,
        "retry_after_until": None,
        "entries_seen": entries,
        "next_poll_at": _iso(next_poll_at),
        "min_interval_seconds": state.min_interval_seconds,
    }
    if state.current_url is not None:
        changes["current_url"] = state.current_url
    if state.discovered_from is not None:
        changes["discovered_from"] = state.discovered_from
    if state.average_gap_seconds is not None:
        changes["average_gap_seconds"] = state.average_gap_seconds
    with db.atomic():
        table = _table(db)
        if new_items_at is not None:
            previous = _when(table.get(source_id).get("last_new_item_at"))
            if previous is None or new_items_at > previous:
                changes["last_new_item_at"] = new_items_at.isoformat()
        table.update(source_id, changes)


def record_poll_failure(
    db: Database,
    source_id: str,
    *,
    error: str,
    status: int | None,
    now: datetime,
    next_poll_at: datetime | None = None,
    backoff_seconds: float | None = None,
    retry_after_until: datetime | None = None,
    disable_reason: str | None = None,
) -> None:
    """Record a failed poll: the error, its status, one more consecutive failure and when to try again.

    ``disable_reason`` stops polling altogether (a 410 Gone); errors alone never do.
    """
    with db.atomic():
        db.execute(
            "UPDATE sources SET last_polled_at = ?, last_status = ?, last_error = ?, last_error_at = ?,"
            " consecutive_failures = coalesce(consecutive_failures, 0) + 1, next_poll_at = ?, backoff_seconds = ?,"
            " retry_after_until = ?, disabled = CASE WHEN ? IS NULL THEN disabled ELSE 1 END,"
            " disabled_reason = coalesce(?, disabled_reason) WHERE id = ?",
            [
                now.isoformat(), status, error, now.isoformat(), _iso(next_poll_at), backoff_seconds,
                _iso(retry_after_until), disable_reason, disable_reason, source_id,
            ],
        )


def enable_source(db: Database, source_id: str) -> bool:
    """Re-enable a disabled source and poll it as soon as possible; return whether it exists."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE sources SET disabled = 0, disabled_reason = NULL, next_poll_at = NULL, current_url = NULL,"
            " consecutive_failures = 0 WHERE id = ?",
            [source_id],
        )
        return cursor.rowcount > 0
