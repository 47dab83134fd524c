"""Open the database: WAL, a busy timeout, foreign keys, and pending migrations applied."""

from __future__ import annotations

import sqlite3
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
        db.execute("PRAGMA foreign_keys = ON")
        # Savepoints (nested db.atomic()) otherwise spill their undo records to a temp file: ~2.5x slower inserts.
        db.execute("PRAGMA temp_store = MEMORY")
        migrations.apply(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"database {path or ':memory:'} is unusable: {exc}") from exc
    return db


def schema_version(db: Database) -> list[str]:
    """Return the names of the applied schema steps, oldest first."""
    return [m.name for m in migrations.applied(db)]
