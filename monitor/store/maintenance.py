"""Upkeep of the database: expired rows go in small batches (with every row that references them), free pages go
back to the file system, and what the file holds is counted for ``monitor db stats``.

The batches are written in SQL both backends accept. What only SQLite has sits in the ``sqlite_*`` functions below
(PRAGMAs, the ``dbstat`` table, the foreign-key catalogue); a PostgreSQL backend gives each a twin
(information_schema, pg_total_relation_size) or none (autovacuum gives pages back by itself).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from monitor.errors import StoreError
from monitor.store.db import Db


def prune_batch(db: Db, *, hits_before: datetime, articles_before: datetime, batch: int) -> Counter[str]:
    """Delete one batch each of expired hits, articles without hits, notices and seen items; return rows per table.

    An article stays as long as one of its hits does: alerts keep their text. Seen items keep a feed's old entries
    from being processed (and alerted) again, so they go only after the longest retention, when no feed lists them.
    The FTS index follows deleted articles through its triggers.
    """
    deleted: Counter[str] = Counter()
    hits_cutoff, articles_cutoff = hits_before.isoformat(), articles_before.isoformat()
    with db.transaction():
        ids = [r[0] for r in db.execute("SELECT id FROM hits WHERE created_at < ? LIMIT ?", [hits_cutoff, batch])]
        _delete(db, "hits", "id", ids, deleted)
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM articles a WHERE fetched_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.article_id = a.id) LIMIT ?",
                [articles_cutoff, batch],
            )
        ]
        _delete(db, "articles", "id", ids, deleted)
        # Notices (spikes, monitor health) live as long as hits.
        ids = [r[0] for r in db.execute("SELECT id FROM notices WHERE created_at < ? LIMIT ?", [hits_cutoff, batch])]
        _delete(db, "notices", "id", ids, deleted)
        gone = db.execute(
            "DELETE FROM seen_items WHERE (source_id, item_key) IN"
            " (SELECT source_id, item_key FROM seen_items WHERE first_seen_at < ? LIMIT ?)",
            [min(hits_cutoff, articles_cutoff), batch],
        ).rowcount
        if gone > 0:
            deleted["seen_items"] += gone
    return deleted


def _delete(db: Db, table: str, column: str, values: list[Any], deleted: Counter[str]) -> None:
    """Delete the rows of ``table`` whose ``column`` is in ``values``, referencing rows first, depth first.

    The references are read from the schema, so pruning keeps working as later schema steps add tables.
    """
    if not values:
        return
    marks = ", ".join("?" for _ in values)
    for child, child_column, key in references(db, table):
        keys = values
        if key != column:
            keys = [r[0] for r in db.execute(f'SELECT "{key}" FROM "{table}" WHERE "{column}" IN ({marks})', values)]
        _delete(db, child, child_column, keys, deleted)
    gone = db.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({marks})', values).rowcount
    if gone > 0:
        deleted[table] += gone


def table_rows(db: Db) -> dict[str, int]:
    """Return the number of rows of every table, by name."""
    return {name: int(db.scalar(f'SELECT count(*) FROM "{name}"')) for name in sorted(db.table_names())}


def article_span(db: Db) -> tuple[str | None, str | None]:
    """Return when the oldest and the newest stored article were fetched (None, None when there is none)."""
    row = db.execute("SELECT min(fetched_at), max(fetched_at) FROM articles").fetchone()
    return row[0], row[1]


def references(db: Db, parent: str) -> list[tuple[str, str, str]]:
    """Return (table, column, parent column) of every foreign key that points at ``parent``, on either backend."""
    return pg_references(db, parent) if db.dialect == "postgresql" else sqlite_references(db, parent)


def incremental_vacuum(db: Db, pages: int) -> int:
    """Give up to ``pages`` free pages back (SQLite); 0 on PostgreSQL, whose autovacuum does it by itself."""
    return 0 if db.dialect == "postgresql" else sqlite_incremental_vacuum(db, pages)


def file_stats(db: Db) -> dict[str, Any]:
    """Return page size, pages, free pages, vacuum mode and journal mode (``sqlite_file_stats`` and its twin)."""
    return pg_file_stats(db) if db.dialect == "postgresql" else sqlite_file_stats(db)


def table_bytes(db: Db) -> dict[str, int]:
    """Return bytes per table with its indexes, where the backend can tell."""
    return pg_table_bytes(db) if db.dialect == "postgresql" else sqlite_table_bytes(db)


# --- PostgreSQL only ---------------------------------------------------------------------------------------------


def pg_references(db: Db, parent: str) -> list[tuple[str, str, str]]:
    """Return (table, column, parent column) of every single-column foreign key on ``parent`` in this schema."""
    rows = db.execute(
        "SELECT child.relname, col.attname, pcol.attname FROM pg_constraint c"
        " JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid"
        " JOIN pg_attribute col ON col.attrelid = c.conrelid AND col.attnum = c.conkey[1]"
        " JOIN pg_attribute pcol ON pcol.attrelid = c.confrelid AND pcol.attnum = c.confkey[1]"
        " WHERE c.contype = 'f' AND p.relname = ? AND p.relnamespace = CAST(current_schema() AS regnamespace)"
        " ORDER BY child.relname, c.conname",
        [parent],
    ).fetchall()
    return [(str(table), str(column), str(key)) for table, column, key in rows]


def pg_table_bytes(db: Db) -> dict[str, int]:
    """Return bytes per table of this schema, with its indexes and TOAST (pg_total_relation_size)."""
    rows = db.execute(
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
        " WHERE c.relkind = 'r' AND c.relnamespace = CAST(current_schema() AS regnamespace)"
    ).fetchall()
    return {str(name): int(size) for name, size in rows}


def server_bytes(db: Db) -> int | None:
    """Return the bytes a database server holds for the store (None for SQLite: its file sizes say it)."""
    return sum(pg_table_bytes(db).values()) if db.dialect == "postgresql" else None


def pg_file_stats(db: Db) -> dict[str, Any]:
    """Return ``sqlite_file_stats``'s keys for a server: its blocks held by this schema, none free (autovacuum)."""
    block = int(db.scalar("SELECT CAST(current_setting('block_size') AS BIGINT)"))
    return {
        "page_size": block,
        "pages": sum(pg_table_bytes(db).values()) // block,
        "free_pages": 0,
        "auto_vacuum": "autovacuum",
        "journal_mode": "wal",
    }


