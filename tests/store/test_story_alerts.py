"""One live alert per story, topic and channel: a UNIQUE index, checked by the write, not by a read before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from monitor.models import Article, Match
from monitor.store import Db, insert_article, open_database, stories
from monitor.store import deliveries as outbox
from monitor.store.deliveries import AlertIntent, HitPlan, alert_id
from monitor.store.migrations import migrations

NOW = datetime(2025, 2, 20, 12, 0, tzinfo=UTC)
BASES = Match(topic_id="bases", score=2.0, terms=("tartus",))


def member(story_id: int | None, outlet: str) -> stories.Membership:
    return stories.Membership(story_id, outlet, f"{outlet}/tartus", f"fp-{outlet}", b"")


def alerts_for(url: str, *channels: str) -> HitPlan:
    return HitPlan((BASES,), alerts=tuple(AlertIntent("bases", c, alert_id("bases", url, c)) for c in channels))


def save(db: Db, outlet: str, story_id: int | None, plan: HitPlan) -> stories.StorySaved:
    url = f"https://{outlet}/tartus"
    return stories.save_in_story(
        db,
        Article(title="Frigates leave Tartus", text="text", url=url),
        url=url,
        link=url,
        source_id="src",
        item_key=url,
        member=member(story_id, outlet),
        plan=plan,
        now=NOW,
    )


def story_alerts(db: Db, story_id: int) -> list[tuple[str, str]]:
    rows = db.execute(
        "SELECT topic_id, channel_id FROM deliveries WHERE story_id = ? ORDER BY id", [story_id]
    ).fetchall()
    return [(t, c) for t, c in rows]


@pytest.fixture
def other(db: Db, store_target: Path | str) -> Iterator[Db]:
    """A second connection to the same database: another process writing at the same time."""
    second = open_database(store_target)
    yield second
    second.close()


def test_save_in_story_returns_what_it_wrote(db: Db) -> None:
    first = save(db, "one.example", None, alerts_for("https://one.example/tartus", "hook", "desk"))
    assert (first.is_new, first.joined, first.hits, first.deliveries, first.suppressed) == (True, False, 1, 2, [])
    assert first.story_id is not None
    assert story_alerts(db, first.story_id) == [("bases", "hook"), ("bases", "desk")]
    again = save(db, "one.example", None, alerts_for("https://one.example/tartus", "hook"))
    assert (again.is_new, again.article_id, again.deliveries) == (False, first.article_id, 0)


def test_two_writers_racing_for_one_story_topic_and_channel_queue_exactly_one_alert(db: Db, other: Db) -> None:
    story_id = save(db, "one.example", None, HitPlan(())).story_id
    assert story_id is not None
    # Both decide from the same read: the story has no alert yet, so both plan one on "hook".
    assert stories.story_state(db, member(story_id, "two.example")).alerted == frozenset()
    assert stories.story_state(other, member(story_id, "three.example")).alerted == frozenset()
    two = save(db, "two.example", story_id, alerts_for("https://two.example/tartus", "hook"))
    three = save(other, "three.example", story_id, alerts_for("https://three.example/tartus", "hook", "desk"))
    assert (two.deliveries, two.suppressed) == (1, [])
    assert (three.hits, three.deliveries, three.suppressed) == (1, 1, [("bases", "hook")])
    assert story_alerts(db, story_id) == [("bases", "hook"), ("bases", "desk")]


def test_an_alert_that_failed_for_good_frees_its_story_topic_and_channel(db: Db) -> None:
    saved = save(db, "one.example", None, alerts_for("https://one.example/tartus", "hook"))
    assert saved.story_id is not None
    later = save(db, "two.example", saved.story_id, alerts_for("https://two.example/tartus", "hook"))
    assert (later.hits, later.deliveries, later.suppressed) == (1, 0, [("bases", "hook")])  # refused by the index
    hit_id = db.scalar("SELECT id FROM hits WHERE article_id = ?", [later.article_id])
    story = (saved.story_id, "bases")
    db.execute("UPDATE deliveries SET status = 'dead'")
    assert outbox.live_alerts(db, saved.story_id) == set()
    assert outbox.insert_delivery(db, hit_id, "hook", "msg_again", NOW, story=story) is not None
    assert outbox.insert_delivery(db, hit_id, "desk", "msg_desk", NOW, story=story) is not None
    assert outbox.live_alerts(db, saved.story_id) == {("bases", "hook"), ("bases", "desk")}


def test_putting_back_failed_alerts_keeps_one_per_story_topic_and_channel(db: Db) -> None:
    saved = save(db, "one.example", None, alerts_for("https://one.example/tartus", "hook"))
    assert saved.story_id is not None
    db.execute("UPDATE deliveries SET status = 'failed'")
    later = save(db, "two.example", saved.story_id, alerts_for("https://two.example/tartus", "hook"))
    assert later.deliveries == 1
    db.execute("UPDATE deliveries SET status = 'dead' WHERE status = 'pending'")
    assert outbox.requeue_deliveries(db, None, NOW) == 1  # the older one; the other stays dead
    assert db.execute("SELECT status FROM deliveries ORDER BY id").fetchall() == [("pending",), ("dead",)]
    assert outbox.requeue_deliveries(db, None, NOW) == 0  # a live alert of the story holds the pair


def test_joining_a_story_adopts_the_articles_earlier_alerts(db: Db) -> None:
    url = "https://one.example/tartus"
    article_id, _ = insert_article(
        db, Article(title="t", text="x", url=url), url=url, link=url, source_id="src", now=NOW
    )
    outbox.record_hits(db, article_id=article_id, plan=alerts_for(url, "hook"), now=NOW)
    story_id = stories.add_member(db, article_id, member(None, "one.example"), NOW)
    assert outbox.live_alerts(db, story_id) == {("bases", "hook")}


def test_the_migration_keeps_duplicate_alerts_but_only_the_oldest_in_the_story(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m010_one_alert_per_story")
    old.execute("INSERT INTO articles (id, url, title, text) VALUES (1, 'u1', 't', 'x'), (2, 'u2', 't', 'x')")
    old.execute("INSERT INTO hits (id, topic_id, article_id) VALUES (1, 'bases', 1), (2, 'bases', 2)")
    old.execute("INSERT INTO stories (id, first_article_id, created_at, updated_at) VALUES (5, 1, 'c', 'u')")
    old.execute(
        "INSERT INTO story_articles (article_id, story_id, outlet, joined_at) VALUES (1, 5, 'a', 'j'), (2, 5, 'b', 'j')"
    )
    old.execute(
        "INSERT INTO deliveries (id, hit_id, channel_id, alert_id, status) VALUES"
        " (1, 1, 'hook', 'msg_1', 'sent'), (2, 2, 'hook', 'msg_2', 'pending'), (3, 2, 'desk', 'msg_3', 'failed')"
    )
    old.conn.commit()
    old.close()
    db = open_database(path)
    try:
        rows = db.execute("SELECT id, story_id, topic_id, status FROM deliveries ORDER BY id").fetchall()
        assert rows == [(1, 5, "bases", "sent"), (2, None, "bases", "pending"), (3, 5, "bases", "failed")]
        assert outbox.live_alerts(db, 5) == {("bases", "hook")}
    finally:
        db.close()
