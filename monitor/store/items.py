"""Feed items as we saw them: each source's item identity scheme and what each processed item looked like."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monitor.store.db import Db, stored_time

# SQLite allows 32,766 parameters per statement; feeds rarely have more than a few hundred items.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SeenRow:
    """A processed item of a source; link_key, title, entry_hash and checked_at are None for rows before m006,
    outcome and retry_at for rows before m008."""

    key: str
    article_id: int | None
    link_key: str | None
    title: str | None
    entry_hash: str | None
    checked_at: datetime | None
    outcome: str | None = None
    retry_at: datetime | None = None
    attempts: int = 0


# The outcomes an item can end in, one per item (``ItemOutcome.outcome``).
OUTCOMES = ("new", "duplicate", "revised", "unchanged", "not_article", "failed")


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """How one feed item ended: its outcome and the trail that led there (``monitor trace`` shows it)."""

    outcome: str  # one of OUTCOMES
    detail: str = ""
    article_id: int | None = None
    text_from: str | None = None  # page, feed content, feed summary, headline
    text_chars: int = 0
    page_url: str | None = None
    page_status: int | None = None
    page_bytes: int | None = None
    page_error: str | None = None
    skip_reason: str | None = None
    retry_at: datetime | None = None  # when to fetch the page again


def item_identity(db: Db, source_id: str) -> str | None:
    """Return how a source's items are identified ("url", "content"), or None for the feed's own guids."""
    row = db.execute("SELECT item_identity FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else None


def set_item_identity(db: Db, source_id: str, identity: str, reason: str) -> None:
    """Remember that a source's items are identified by ``identity`` from now on, and why."""
    with db.transaction():
        db.execute(
            "UPDATE sources SET item_identity = ?, item_identity_reason = ? WHERE id = ?", [identity, reason, source_id]
        )


def _rows(db: Db, source_id: str, column: str, values: Iterable[str]) -> list[SeenRow]:
    wanted = sorted(set(values))
    found: list[SeenRow] = []
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        rows = db.execute(
            "SELECT item_key, article_id, link_key, title, entry_hash, checked_at, outcome, retry_at, attempts"
            f" FROM seen_items WHERE source_id = ? AND {column} IN ({', '.join('?' for _ in part)})",
            [source_id, *part],
        ).fetchall()
        found.extend(
            SeenRow(k, a, lk, t, h, stored_time(c), o, stored_time(r), n or 0) for k, a, lk, t, h, c, o, r, n in rows
        )
    return found


def seen_by_key(db: Db, source_id: str, keys: Iterable[str]) -> dict[str, SeenRow]:
    """Return the processed items of a source among ``keys``, by key."""
    return {row.key: row for row in _rows(db, source_id, "item_key", keys)}


def seen_by_link(db: Db, source_id: str, link_keys: Iterable[str]) -> dict[str, SeenRow]:
    """Return the processed items of a source whose link has one of ``link_keys``, by link key (oldest wins)."""
    found: dict[str, SeenRow] = {}
    for row in _rows(db, source_id, "link_key", link_keys):
        if row.link_key is not None:
            found.setdefault(row.link_key, row)
    return found


def record_item(
    db: Db,
    source_id: str,
    key: str,
    result: ItemOutcome,
    *,
    link: str,
    link_key: str,
    title: str,
    entry_hash: str | None,
    now: datetime,
) -> None:
    """Record how a processed item ended and what it looked like (so the next poll can tell a changed or lying
    feed); the row is created if the item was never stored (a failure, not an article)."""
    failed = result.outcome == "failed"
    with db.transaction():
        db.execute(
            "INSERT INTO seen_items (source_id, item_key, article_id, first_seen_at, link_key, title, entry_hash,"
            " checked_at, outcome, detail, link, text_from, text_chars, page_url, page_status, page_bytes,"
            " page_error, skip_reason, attempts, retry_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source_id, item_key) DO UPDATE SET"
            " article_id = coalesce(excluded.article_id, seen_items.article_id),"
            " link_key = excluded.link_key, title = excluded.title,"
            # A failure keeps what the item looked like when it last went through, so it is retried as it was.
            " entry_hash = CASE WHEN excluded.outcome = 'failed' THEN seen_items.entry_hash"
            " ELSE excluded.entry_hash END,"
            # A stored item that failed again or was re-fetched unchanged keeps its outcome and its text's origin.
            " checked_at = excluded.checked_at, outcome = CASE WHEN excluded.outcome IN ('failed', 'unchanged')"
            " AND seen_items.article_id IS NOT NULL THEN seen_items.outcome ELSE excluded.outcome END,"
            " detail = excluded.detail, link = excluded.link,"
            " text_from = CASE WHEN excluded.outcome IN ('failed', 'unchanged') THEN seen_items.text_from"
            " ELSE excluded.text_from END,"
            " text_chars = CASE WHEN excluded.outcome IN ('failed', 'unchanged') THEN seen_items.text_chars"
            " ELSE excluded.text_chars END,"
            " page_url = excluded.page_url, page_status = excluded.page_status, page_bytes = excluded.page_bytes,"
            " page_error = excluded.page_error, skip_reason = excluded.skip_reason,"
            " attempts = CASE WHEN excluded.outcome = 'failed' OR excluded.retry_at IS NOT NULL"
            " THEN coalesce(seen_items.attempts, 0) + 1 ELSE 0 END,"
            " retry_at = excluded.retry_at, updated_at = excluded.updated_at",
            [
                source_id,
                key,
                result.article_id,
                now.isoformat(),
                link_key,
                title[:500],
                None if failed else entry_hash,
                now.isoformat(),
                result.outcome,
                result.detail[:1000],
                link[:2000],
                result.text_from,
                result.text_chars if result.text_from else None,
                result.page_url,
                result.page_status,
                result.page_bytes,
                _short(result.page_error),
                _short(result.skip_reason),
                1 if failed or result.retry_at else 0,
                result.retry_at.isoformat() if result.retry_at else None,
                now.isoformat(),
            ],
        )