# --- SQLite only -------------------------------------------------------------------------------------------------


def _require_sqlite(db: Db, what: str) -> None:
    if db.dialect != "sqlite":
        raise StoreError(f"database {db.name}: {what} is written for SQLite, not {db.dialect}")


def sqlite_references(db: Db, parent: str) -> list[tuple[str, str, str]]:
    """Return (table, column, parent column) of every foreign key that points at ``parent``."""
    _require_sqlite(db, "the foreign-key catalogue")
    rows = db.execute(
        'SELECT m.name, f."from", f."to" FROM sqlite_master m, pragma_foreign_key_list(m.name) f'
        " WHERE m.type = 'table' AND f.\"table\" = ? ORDER BY m.name, f.id",
        [parent],
    ).fetchall()
    # A key declared without its parent column points at the parent's primary key: every one here is its rowid.
    return [(table, column, key or "rowid") for table, column, key in rows]


def sqlite_incremental_vacuum(db: Db, pages: int) -> int:
    """Give up to ``pages`` free pages back to the file system (incremental auto-vacuum); return how many went."""
    _require_sqlite(db, "incremental vacuum")
    before = int(db.scalar("PRAGMA freelist_count"))
    if before == 0 or db.scalar("PRAGMA auto_vacuum") != 2:
        return 0
    # Each step of the statement frees one page, and the driver steps a statement without result columns once:
    # one statement per page (``incremental_vacuum(2000)`` once freed a single page), in one transaction.
    with db.transaction():
        for _ in range(min(pages, before)):
            db.execute("PRAGMA incremental_vacuum(1)")
    return before - int(db.scalar("PRAGMA freelist_count"))


def sqlite_file_stats(db: Db) -> dict[str, Any]:
    """Return the file's page size, pages, free pages, vacuum mode ("none", "full", "incremental") and journal mode."""
    _require_sqlite(db, "file statistics")
    pragma = {
        name: db.scalar(f"PRAGMA {name}")
        for name in ("page_size", "page_count", "freelist_count", "auto_vacuum", "journal_mode")
    }
    return {
        "page_size": pragma["page_size"],
        "pages": pragma["page_count"],
        "free_pages": pragma["freelist_count"],
        "auto_vacuum": {0: "none", 1: "full", 2: "incremental"}.get(pragma["auto_vacuum"], "?"),
        "journal_mode": pragma["journal_mode"],
    }


def sqlite_table_bytes(db: Db) -> dict[str, int]:
    """Return bytes per table with its indexes, from the dbstat table (empty where SQLite was built without it)."""
    _require_sqlite(db, "table sizes")
    try:
        rows = db.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d"
            " LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
        ).fetchall()
    except StoreError:  # dbstat is a compile-time option: sizes are a nicety, rows still count
        return {}
    return {name: int(size) for name, size in rows}
