"""Lead vectors of articles with hits: stored by article, read back by time window with story and topics."""

from __future__ import annotations

from datetime import timedelta, timezone

import numpy as np
from store_rows import NOW, count, save

from monitor.store import Db
from monitor.store.maintenance import prune_batch
from monitor.store.stories import Membership, add_member
from monitor.store.vectors import save_vector, vectors_between


def in_story(db: Db, n: int, story_id: int | None, topics: tuple[str, ...] = ("bases",)) -> tuple[int, int]:
    saved = save(db, n, topics=topics)
    story = add_member(db, saved.article_id, Membership(story_id, "news.example", f"k{n}", f"f{n}", b""), NOW)
    return saved.article_id, story


def vector(*values: float) -> bytes:
    return np.asarray(values, dtype="<f4").tobytes()


def test_vectors_come_back_in_their_window_newest_first_with_story_language_and_topics(db: Db) -> None:
    first, story = in_story(db, 1, None, topics=("bases", "navy"))
    second, _ = in_story(db, 2, story)
    late, _ = in_story(db, 3, None)
    save_vector(db, first, "en", NOW - timedelta(hours=3), vector(1, 0))
    save_vector(db, second, "ru", NOW - timedelta(hours=1), vector(0, 1))
    save_vector(db, late, "ar", NOW + timedelta(hours=13), vector(0.6, 0.8))
    rows = vectors_between(db, NOW - timedelta(hours=12), NOW + timedelta(hours=12))
    assert [(r.article_id, r.story_id, r.language) for r in rows] == [(second, story, "ru"), (first, story, "en")]
    assert rows[1].topics == frozenset({"bases", "navy"}) and rows[0].topics == frozenset({"bases"})
    assert np.frombuffer(rows[1].vector, dtype="<f4").tolist() == [1.0, 0.0]
    assert rows[1].at == NOW - timedelta(hours=3)


def test_times_in_any_offset_compare_as_the_same_instant(db: Db) -> None:
    article, _ = in_story(db, 1, None)
    save_vector(db, article, "en", (NOW + timedelta(hours=2)).astimezone(timezone(timedelta(hours=5))), vector(1))
    assert [r.article_id for r in vectors_between(db, NOW + timedelta(hours=2), NOW + timedelta(hours=2))] == [article]
    assert vectors_between(db, NOW, NOW + timedelta(hours=1)) == []


def test_saving_again_replaces_the_vector_and_an_article_outside_any_story_is_not_a_candidate(db: Db) -> None:
    article, _ = in_story(db, 1, None)
    save_vector(db, article, "en", NOW, vector(1, 0))
    save_vector(db, article, "ru", NOW, vector(0, 1))
    (row,) = vectors_between(db, NOW, NOW)
    assert (row.language, np.frombuffer(row.vector, dtype="<f4").tolist()) == ("ru", [0.0, 1.0])
    loose = save(db, 2, topics=("bases",)).article_id
    save_vector(db, loose, "en", NOW, vector(1, 0))
    assert [r.article_id for r in vectors_between(db, NOW, NOW)] == [article]
    assert count(db, "article_vectors") == 2


def test_a_pruned_article_takes_its_vector_with_it(db: Db) -> None:
    article, _ = in_story(db, 1, None, topics=())
    save_vector(db, article, "en", NOW, vector(1, 0))
    later = NOW + timedelta(days=1)
    deleted = prune_batch(db, hits_before=later, articles_before=later, batch=100)
    assert count(db, "article_vectors") == 0 and deleted["article_vectors"] == 1
