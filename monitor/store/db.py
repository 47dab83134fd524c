"""Open the database: WAL, a busy timeout, foreign keys, and pending migrations applied."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from monitor.errors import StoreError
from monitor.store.migrations import migrations


def open_database(path: Path | None) -> Database:
    """Return the migrated database at ``path`` (in memory when None); raise StoreError if unusable."""
    try:
        if path is None:
            db = Database(memory=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = Database(path)
            db.enable_wal()
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        # Savepoints (nested db.atomic()) otherwise spill their undo records to a temp file: ~2.5x slower inserts.
        db.execute("PRAGMA temp_store = MEMORY")
        migrations.apply(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"database {path or ':memory:'} is unusable: {exc}") from exc
    return db


def stored_time(value: object) -> datetime | None:
    """Return a timestamp as the store writes it (ISO 8601 text), or None for a missing one."""
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def schema_version(db: Database) -> list[str]:
    """Return the names of the applied schema steps, oldest first."""
    return [m.name for m in migrations.applied(db)]


@contextmanager
def transaction(db: Database) -> Iterator[None]:
    """Run the block in a transaction: the caller's if one is open (it owns it and rolls back on error), else a new one.

    Every store function that writes uses this, so only the outermost caller's block is a transaction and nested
    calls (save_in_story -> save_article -> insert_article, mark_seen, record_hits) add no savepoints: SQLite
    journals every page a savepoint touches, which tripled the cost of writing an article's 32 band rows.
    """
    if db.conn.in_transaction:
        yield
    else:
        with db.atomic():
            yield