def retry_due(db: Db, source_id: str, now: datetime) -> bool:
    """Return whether an item of the source has a page to fetch again by ``now``."""
    row = db.execute(
        "SELECT 1 FROM seen_items WHERE retry_at IS NOT NULL AND retry_at <= ? AND source_id = ? LIMIT 1",
        [now.isoformat(), source_id],
    ).fetchone()
    return row is not None


def drop_retries(db: Db, source_id: str, now: datetime, *, present: Iterable[str]) -> int:
    """Give up the due page retries of items no longer in their feed (their page is not fetched again); return
    how many. Without this a departed item would keep its feed from ever being read conditionally again."""
    due = [
        key
        for (key,) in db.execute(
            "SELECT item_key FROM seen_items WHERE retry_at IS NOT NULL AND retry_at <= ? AND source_id = ?",
            [now.isoformat(), source_id],
        ).fetchall()
    ]
    gone = sorted(set(due) - set(present))
    if gone:
        with db.transaction():
            for start in range(0, len(gone), _CHUNK):
                part = gone[start : start + _CHUNK]
                db.execute(
                    "UPDATE seen_items SET retry_at = NULL, detail = detail || '; left the feed before its page"
                    f" could be fetched again' WHERE source_id = ? AND item_key IN ({', '.join('?' for _ in part)})",
                    [source_id, *part],
                )
    return len(gone)


def _short(text: str | None) -> str | None:
    return text[:500] if text else None


def outcome_counts(db: Db) -> dict[str, dict[str, int]]:
    """Return, per source id, how many of its items ended in each outcome (items before m008 are not counted)."""
    counts: dict[str, dict[str, int]] = {}
    for source_id, outcome, n in db.execute(
        "SELECT source_id, outcome, count(*) FROM seen_items WHERE outcome IS NOT NULL GROUP BY source_id, outcome"
    ).fetchall():
        counts.setdefault(source_id, {})[outcome] = int(n)
    return counts


def text_origin_counts(db: Db) -> dict[str, dict[str, int]]:
    """Return, per source id, how many stored items took their text from the page, the feed or the headline."""
    counts: dict[str, dict[str, int]] = {}
    for source_id, origin, n in db.execute(
        "SELECT source_id, text_from, count(*) FROM seen_items WHERE text_from IS NOT NULL"
        " AND outcome IN ('new', 'revised') GROUP BY source_id, text_from"
    ).fetchall():
        counts.setdefault(source_id, {})[origin] = int(n)
    return counts


@dataclass(frozen=True, slots=True)
class ItemTrail:
    """A stored item row as ``monitor trace`` reads it."""

    source_id: str
    key: str
    article_id: int | None
    first_seen_at: str
    updated_at: str | None
    link: str | None
    title: str | None
    outcome: str | None
    detail: str | None
    text_from: str | None
    text_chars: int | None
    page_url: str | None
    page_status: int | None
    page_bytes: int | None
    page_error: str | None
    skip_reason: str | None
    attempts: int
    retry_at: str | None


_TRAIL_COLUMNS = (
    "source_id, item_key, article_id, first_seen_at, updated_at, link, title, outcome, detail, text_from,"
    " text_chars, page_url, page_status, page_bytes, page_error, skip_reason, coalesce(attempts, 0), retry_at"
)


def item_trails(
    db: Db, *, link_key: str | None = None, article_id: int | None = None, key: str | None = None
) -> list[ItemTrail]:
    """Return every source's record of an item, found by its link key, its stored article or its item key."""
    rows = db.execute(
        f"SELECT {_TRAIL_COLUMNS} FROM seen_items WHERE link_key = ? OR article_id = ? OR item_key = ?"
        " ORDER BY first_seen_at",
        [link_key, article_id, key],
    ).fetchall()
    return [ItemTrail(*row) for row in rows]
