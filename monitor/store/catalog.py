"""What the database holds, read from its own catalogue on either backend: the store's tables in the order their
foreign keys allow, their columns, primary keys and indexes. ``monitor db copy`` walks it; a test compares the two
schemas with it."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.store.db import Db
from monitor.store.maintenance import references

# Bookkeeping of each backend (schema steps, the FTS5 index's shadow tables): not the store's data.
_OWN = ("_sqlite_migrations", "monitor_migrations", "articles_fts", "sqlite_")


@dataclass(frozen=True, slots=True)
class Index:
    """An index (or a unique or primary-key constraint) over plain columns."""

    columns: tuple[str, ...]
    unique: bool
    partial: bool = False


def store_tables(db: Db) -> list[str]:
    """Return the store's tables, each after every table it references (so rows can be inserted in this order)."""
    names = sorted(name for name in db.table_names() if not name.startswith(_OWN))
    parents: dict[str, set[str]] = {name: set() for name in names}
    for name in names:
        for child, _, _ in references(db, name):
            if child in parents and child != name:
                parents[child].add(name)
    ordered: list[str] = []
    while parents:
        ready = sorted(name for name, needs in parents.items() if not needs - set(ordered))
        if not ready:  # a cycle of references: the rest in name order (none in the store's schema)
            ready = sorted(parents)
        for name in ready:
            ordered.append(name)
            del parents[name]
    return ordered


def columns(db: Db, table: str) -> list[str]:
    """Return the columns of ``table`` in their declared order."""
    if db.dialect == "postgresql":
        rows = db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ? ORDER BY ordinal_position",
            [table],
        )
        return [str(row[0]) for row in rows]
    return [str(row[1]) for row in db.execute(f'PRAGMA table_info("{table}")')]


def primary_key(db: Db, table: str) -> tuple[str, ...]:
    """Return the primary-key columns of ``table``, in key order."""
    return next((index.columns for index in _indexes(db, table, primary=True)), ())


def indexes(db: Db, table: str) -> set[Index]:
    """Return the indexes of ``table`` over plain columns (expression indexes, such as full-text ones, left out)."""
    return set(_indexes(db, table, primary=False))


def _indexes(db: Db, table: str, *, primary: bool) -> list[Index]:
    found = []
    if db.dialect == "postgresql":
        rows = db.execute(
            "SELECT i.indisunique, i.indisprimary, i.indpred IS NOT NULL,"
            " array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)"
            "  LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)"
            " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
            " WHERE t.relname = ? AND t.relnamespace = CAST(current_schema() AS regnamespace)",
            [table],
        ).fetchall()
        for unique, is_primary, partial, names in rows:
            if bool(is_primary) == primary and None not in names:
                found.append(Index(tuple(names), bool(unique), bool(partial)))
        return found
    info = list(db.execute(f'PRAGMA table_info("{table}")'))
    if primary:
        keyed = sorted((row[5], row[1]) for row in info if row[5])
        return [Index(tuple(name for _, name in keyed), True)] if keyed else []
    for _, name, unique, origin, partial in db.execute(f'PRAGMA index_list("{table}")').fetchall():
        if origin == "pk":
            continue
        names = tuple(str(row[2]) for row in db.execute(f'PRAGMA index_info("{name}")'))
        found.append(Index(names, bool(unique), bool(partial)))
    return found
