"""Feed items as we saw them: each source's item identity scheme and what each processed item looked like."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from monitor.store.db import transaction

# SQLite allows 32,766 parameters per statement; feeds rarely have more than a few hundred items.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SeenRow:
    """A processed item of a source; link_key, title, entry_hash and checked_at are None for rows before m006."""

    key: str
    article_id: int | None
    link_key: str | None
    title: str | None
    entry_hash: str | None
    checked_at: datetime | None


def item_identity(db: Database, source_id: str) -> str | None:
    """Return how a source's items are identified ("url", "content"), or None for the feed's own guids."""
    row = db.execute("SELECT item_identity FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else None


def set_item_identity(db: Database, source_id: str, identity: str, reason: str) -> None:
    """Remember that a source's items are identified by ``identity`` from now on, and why."""
    with transaction(db):
        db.execute(
            "UPDATE sources SET item_identity = ?, item_identity_reason = ? WHERE id = ?", [identity, reason, source_id]
        )


def _rows(db: Database, source_id: str, column: str, values: Iterable[str]) -> list[SeenRow]:
    wanted = sorted(set(values))
    found: list[SeenRow] = []
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        rows = db.execute(
            "SELECT item_key, article_id, link_key, title, entry_hash, checked_at FROM seen_items"
            f" WHERE source_id = ? AND {column} IN ({', '.join('?' for _ in part)})",
            [source_id, *part],
        ).fetchall()
        found.extend(SeenRow(k, a, lk, t, h, datetime.fromisoformat(c) if c else None) for k, a, lk, t, h, c in rows)
    return found


def seen_by_key(db: Database, source_id: str, keys: Iterable[str]) -> dict[str, SeenRow]:
    """Return the processed items of a source among ``keys``, by key."""
    return {row.key: row for row in _rows(db, source_id, "item_key", keys)}


def seen_by_link(db: Database, source_id: str, link_keys: Iterable[str]) -> dict[str, SeenRow]:
    """Return the processed items of a source whose link has one of ``link_keys``, by link key (oldest wins)."""
    found: dict[str, SeenRow] = {}
    for row in _rows(db, source_id, "link_key", link_keys):
        if row.link_key is not None:
            found.setdefault(row.link_key, row)
    return found


def describe_item(
    db: Database, source_id: str, key: str, *, link_key: str, title: str, entry_hash: str, now: datetime
) -> None:
    """Record what a processed item looked like, so the next poll can tell a changed or lying feed."""
    with transaction(db):
        db.execute(
            "UPDATE seen_items SET link_key = ?, title = ?, entry_hash = ?, checked_at = ?"
            " WHERE source_id = ? AND item_key = ?",
            [link_key, title[:500], entry_hash, now.isoformat(), source_id, key],
        )
