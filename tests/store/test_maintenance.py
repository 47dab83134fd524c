"""Retention batches, references followed through the schema, free pages given back, what the file holds."""

from __future__ import annotations

from datetime import timedelta

from store_rows import NOW, count, notice, save, sqlite_only

from monitor.store import Db
from monitor.store import maintenance as m
from monitor.store.notices import queue_notice

HITS_BEFORE = NOW - timedelta(days=365)
ARTICLES_BEFORE = NOW - timedelta(days=90)


def _prune(db: Db, batch: int = 500) -> dict[str, int]:
    return dict(m.prune_batch(db, hits_before=HITS_BEFORE, articles_before=ARTICLES_BEFORE, batch=batch))


def test_a_batch_drops_expired_articles_and_hits_and_keeps_the_rest(db: Db) -> None:
    save(db, 1, 200, words="tartus")  # expired article, no hit: goes
    save(db, 2, 200, topics=("bases",), words="khmeimim")  # expired article with a live hit: stays
    save(db, 3, 400, topics=("bases",), words="latakia")  # hit expired too: both go, with the delivery
    save(db, 4, 10, topics=("bases",), words="hmeimim")  # recent: stays
    deleted = _prune(db)
    assert (deleted["articles"], deleted["hits"], deleted["deliveries"]) == (2, 1, 1)
    assert "story_articles" not in deleted  # only tables that lost rows are reported
    assert [r["url"] for r in db.query("SELECT url FROM articles ORDER BY url")] == [
        "https://news.example/2",
        "https://news.example/4",
    ]
    assert count(db, "hits") == 2 and count(db, "deliveries") == 2
    # seen items outlive articles (a feed still listing an old item must not re-alert it) until the longest age
    assert count(db, "seen_items") == 3 and deleted["seen_items"] == 1
    assert _prune(db) == {}


def test_a_batch_takes_the_full_text_index_along(db: Db) -> None:
    sqlite_only(db)
    save(db, 1, 200, words="tartus")
    save(db, 2, 200, topics=("bases",), words="khmeimim")
    _prune(db)
    fts = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    assert (db.scalar(fts, ["tartus"]), db.scalar(fts, ["khmeimim"])) == (0, 1)
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")  # raises if the index is broken


def test_seen_items_go_after_the_longest_age(db: Db) -> None:
    save(db, 1, 400)
    save(db, 2, 100)
    deleted = _prune(db)
    assert deleted["seen_items"] == 1 and count(db, "seen_items") == 1


def test_expired_notices_go_with_their_deliveries(db: Db) -> None:
    queue_notice(db, notice("old", created_at=NOW - timedelta(days=400)), ["hook"], NOW)
    queue_notice(db, notice("new"), ["hook"], NOW)
    assert _prune(db)["notices"] == 1
    assert count(db, "notices") == 1 and count(db, "notice_deliveries") == 1


def test_a_batch_follows_references_of_tables_added_later(db: Db) -> None:
    db.execute("CREATE TABLE story_members (id INTEGER PRIMARY KEY, article_id INTEGER REFERENCES articles (id))")
    db.execute("CREATE TABLE member_notes (member_id INTEGER REFERENCES story_members (id), note TEXT)")
    save(db, 1, 200)
    save(db, 2, 1)
    db.execute("INSERT INTO story_members (id, article_id) SELECT id, id FROM articles")
    db.execute("INSERT INTO member_notes (member_id, note) SELECT id, 'n' FROM story_members")
    deleted = _prune(db)
    assert (deleted["articles"], deleted["story_members"], deleted["member_notes"]) == (1, 1, 1)
    assert count(db, "story_members") == 1 and count(db, "member_notes") == 1


def test_a_batch_deletes_at_most_batch_rows_per_table(db: Db) -> None:
    for n in range(7):
        save(db, n, 100)
    assert _prune(db, batch=5)["articles"] == 5
    assert _prune(db, batch=5)["articles"] == 2


def test_references_are_read_from_the_schema(db: Db) -> None:
    sqlite_only(db)
    assert sorted(m.sqlite_references(db, "hits")) == [("deliveries", "hit_id", "id"), ("feedback", "hit_id", "id")]
    assert sorted(m.sqlite_references(db, "articles")) == [
        ("hits", "article_id", "id"),
        ("story_articles", "article_id", "id"),
    ]


def test_incremental_vacuum_gives_free_pages_back(db: Db) -> None:
    sqlite_only(db)
    assert m.sqlite_incremental_vacuum(db, 100) == 0  # nothing free yet
    for n in range(300):
        save(db, n, 100, words="filler " * 50)
    before = db.scalar("PRAGMA page_count")
    while _prune(db):
        pass
    freed = m.sqlite_incremental_vacuum(db, 10)
    assert freed == 10 and db.scalar("PRAGMA page_count") == before - 10
    assert m.sqlite_incremental_vacuum(db, 1_000_000) > 0 and db.scalar("PRAGMA freelist_count") == 0


def test_rows_span_and_file_statistics(db: Db) -> None:
    assert m.article_span(db) == (None, None)
    save(db, 1, 2, topics=("bases", "government"))
    save(db, 2, 0.5, topics=("bases",))
    rows = m.table_rows(db)
    assert (rows["articles"], rows["hits"], rows["deliveries"], rows["stories"]) == (2, 3, 3, 0)
    assert m.article_span(db) == ((NOW - timedelta(days=2)).isoformat(), (NOW - timedelta(days=0.5)).isoformat())


def test_sqlite_file_statistics_and_table_bytes(db: Db) -> None:
    sqlite_only(db)
    save(db, 1, 1, words="tartus")
    stats = m.sqlite_file_stats(db)
    assert stats["auto_vacuum"] == "incremental" and stats["journal_mode"] == "wal"
    assert stats["pages"] > stats["free_pages"] >= 0 and stats["page_size"] >= 512
    sizes = m.sqlite_table_bytes(db)
    assert sizes["articles"] > 0 and set(sizes) <= set(db.table_names()) | {"sqlite_schema", "sqlite_master"}


def test_a_server_says_how_many_bytes_the_store_holds(db: Db) -> None:
    save(db, 1, 1, topics=("syria",))
    size = m.server_bytes(db)
    if db.dialect == "sqlite":
        assert size is None  # its file and WAL say it
    else:
        assert size is not None and size >= sum(m.table_bytes(db).values()) > 0
        assert m.file_stats(db)["pages"] * m.file_stats(db)["page_size"] <= size
