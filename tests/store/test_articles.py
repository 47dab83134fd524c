"""Articles, their hits and deliveries stored in one go; seen items recorded once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_rows import NOW

from monitor import store
from monitor.config import Source
from monitor.errors import StoreError
from monitor.models import Article, Match, SemanticHit
from monitor.pipeline.alerts import plan_hits
from monitor.store.deliveries import AlertIntent, HitPlan

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


def save(db: store.Db, url: str, key: str, matches: list[Match]) -> store.SavedArticle:
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
def db(db: store.Db) -> store.Db:
    store.sync_sources(db, [SOURCE], NOW)
    return db


def test_a_hit_by_meaning_keeps_why_until_its_alert_is_sent(db: store.Db) -> None:
    why = SemanticHit(0.8712, "example 2", 0.81)
    save(db, "http://127.0.0.1:1/a", "guid-1", [Match("bases", 8.712, (), ("lead",), semantic=why)])
    assert {p.alert.semantic for p in store.pending_deliveries(db, NOW)} == {why}


def test_pending_delivery_carries_the_alert_and_retries_keep_its_id(db: store.Db) -> None:
    save(db, "http://127.0.0.1:1/a", "guid-1", [Match("bases", 3.5, ("Tartus",), ("snippet",))])
    pending = store.pending_deliveries(db, NOW)
    assert [(p.channel_id, p.alert.topic_title) for p in pending] == [
        ("hook", "Russian bases in Syria"),
        ("desk", "Russian bases in Syria"),
    ]
    hook = pending[0]
    assert hook.alert.source == "Local news" and hook.alert.terms == ("Tartus",)
    assert hook.alert.published == NOW and hook.alert.authors == ("A. Writer",)
    store.mark_delivery_failed(db, hook.id, error="HTTP 503", permanent=False, retry_at=NOW + timedelta(minutes=1))
    assert [p.channel_id for p in store.pending_deliveries(db, NOW)] == ["desk"]
    later = store.pending_deliveries(db, NOW + timedelta(minutes=2))
    assert (later[0].channel_id, later[0].attempts, later[0].alert.id) == ("hook", 1, hook.alert.id)
    store.mark_delivery_sent(db, hook.id, NOW)
    store.mark_delivery_failed(db, pending[1].id, error="HTTP 410", permanent=True, retry_at=None)
    assert store.pending_deliveries(db, NOW + timedelta(days=1)) == []
    assert store.delivery_counts(db) == {"sent": 1, "failed": 1}


def test_an_item_is_marked_seen_once_with_its_first_article(db: store.Db) -> None:
    first = save(db, "http://127.0.0.1:1/a", "guid-1", [])
    store.mark_seen(db, SOURCE.id, "guid-1", None, NOW + timedelta(hours=1))
    rows = db.query("SELECT article_id, first_seen_at FROM seen_items WHERE item_key = 'guid-1'")
    assert rows == [{"article_id": first.article_id, "first_seen_at": NOW.isoformat()}]


def test_source_health_is_recorded(db: store.Db) -> None:
    store.record_poll_failure(db, SOURCE.id, error="timeout", status=None, now=NOW)
    store.record_poll_failure(db, SOURCE.id, error="HTTP 500", status=500, now=NOW)
    state = store.source_state(db, SOURCE.id)
    assert (state.consecutive_failures, state.last_error) == (2, "HTTP 500")
    ok = store.SourceState(etag='"v1"', last_modified=None, body_hash="abc")
    store.record_poll_success(db, SOURCE.id, state=ok, status=200, entries=5, now=NOW)
    state = store.source_state(db, SOURCE.id)
    assert (state.consecutive_failures, state.etag, state.body_hash, state.last_error) == (0, '"v1"', "abc", None)


def test_article_hits_and_deliveries_are_stored_once(db: store.Db) -> None:
    matches = [Match("bases", 3.5, ("Tartus", "Russia"), ("…naval base at Tartus…",)), Match("other", 1.0, ("x",))]
    first = save(db, "http://127.0.0.1:1/a", "guid-1", matches)
    assert (first.is_new, first.hits, first.deliveries) == (True, 2, 3)
    again = save(db, "http://127.0.0.1:1/a", "guid-2", matches)
    assert (again.is_new, again.article_id) == (False, first.article_id)
    assert db.scalar("SELECT count(*) FROM deliveries") == 3
    if db.dialect == "sqlite":  # the archive index of this backend (PostgreSQL's: tests/store/test_archive_search.py)
        fts = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'tartus'").fetchall()
        assert fts == [(first.article_id,)]


def test_a_failing_hit_write_rolls_back_the_article(db: store.Db) -> None:
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
    assert db.scalar("SELECT count(*) FROM seen_items") == 0  # so the next poll tries it again
    assert db.scalar("SELECT count(*) FROM hits") == 0
