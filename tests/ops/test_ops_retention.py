"""Retention with a controlled clock: what expires goes (children and FTS rows with it), what is kept stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor import ops, store
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86400.0


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return store.open_database(tmp_path / "monitor.db")


def _save(db: Database, n: int, days_ago: float, topics: tuple[str, ...] = (), words: str = "") -> None:
    url = f"https://news.example/{n}"
    article = Article(title=f"Story {n} {words}", text=f"Body of story {n} about {words}. " * 40, url=url)
    store.save_article(
        db,
        article,
        url=url,
        link=url,
        source_id="src-1",
        item_key=url,
        plan=plan_hits(
            url,
            [Match(topic_id=t, score=1.0, terms=("x",)) for t in topics],
            {t: t for t in topics},
            channels_for=lambda topic, score: ["log"],
        ),
        now=NOW - timedelta(days=days_ago),
    )


def _count(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])


def test_prune_drops_expired_articles_and_hits_keeps_the_rest(db: Database) -> None:
    _save(db, 1, 200, words="tartus")  # expired article, no hit: goes
    _save(db, 2, 200, topics=("bases",), words="khmeimim")  # expired article with a live hit: stays
    _save(db, 3, 400, topics=("bases",), words="latakia")  # hit expired too: both go, with the delivery
    _save(db, 4, 10, topics=("bases",), words="hmeimim")  # recent: stays
    result = ops.prune(db, articles_age=90 * DAY, hits_age=365 * DAY, now=NOW)
    assert result.deleted["articles"] == 2 and result.deleted["hits"] == 1 and result.deleted["deliveries"] == 1
    assert sorted(r[0] for r in db.execute("SELECT url FROM articles")) == [
        "https://news.example/2",
        "https://news.example/4",
    ]
    assert _count(db, "hits") == 2 and _count(db, "deliveries") == 2
    # the full-text index follows: pruned words are gone, kept ones are found, and the index is intact
    fts = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    assert db.execute(fts, ["tartus"]).fetchone()[0] == 0
    assert db.execute(fts, ["latakia"]).fetchone()[0] == 0
    assert db.execute(fts, ["khmeimim"]).fetchone()[0] == 1
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    # seen items outlive articles (a feed still listing an old item must not re-alert it) until the longest age
    assert _count(db, "seen_items") == 3


def test_prune_follows_foreign_keys_of_tables_added_later(db: Database) -> None:
    db.execute("CREATE TABLE story_members (id INTEGER PRIMARY KEY, article_id INTEGER REFERENCES articles(id))")
    _save(db, 1, 200)
    db.execute("INSERT INTO story_members (article_id) SELECT id FROM articles")
    result = ops.prune(db, articles_age=90 * DAY, hits_age=365 * DAY, now=NOW)
    assert result.deleted["story_members"] == 1 and _count(db, "articles") == 0


def test_prune_in_batches_and_give_pages_back(db: Database) -> None:
    for n in range(1200):
        _save(db, n, 100, words="filler " * 50)
    before = db.execute("PRAGMA page_count").fetchone()[0]
    step = ops.prune_step(db, articles_age=90 * DAY, hits_age=365 * DAY, now=NOW, batch=500)
    assert step.deleted["articles"] == 500
    result = ops.prune(db, articles_age=90 * DAY, hits_age=365 * DAY, now=NOW)
    assert result.deleted["articles"] == 700 and _count(db, "articles") == 0
    assert result.freed_pages > 0
    assert db.execute("PRAGMA page_count").fetchone()[0] < before
    assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental, set by m005_ops


def test_nothing_expired_nothing_deleted(db: Database) -> None:
    _save(db, 1, 1, topics=("bases",))
    assert ops.prune(db, articles_age=90 * DAY, hits_age=365 * DAY, now=NOW).total == 0


def test_database_stats(db: Database, tmp_path: Path) -> None:
    _save(db, 1, 2, topics=("bases", "government"))
    _save(db, 2, 0.5, topics=("bases",))
    stats = ops.database_stats(db, tmp_path / "monitor.db")
    assert stats["tables"]["articles"]["rows"] == 2 and stats["tables"]["hits"]["rows"] == 3
    assert stats["auto_vacuum"] == "incremental" and stats["files"]["monitor.db"] > 0
    assert stats["tables"]["articles"]["bytes"] > 0
    assert stats["articles_from"] == (NOW - timedelta(days=2)).isoformat() and stats["last_heartbeat"] is None
