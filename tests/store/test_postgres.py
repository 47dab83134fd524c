"""The PostgreSQL backend: its schema is SQLite's, its migrations race safely, values come back as SQLite's do."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from store_rows import PgSchema

from monitor.errors import StoreError
from monitor.store import catalog, open_database
from monitor.store.pg_migrations import STEPS
from monitor.store.postgres import PgDb, redact, to_pyformat


def _shape(db: object) -> dict[str, object]:
    assert isinstance(db, PgDb) or getattr(db, "dialect", "") == "sqlite"
    out: dict[str, object] = {}
    for table in catalog.store_tables(db):  # type: ignore[arg-type]
        out[table] = (
            catalog.columns(db, table),  # type: ignore[arg-type]
            catalog.primary_key(db, table),  # type: ignore[arg-type]
            catalog.indexes(db, table),  # type: ignore[arg-type]
        )
    return out


def test_the_schema_has_the_tables_columns_keys_and_indexes_of_sqlites(tmp_path: Path, pg_url: PgSchema) -> None:
    sqlite, pg = open_database(tmp_path / "monitor.db"), open_database(pg_url())
    try:
        expected, found = _shape(sqlite), _shape(pg)
        assert list(found) == list(expected)  # the same tables, in the same dependency order
        for table, shape in expected.items():
            assert found[table] == shape, table
    finally:
        sqlite.close()
        pg.close()


def test_migrations_apply_once_even_when_two_daemons_start_at_once(pg_url: PgSchema) -> None:
    url = pg_url()
    results: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def migrate() -> None:
        db = open_database(url, migrate=False)
        try:
            start.wait()
            results.append(db.migrate())
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    names = [step.__name__ for step in STEPS]
    assert sorted(results, key=len) == [[], names]  # one applied every step, the other found nothing pending
    db = open_database(url)
    assert db.schema_version() == names and db.migrate() == []
    db.close()


def test_values_read_and_written_as_sqlites(pg_url: PgSchema) -> None:
    db = open_database(pg_url())
    db.execute("INSERT INTO sources (id, name, url, disabled) VALUES (?, ?, ?, ?)", ["s", "S", "u", True])
    row = db.execute(
        "SELECT disabled, disabled = 1, sum(disabled), avg(disabled), 'it''s 100% ?', ? FROM sources GROUP BY id",
        ["%s"],
    ).fetchone()
    assert row == (1, 1, 1, 1, "it's 100% ?", "%s")
    assert db.scalar("SELECT CAST(? AS TEXT) IS NULL", [None]) == 1
    assert db.scalar("SELECT ?", ["bad\x00 byte"]) == "bad byte"  # a hostile feed's NUL cannot stop a write
    db.close()


def test_placeholders_are_translated_outside_quotes_only() -> None:
    assert to_pyformat("SELECT ?, '?', \"a?\", 5 % 2 WHERE x LIKE 'a%'") == (
        "SELECT %s, '?', \"a?\", 5 %% 2 WHERE x LIKE 'a%%'"
    )
    assert to_pyformat("SELECT 'it''s ?' || ?") == "SELECT 'it''s ?' || %s"


def test_messages_never_carry_the_password(pg_url: PgSchema) -> None:
    assert redact("postgresql://ann:s3cret@db.example:5432/news?sslmode=require&password=x") == (
        "postgresql://ann@db.example:5432/news?sslmode=require"
    )
    with pytest.raises(StoreError) as refused:
        open_database("postgresql://nobody:s3cret@127.0.0.1:1/none?connect_timeout=1")
    assert "s3cret" not in str(refused.value) and "postgresql://nobody@127.0.0.1:1/none" in str(refused.value)
    db = open_database(pg_url())
    with pytest.raises(StoreError, match=r"monitor_test_\w+: .*no_such_table"):
        db.execute("SELECT * FROM no_such_table")
    db.close()


def test_only_postgresql_urls_or_files_are_databases() -> None:
    with pytest.raises(StoreError, match="only postgresql:// URLs or SQLite files"):
        open_database("mysql://db.example/news")


def test_commits_do_not_wait_for_the_disk_unless_the_url_says_so(pg_url: PgSchema) -> None:
    db = open_database(pg_url())
    assert db.scalar("SHOW synchronous_commit") == "off"  # as SQLite's synchronous=NORMAL: 3 ms a commit less
    db.close()
    url = pg_url()
    strict = open_database(url + ("&" if "?" in url else "?") + "options=-csynchronous_commit%3Don")
    assert strict.scalar("SHOW synchronous_commit") == "on"
    strict.close()
