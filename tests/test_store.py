"""The store on a real SQLite file: an article, its hits and deliveries are written once, and all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from monitor import store
from monitor.config import Source
from monitor.errors import StoreError
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits
from monitor.store.deliveries import AlertIntent, HitPlan

NOW = datetime(2025, 2, 17, 12, 0, tzinfo=UTC)
SOURCE = Source(id="src-1", name="Local news", url="http://127.0.0.1:1/rss.xml", interval=60)
ARTICLE = Article(
    title="Russia nears deal on Tartus",
    text="Moscow wants to keep the naval base at Tartus in Syria.",
    authors=("A. Writer",),
    published=NOW,
    language="en",
)


def channels_for(topic_id: str, score: float) -> list[str]:
    return ["hook", "desk"] if topic_id == "bases" else ["desk"]


def save(db: sqlite_utils.Database, url: str, key: str, matches: list[Match]) -> store.SavedArticle:
    return store.save_article(
        db,
        ARTICLE,
        url=url,
        link=url,
        source_id=SOURCE.id,
        item_key=key,
        plan=plan_hits(url, matches, {"bases": "Russian bases in Syria"}, channels_for=channels_for),
        now=NOW,
    )


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = store.open_database(tmp_path / "monitor.db")
    store.sync_sources(database, [SOURCE], NOW)
    return database


def test_article_hits_and_deliveries_are_stored_once(db: sqlite_utils.Database) -> None:
    matches = [Match("bases", 3.5, ("Tartus", "Russia"), ("…naval base at Tartus…",)), Match("other", 1.0, ("x",))]
    first = save(db, "http://127.0.0.1:1/a", "guid-1", matches)
    assert (first.is_new, first.hits, first.deliveries) == (True, 2, 3)
    again = save(db, "http://127.0.0.1:1/a", "guid-2", matches)
    assert (again.is_new, again.article_id) == (False, first.article_id)
    assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 3
    fts = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'tartus'").fetchall()
    assert fts == [(first.article_id,)]


def test_a_failing_hit_write_rolls_back_the_article(db: sqlite_utils.Database) -> None:
    # The delivery row is refused (alert_id is NOT NULL) after the article and its hit were written.
    broken = AlertIntent("bases", "hook", None)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.save_article(
            db,
            ARTICLE,
            url="http://127.0.0.1:1/b",
            link="http://127.0.0.1:1/b",
            source_id=SOURCE.id,
            item_key="guid-b",
            plan=HitPlan([Match("bases", 2.0, ("Tartus",))], alerts=[broken]),
            now=NOW,
        )
    assert store.find_article(db, "http://127.0.0.1:1/b") is None
    assert db.execute("SELECT count(*) FROM seen_items").fetchone()[0] == 0  # so the next poll tries it again
    assert db.execute("SELECT count(*) FROM hits").fetchone()[0] == 0
