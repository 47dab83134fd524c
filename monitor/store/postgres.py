"""The PostgreSQL backend of the ``Db`` seam: several daemons on one database (``database: postgresql://...``).

One synchronous psycopg 3 connection per daemon, not an async pool: the store API is synchronous and is called from
the event loop's thread, as with SQLite, where a statement also blocks the loop for its duration. A local round
trip costs ~0.1 ms, one loop issues one query at a time (a pool would only help queries running concurrently),
and an async driver would make every store function and every caller async. Several daemons, each with its own
connection, are what scale out; if a loop is ever measured stalling on the database, the store calls move to a
worker thread, not the seam to async.

The connection is in autocommit outside ``Db.transaction()``, like the SQLite one. Values read and written behave
as SQLite's do, so the store's SQL and its callers see one behaviour: ``?`` becomes ``%s`` (once per distinct
statement), Python bools are written as 0/1 and boolean results read as 0/1, ``numeric`` results (``sum`` of a
BIGINT column) read as int (or float when fractional) instead of Decimal, and ``str`` parameters are typed ``text``
so that ``? IS NULL`` and ``coalesce(?, ...)`` have a type to resolve (without the NUL characters PostgreSQL
refuses).
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import postgres
from psycopg.adapt import Buffer, Dumper, Loader
from psycopg.pq import TransactionStatus
from psycopg.types.string import StrDumper

from monitor.errors import StoreError
from monitor.store import pg_migrations
from monitor.store.db import Db, Params, Rows, redact

_STREAMS = itertools.count(1)

_TOKEN_RE = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%")


@lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """Return ``sql`` with ``?`` placeholders as psycopg's ``%s`` and every literal ``%`` doubled.

    Quoted strings and identifiers keep their ``?`` (a literal question mark) but double their ``%``: psycopg
    reads every ``%`` of a statement that has parameters.
    """

    def token(found: re.Match[str]) -> str:
        text = found.group(0)
        if text == "?":
            return "%s"
        return text.replace("%", "%%")

    return _TOKEN_RE.sub(token, sql)


class _Text(StrDumper):
    # PostgreSQL text cannot hold U+0000, which SQLite stores: a NUL in a hostile feed's error or text is dropped.
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "") if "\x00" in obj else obj)


class _BoolAsInt(Dumper):
    # SQLite has no booleans: a True parameter is the integer 1 there, and columns such as ``disabled`` are integers.
    oid = postgres.types["int8"].oid

    def dump(self, obj: Any) -> Buffer | None:
        return b"1" if obj else b"0"


class _BoolAsIntLoader(Loader):
    def load(self, data: Buffer) -> Any:
        return 1 if bytes(data) == b"t" else 0


class _NumericAsNumber(Loader):
    def load(self, data: Buffer) -> Any:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class PgDb(Db):
    """One psycopg 3 connection, in autocommit outside ``transaction()``."""

    dialect = "postgresql"
    _driver_errors = (psycopg.Error,)

    def __init__(self, conn: psycopg.Connection[Any], name: str) -> None:
        super().__init__(name)
        self.conn = conn

    @classmethod
    def connect(cls, url: str) -> PgDb:
        """Return a connection to the database at ``url``; raise StoreError naming it (without password) if refused."""
        name = redact(url)
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="monitor")
        except psycopg.Error as exc:
            raise StoreError(f"database {name} is unusable: {exc}") from exc
        if "synchronous_commit" not in url:
            # Each commit would wait for its WAL flush: 3 ms here against 0.12 ms, and a poll commits many small
            # writes. As SQLite's synchronous=NORMAL, a server crash may lose the last fraction of a second of
            # commits, never consistency: those items are read again at the next poll, and a send whose record was
            # lost goes out again under the same id. A URL that sets synchronous_commit (options=-c...) decides.
            conn.execute("SET synchronous_commit = off")
        adapters = conn.adapters
        adapters.register_dumper(str, _Text)
        adapters.register_dumper(bool, _BoolAsInt)
        adapters.register_loader("bool", _BoolAsIntLoader)
        adapters.register_loader("numeric", _NumericAsNumber)
        return cls(conn, name)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> PgDb:
        """Return the database at ``url``, its schema brought up to date unless ``migrate`` is False."""
        db = cls.connect(url)
        try:
            if migrate:
                db.migrate()
        except BaseException:
            db.close()
            raise
        return db

    def execute(self, sql: str, params: Params = ()) -> Rows:
        try:
            return self.conn.execute(to_pyformat(sql), params)
        except psycopg.Error as exc:
            raise StoreError(f"database {self.name}: {exc}") from exc

    def stream(self, sql: str, params: Params = ()) -> Rows:
        # A server-side cursor WITH HOLD: it outlives autocommit's implicit transactions, so the connection keeps
        # serving other statements between batches (a plain cursor would hold the whole archive in memory).
        cursor = self.conn.cursor(name=f"monitor_stream_{next(_STREAMS)}", withhold=True)
        try:
            cursor.execute(to_pyformat(sql), params)
        except psycopg.Error as exc:
            cursor.close()
            raise StoreError(f"database {self.name}: {exc}") from exc
        return cursor

    def executemany(self, sql: str, rows: Any) -> int:
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(to_pyformat(sql), rows)
                return cursor.rowcount
        except psycopg.Error as exc:
            raise StoreError(f"database {self.name}: {exc}") from exc

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def _atomic(self) -> Any:
        return self.conn.transaction()

    def table_names(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        return [str(row[0]) for row in rows]

    def schema_version(self) -> list[str]:
        return pg_migrations.applied(self)

    def migrate(self) -> list[str]:
        return pg_migrations.apply(self)

    def close(self) -> None:
        self.conn.close()
