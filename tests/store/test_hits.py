"""Hits read back: newest first with where each went (or the story that kept it quiet), per topic and day."""

from __future__ import annotations

from datetime import timedelta

from store_rows import NOW, save

from monitor.store import Db
from monitor.store.hits import has_hit, recent_hits, topic_summaries
from monitor.store.story_queries import story_id_of, story_members


def _same_story(db: Db, story_id: int, *article_ids: int) -> None:
    at = NOW.isoformat()
    db.execute(
        "INSERT INTO stories (id, first_article_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [story_id, article_ids[0], at, at],
    )
    for article_id in article_ids:
        db.execute(
            "INSERT INTO story_articles (article_id, story_id, outlet, joined_at) VALUES (?, ?, 'news.example', ?)",
            [article_id, story_id, at],
        )


def test_recent_hits_newest_first_by_topic_and_age(db: Db) -> None:
    save(db, 1, 2, topics=("bases", "government"))
    save(db, 2, 0.5, topics=("bases",))
    rows = recent_hits(db, topic=None, since=None, limit=10)
    assert (rows[0].topic, rows[0].url, len(rows)) == ("bases", "https://news.example/2", 3)
    assert len(recent_hits(db, topic="bases", since=NOW - timedelta(days=1), limit=10)) == 1
    assert recent_hits(db, topic="bases", since=None, limit=1)[0].title.startswith("Story 2")
    assert rows[0].terms == ("x",) and rows[0].source == "src-1" and rows[0].score == 1.0


def test_a_hit_shows_its_channels_in_queue_order_or_the_story_that_kept_it_quiet(db: Db) -> None:
    first = save(db, 1, 1, topics=("bases",), channels=("hook", "desk"))
    second = save(db, 2, 0, topics=("bases",), channels=())
    alone = save(db, 3, 0, topics=("government",), channels=())
    _same_story(db, 7, first.article_id, second.article_id)
    rows = {r.article_id: r for r in recent_hits(db, topic=None, since=None, limit=10)}
    assert (rows[first.article_id].channels, rows[first.article_id].quiet_story) == (("hook", "desk"), None)
    assert rows[first.article_id].delivery == "hook, desk"
    assert (rows[second.article_id].channels, rows[second.article_id].quiet_story) == ((), 7)
    assert rows[second.article_id].story_id == 7
    assert (rows[alone.article_id].quiet_story, rows[alone.article_id].delivery) == (None, "-")


def test_topic_summaries_count_hits_per_day_and_window_busiest_first(db: Db) -> None:
    save(db, 1, 3, topics=("bases", "government"))
    save(db, 2, 0.5, topics=("bases",))
    save(db, 3, 0.2, topics=("bases",))
    save(db, 4, 10, topics=("government",))
    summaries = topic_summaries(db, since=NOW - timedelta(days=5), now=NOW)
    assert [(s.topic, s.title, s.last_24h, s.last_7d, s.total) for s in summaries] == [
        ("bases", "Bases", 2, 3, 3),
        ("government", "Government", 0, 1, 2),
    ]
    day = (NOW - timedelta(days=3)).date().isoformat()
    assert summaries[1].per_day == {day: 1} and summaries[1].newest == (NOW - timedelta(days=3)).isoformat()


def test_has_hit_and_story_id_of(db: Db) -> None:
    saved = save(db, 1, topics=("bases",))
    other = save(db, 2)
    assert has_hit(db, "bases", saved.article_id) and not has_hit(db, "government", saved.article_id)
    assert not has_hit(db, "bases", other.article_id)
    _same_story(db, 3, saved.article_id)
    assert (story_id_of(db, saved.article_id), story_id_of(db, other.article_id)) == (3, None)


def test_story_members_in_join_order_with_the_topics_each_hit(db: Db) -> None:
    first = save(db, 1, 1, topics=("government", "bases"))
    second = save(db, 2, 0)
    _same_story(db, 4, first.article_id, second.article_id)
    members = story_members(db, 4)
    assert [(m.article_id, m.topics) for m in members] == [
        (first.article_id, ("bases", "government")),
        (second.article_id, ()),
    ]
    assert members[0].title.startswith("Story 1") and members[0].outlet == "news.example"
    assert story_members(db, 99) == []
