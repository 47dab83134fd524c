"""Copy a whole store into another database (``monitor db copy``): SQLite into PostgreSQL when a user outgrows one
machine, or back.

Tables go in the order their foreign keys allow, in batches read by primary key; a row whose key the target already
has is skipped, so an interrupted copy resumes where it stopped. Row counts are compared at the end, and identity
sequences are moved past the copied ids so the next insert does not collide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.errors import StoreError
from monitor.store import catalog
from monitor.store.db import Db


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """One table's copy: rows written now, rows the source has, rows the target has after it."""

    name: str
    copied: int
    source_rows: int
    target_rows: int


def copy_store(
    source: Db, target: Db, *, batch: int = 1000, on_table: Callable[[CopiedTable], None] | None = None
) -> list[CopiedTable]:
    """Copy every store table of ``source`` into ``target`` (both migrated); raise StoreError if counts differ."""
    missing = set(catalog.store_tables(source)) - set(target.table_names())
    if missing:
        raise StoreError(f"database {target.name} has no table {', '.join(sorted(missing))}: migrate it first")
    done = []
    for table in catalog.store_tables(source):
        copied = _copy_table(source, target, table, batch)
        result = CopiedTable(table, copied, _count(source, table), _count(target, table))
        if result.source_rows != result.target_rows:
            raise StoreError(
                f"copy of {table} from {source.name} to {target.name}: {result.source_rows} rows there,"
                f" {result.target_rows} here (was the source written to during the copy?)"
            )
        done.append(result)
        if on_table is not None:
            on_table(result)
    if target.dialect == "postgresql":
        _advance_identities(target)
    return done


def _count(db: Db, table: str) -> int:
    return int(db.scalar(f'SELECT count(*) FROM "{table}"'))


def _copy_table(source: Db, target: Db, table: str, batch: int) -> int:
    wanted = set(catalog.columns(target, table))
    names = [name for name in catalog.columns(source, table) if name in wanted]
    key = list(catalog.primary_key(source, table)) or names
    listed = ", ".join(f'"{name}"' for name in names)
    keys = ", ".join(f'"{name}"' for name in key)
    marks = ", ".join("?" for _ in names)
    insert = f'INSERT INTO "{table}" ({listed}) VALUES ({marks}) ON CONFLICT DO NOTHING'
    where, copied = "", 0
    after: list[object] = []
    positions = [names.index(name) for name in key]
    while True:
        rows = source.execute(
            f'SELECT {listed} FROM "{table}"{where} ORDER BY {keys} LIMIT ?', [*after, batch]
        ).fetchall()
        if not rows:
            return copied
        with target.transaction():
            copied += target.executemany(insert, [tuple(row) for row in rows])
        after = [rows[-1][i] for i in positions]
        where = f" WHERE ({keys}) > ({', '.join('?' for _ in key)})"


def _advance_identities(db: Db) -> None:
    """Move every identity sequence past the largest id copied in."""
    for table, column in db.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall():
        db.execute(
            f'SELECT setval(pg_get_serial_sequence(?, ?), max("{column}")) FROM "{table}"'
            f' HAVING max("{column}") IS NOT NULL',
            [table, column],
        )
