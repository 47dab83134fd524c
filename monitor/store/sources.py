"""Source rows: the fetch state, health and schedule of each configured source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config import Source
from monitor.store.db import Db, stored_time


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
        next_poll_at=stored_time(row.get("next_poll_at")),
        backoff_seconds=row.get("backoff_seconds"),
        retry_after_until=stored_time(row.get("retry_after_until")),
        min_interval_seconds=row.get("min_interval_seconds"),
        disabled=bool(row.get("disabled")),
        disabled_reason=row.get("disabled_reason"),
        last_status=row["last_status"],
        last_polled_at=stored_time(row["last_polled_at"]),
        last_success_at=stored_time(row["last_success_at"]),
        last_error_at=stored_time(row.get("last_error_at")),
        last_new_item_at=stored_time(row.get("last_new_item_at")),
        average_gap_seconds=row.get("average_gap_seconds"),
        entries_seen=row["entries_seen"] or 0,
    )


def sync_sources(db: Db, sources: Iterable[Source], now: datetime) -> None:
    """Create a row for every configured source; keep the state of the ones already known.

    When the configured URL of a known id changes, the operator has decided where the source lives: a moved or
    discovered URL and a 410 from the old address no longer apply.
    """
    # Plain SQL over one read of every row: at 10,000 sources, per-row table.get()/update() (each reading the schema
    # first) took seconds of every start.
    known = {sid: (name, url) for sid, name, url in db.execute("SELECT id, name, url FROM sources").fetchall()}
    with db.transaction():
        for source in sources:
            row = known.get(source.id)
            if row is None:
                # Several daemons starting on one database insert the same new sources at once: the first wins.
                db.execute(
                    "INSERT INTO sources (id, name, url, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    [source.id, source.name, source.url, now.isoformat()],
                )
                known[source.id] = (source.name, source.url)
            elif row[1] != source.url:
                db.execute(
                    "UPDATE sources SET name = ?, url = ?, current_url = NULL, discovered_from = NULL, disabled = 0,"
                    " disabled_reason = NULL, next_poll_at = NULL, etag = NULL, last_modified = NULL,"
                    " body_hash = NULL WHERE id = ?",
                    [source.name, source.url, source.id],
                )
            elif row[0] != source.name:
                db.execute("UPDATE sources SET name = ? WHERE id = ?", [source.name, source.id])


_STATE_COLUMNS = (
    "etag",
    "last_modified",
    "body_hash",
    "consecutive_failures",
    "last_error",
    "current_url",
    "discovered_from",
    "next_poll_at",
    "backoff_seconds",
    "retry_after_until",
    "min_interval_seconds",
    "disabled",
    "disabled_reason",
    "last_status",
    "last_polled_at",
    "last_success_at",
    "last_error_at",
    "last_new_item_at",
    "average_gap_seconds",
    "entries_seen",
)
# One plain SELECT: each poll reads its source's state, and sqlite-utils' table.get() first reads the schema.
_STATE_SQL = f"SELECT {', '.join(_STATE_COLUMNS)} FROM sources WHERE id = ?"
_SOURCE_COLUMNS = ("id", "name", "url", *_STATE_COLUMNS)


def source_state(db: Db, source_id: str) -> SourceState:
    """Return the stored state of a source (empty when never polled)."""
    row = db.execute(_STATE_SQL, [source_id]).fetchone()
    if row is None:
        return SourceState()
    return _state(dict(zip(_STATE_COLUMNS, row, strict=True)))


def list_sources(db: Db) -> list[SourceRow]:
    """Return every stored source with its state, by name."""
    return [
        SourceRow(row["id"], row["name"], row["url"], _state(row))
        for row in (
            dict(zip(_SOURCE_COLUMNS, values, strict=True))
            for values in db.execute(f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM sources ORDER BY lower(name), id")
        )
    ]


def record_poll_success(
    db: Db,
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
    # One statement, no schema reads: a 304 poll costs this UPDATE and its commit, nothing more.
    with db.transaction():
        db.execute(
            "UPDATE sources SET etag = ?, last_modified = ?, body_hash = ?, last_polled_at = ?, last_success_at = ?,"
            " last_status = ?, last_error = NULL, consecutive_failures = 0, backoff_seconds = NULL,"
            " retry_after_until = NULL, entries_seen = ?, next_poll_at = ?, min_interval_seconds = ?,"
            " current_url = coalesce(?, current_url), discovered_from = coalesce(?, discovered_from),"
            " average_gap_seconds = coalesce(?, average_gap_seconds),"
            " last_new_item_at = CASE WHEN CAST(? AS TEXT) IS NOT NULL"
            " AND (last_new_item_at IS NULL OR last_new_item_at < ?)"
            " THEN ? ELSE last_new_item_at END WHERE id = ?",
            [
                state.etag,
                state.last_modified,
                state.body_hash,
                now.isoformat(),
                now.isoformat(),
                status,
                entries,
                _iso(next_poll_at),
                state.min_interval_seconds,
                state.current_url,
                state.discovered_from,
                state.average_gap_seconds,
                _iso(new_items_at),
                _iso(new_items_at),
                _iso(new_items_at),
                source_id,
            ],
        )


def record_poll_failure(
    db: Db,
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
    with db.transaction():
        db.execute(
            "UPDATE sources SET last_polled_at = ?, last_status = ?, last_error = ?, last_error_at = ?,"
            " consecutive_failures = coalesce(consecutive_failures, 0) + 1, next_poll_at = ?, backoff_seconds = ?,"
            " retry_after_until = ?, disabled = CASE WHEN CAST(? AS TEXT) IS NULL THEN disabled ELSE 1 END,"
            " disabled_reason = coalesce(?, disabled_reason) WHERE id = ?",
            [
                now.isoformat(),
                status,
                error,
                now.isoformat(),
                _iso(next_poll_at),
                backoff_seconds,
                _iso(retry_after_until),
                disable_reason,
                disable_reason,
                source_id,
            ],
        )


def enable_source(db: Db, source_id: str) -> bool:
    """Re-enable a disabled source and poll it as soon as possible; return whether it exists."""
    with db.transaction():
        cursor = db.execute(
            "UPDATE sources SET disabled = 0, disabled_reason = NULL, next_poll_at = NULL, current_url = NULL,"
            " consecutive_failures = 0 WHERE id = ?",
            [source_id],
        )
        return cursor.rowcount > 0
