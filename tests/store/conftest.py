"""The store suite: every test here runs against each backend of the ``Db`` seam (``db`` fixture).

PostgreSQL tests connect to ``MONITOR_TEST_POSTGRES`` (default ``postgresql:///test``, the local socket) and work in
a schema of their own, dropped afterwards. Where no server answers they are skipped with the reason, unless
``MONITOR_REQUIRE_POSTGRES=1`` (CI), under which they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import psycopg
import pytest

from monitor.store import Db, open_database

BACKENDS = ["sqlite", "postgresql"]

PgSchema = Callable[[], str]


def in_schema(url: str, schema: str) -> str:
    """Return ``url`` with ``schema`` as the connection's search path."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"  # urlunsplit drops an empty host's //


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[psycopg.Connection[object]]:
    """Return an autocommit connection to the test server; skip (or fail under MONITOR_REQUIRE_POSTGRES=1) without."""
    url = os.environ.get("MONITOR_TEST_POSTGRES", "postgresql:///test")
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        reason = f"no PostgreSQL at MONITOR_TEST_POSTGRES={url}: {exc}".strip()
        if os.environ.get("MONITOR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (MONITOR_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    yield conn
    conn.close()


@pytest.fixture
def pg_url(postgres_server: psycopg.Connection[object]) -> Iterator[PgSchema]:
    """Return a factory of URLs, each to a fresh empty schema of the test server, dropped after the test."""
    base = os.environ.get("MONITOR_TEST_POSTGRES", "postgresql:///test")
    made: list[str] = []

    def fresh() -> str:
        schema = f"monitor_test_{secrets.token_hex(6)}"
        postgres_server.execute(f"CREATE SCHEMA {schema}")
        made.append(schema)
        return in_schema(base, schema)

    yield fresh
    for schema in made:
        postgres_server.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Return the name of the backend under test."""
    return str(request.param)


@pytest.fixture
def store_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Return where an empty store of the backend under test lives: a SQLite file or a PostgreSQL URL."""
    if backend == "sqlite":
        return tmp_path / "monitor.db"
    fresh: PgSchema = request.getfixturevalue("pg_url")
    return fresh()


@pytest.fixture
def db(store_target: Path | str, backend: str) -> Iterator[Db]:
    """Return a migrated, empty store on one backend, closed (and dropped) after the test."""
    database = open_database(store_target)
    assert database.dialect == backend
    yield database
    database.close()
