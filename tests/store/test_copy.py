"""``monitor db copy``: a SQLite store filled through store functions arrives whole in PostgreSQL, resumably."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_rows import NOW, PgSchema, notice, save

from monitor.config import Source
from monitor.errors import StoreError
from monitor.store import Db, catalog, open_database, sync_sources
from monitor.store.copy import copy_store
from monitor.store.hits import recent_hits
from monitor.store.notices import queue_notice
from monitor.store.sources import list_sources

SOURCES = (Source(id="src-1", name="Wire", url="http://127.0.0.1:1/feed.xml", interval=60),)


def _fill(db: Db) -> None:
    sync_sources(db, SOURCES, NOW)
    for n in range(25):
        save(db, n, days_ago=n % 3, topics=("syria",) if n % 2 else ("syria", "russia"), words=f"word{n}")
    queue_notice(db, notice("src-1"), ["log"], NOW)


def _answers(db: Db) -> object:
    hits = recent_hits(db, topic="syria", since=None, limit=100)
    return (
        [(h.created_at, h.topic, h.title, h.url, h.delivery) for h in hits],
        [(s.id, s.name) for s in list_sources(db)],
        db.query("SELECT id, url, title, text FROM articles ORDER BY id"),
    )


def test_a_sqlite_store_arrives_whole_and_a_second_run_copies_nothing(tmp_path: Path, pg_url: PgSchema) -> None:
    sqlite, pg = open_database(tmp_path / "monitor.db"), open_database(pg_url())
    try:
        _fill(sqlite)
        first = copy_store(sqlite, pg, batch=7)  # several batches per table
        counted = {t.name: t.source_rows for t in first}
        assert counted["articles"] == 25 and counted["hits"] == 38 and counted["notice_deliveries"] == 1
        assert all(t.copied == t.source_rows == t.target_rows for t in first)
        assert _answers(pg) == _answers(sqlite)
        assert [t.copied for t in copy_store(sqlite, pg, batch=7)] == [0] * len(first)  # resumed: nothing left
        # New rows on PostgreSQL get ids past the copied ones.
        assert save(pg, 100, topics=("syria",)).article_id == 26
    finally:
        sqlite.close()
        pg.close()


def test_an_interrupted_copy_resumes_with_the_rows_not_there(tmp_path: Path, pg_url: PgSchema) -> None:
    sqlite, pg = open_database(tmp_path / "monitor.db"), open_database(pg_url())
    try:
        _fill(sqlite)
        sync_sources(pg, SOURCES, NOW)
        for n in range(10):  # as a copy stopped after 10 articles (and their hits and deliveries) left them
            save(pg, n, days_ago=n % 3, topics=("syria",) if n % 2 else ("syria", "russia"), words=f"word{n}")
        copied = {t.name: t.copied for t in copy_store(sqlite, pg)}
        assert copied["articles"] == 15 and copied["sources"] == 0
        assert {t: int(pg.scalar(f'SELECT count(*) FROM "{t}"')) for t in catalog.store_tables(pg)} == {
            t: int(sqlite.scalar(f'SELECT count(*) FROM "{t}"')) for t in catalog.store_tables(sqlite)
        }
    finally:
        sqlite.close()
        pg.close()


def test_a_target_without_the_schema_is_refused(tmp_path: Path, pg_url: PgSchema) -> None:
    sqlite, bare = open_database(tmp_path / "monitor.db"), open_database(pg_url(), migrate=False)
    with pytest.raises(StoreError, match="migrate it first"):
        copy_store(sqlite, bare)
    sqlite.close()
    bare.close()
