"""The one door to the database: ``Db``, a connection whose driver errors come out as ``StoreError``.

Every query of monitor runs through a ``Db`` and lives in this package (an import contract forbids ``sqlite3`` and
``sqlite_utils`` elsewhere). Queries are written once, in the SQL both SQLite (>= 3.35) and PostgreSQL accept
(``?`` placeholders, ``INSERT ... ON CONFLICT ... DO NOTHING/DO UPDATE ... RETURNING``); a backend translates what it
must (the PostgreSQL one turns ``?`` into ``%s``). Only the schema, archive search and maintenance differ by backend,
as httpx keeps one client API above its transports.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeGuard
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlite_utils import Database

from monitor.errors import StoreError
from monitor.store.migrations import migrations

Params = Sequence[Any] | Mapping[str, Any]

SCHEMES = ("postgresql", "postgres")  # database: URLs of a PostgreSQL server


class Rows(Protocol):
    """What a query returns: a DB-API cursor reduced to what both drivers share (no ``lastrowid``: use RETURNING)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...

    def close(self) -> None: ...


class Db(ABC):
    """One connection to the store's database, for one thread of one process."""

    dialect: ClassVar[str]

    def __init__(self, name: str) -> None:
        self.name = name  # the file or URL (without a password), for messages

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Rows:
        """Run one statement; raise StoreError if the database refuses it."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for each parameter row; return how many rows they changed in all."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""

    @abstractmethod
    def _atomic(self) -> Any:
        """Return the driver's context manager for one transaction (commit on success, rollback on error)."""

    @abstractmethod
    def table_names(self) -> list[str]:
        """Return the names of the store's tables."""

    @abstractmethod
    def schema_version(self) -> list[str]:
        """Return the names of the applied schema steps, in the order they were applied."""

    @abstractmethod
    def migrate(self) -> list[str]:
        """Apply the schema steps not applied yet; return their names, in the order applied."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in a transaction: the caller's if one is open (it owns it), else a new one.

        Every write uses this, so only the outermost caller's block is a transaction and nested calls
        (save_in_story -> save_article -> insert_article, mark_seen, record_hits) add no savepoints: SQLite journals
        every page a savepoint touches, which tripled the cost of writing an article's 32 band rows.
        """
        if self.in_transaction:
            yield
            return
        try:
            with self._atomic():
                yield
        except self._driver_errors as exc:  # the commit itself failed: disk full, locked, serialization
            raise StoreError(f"database {self.name}: {exc}") from exc

    _driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def stream(self, sql: str, params: Params = ()) -> Rows:
        """Run a query whose rows are read a batch at a time (``fetchmany``) while other statements run; close it.

        SQLite's cursor already steps through the result as it is read; a server backend must not send it whole.
        """
        return self.execute(sql, params)

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Return every row as a dict keyed by column name."""
        rows = self.execute(sql, params)
        names = [column[0] for column in rows.description or ()]
        return [dict(zip(names, row, strict=True)) for row in rows.fetchall()]

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None when there is no row."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]


class SqliteDb(Db):
    """The embedded default: one SQLite file in WAL mode, through sqlite-utils (which also runs the migrations)."""

    dialect = "sqlite"
    _driver_errors = (sqlite3.Error,)

    def __init__(self, database: Database, name: str) -> None:
        super().__init__(name)
        self.utils = database  # sqlite-utils: schema steps and FTS maintenance only
        self.conn: sqlite3.Connection = database.conn

    def execute(self, sql: str, params: Params = ()) -> Rows:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.name}: {exc}") from exc

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        try:
            return self.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.name}: {exc}") from exc

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def _atomic(self) -> Any:
        return self.utils.atomic()

    def table_names(self) -> list[str]:
        return self.utils.table_names()

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.utils)]

    def migrate(self) -> list[str]:
        pending = [m.name for m in migrations.pending(self.utils)]
        try:
            migrations.apply(self.utils)
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.name}: cannot migrate: {exc}") from exc
        return pending

    def close(self) -> None:
        self.utils.close()


def open_database(path: Path | str | None, *, migrate: bool = True, stop_before: str | None = None) -> Db:
    """Return the migrated database at ``path`` (in memory when None); raise StoreError if unusable.

    ``path`` is a SQLite file, or a ``postgresql://`` URL (``monitor.store.postgres``). ``migrate=False`` leaves
    pending schema steps to ``Db.migrate()`` (``monitor db migrate`` reports them). ``stop_before`` names a SQLite
    schema step (``migrations.STEPS``) to leave unapplied with every later one: a database as an older release left
    it, to test upgrades.
    """
    if isinstance(path, str):
        from monitor.store.postgres import PgDb  # imports this module: a cycle at import time

        if is_postgres_url(path):
            return PgDb.open(path, migrate=migrate)
        if "://" in path:
            raise StoreError(f"database {path.split('://', 1)[0]}://...: only postgresql:// URLs or SQLite files")
        path = Path(path)
    try:
        if path is None:
            database = Database(memory=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            database = Database(path)
            database.enable_wal()
        # Autocommit at the driver: a statement outside ``Db.transaction()`` commits by itself (an implicit
        # transaction that nothing commits would swallow every later write), one inside it waits for COMMIT.
        database.conn.isolation_level = None
        database.execute("PRAGMA busy_timeout = 5000")
        database.execute("PRAGMA synchronous = NORMAL")
        database.execute("PRAGMA foreign_keys = ON")
        # Savepoints (nested db.atomic()) otherwise spill their undo records to a temp file: ~2.5x slower inserts.
        database.execute("PRAGMA temp_store = MEMORY")
        if migrate:
            migrations.apply(database, stop_before=stop_before)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"database {path or ':memory:'} is unusable: {exc}") from exc
    return SqliteDb(database, str(path or ":memory:"))


def is_postgres_url(target: object) -> TypeGuard[str]:
    """Return whether ``target`` names a PostgreSQL database (``postgresql://`` or ``postgres://``) and not a file."""
    return isinstance(target, str) and target.split("://", 1)[0].lower() in SCHEMES and "://" in target


def redact(url: str) -> str:
    """Return ``url`` without its password (in the authority or as a ``password=`` parameter), for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def database_name(target: Path | str | None) -> str:
    """Return how messages name a database: its file, or its URL without the password."""
    if target is None:
        return ":memory:"
    return redact(target) if is_postgres_url(target) else str(target)


def stored_time(value: object) -> datetime | None:
    """Return a timestamp as the store writes it (ISO 8601 text), or None for a missing one."""
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def schema_version(db: Db) -> list[str]:
    """Return the names of the applied schema steps, oldest first."""
    return db.schema_version()
