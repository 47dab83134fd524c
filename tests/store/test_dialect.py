"""Store functions whose SQL had to change to run on PostgreSQL too (typed NULL tests, qualified upsert columns,
aliased subqueries, aggregates in HAVING): the same answers on both backends."""

from __future__ import annotations

from datetime import timedelta

from store_rows import NOW

from monitor.config import Source
from monitor.models import Article
from monitor.store import (
    Db,
    digests,
    notices,
    record_poll_failure,
    record_poll_success,
    source_state,
    stories,
    sync_sources,
)
from monitor.store.deliveries import HitPlan
from monitor.store.sources import SourceState
from monitor.store.story_queries import list_stories

SOURCE = Source(id="src-1", name="Wire", url="http://127.0.0.1:1/feed.xml", interval=60)


def test_a_poll_keeps_or_moves_the_newest_item_time_and_disables_only_when_told(db: Db) -> None:
    sync_sources(db, [SOURCE], NOW)
    record_poll_success(db, SOURCE.id, state=SourceState(), status=200, entries=3, now=NOW, new_items_at=NOW)
    record_poll_success(db, SOURCE.id, state=SourceState(), status=200, entries=3, now=NOW + timedelta(hours=1))
    assert source_state(db, SOURCE.id).last_new_item_at == NOW  # None leaves it
    record_poll_failure(db, SOURCE.id, error="HTTP 500", status=500, now=NOW)
    assert not source_state(db, SOURCE.id).disabled
    record_poll_failure(db, SOURCE.id, error="HTTP 410", status=410, now=NOW, disable_reason="gone")
    state = source_state(db, SOURCE.id)
    assert state.disabled and state.disabled_reason == "gone" and state.consecutive_failures == 2


def test_channel_failures_count_up_and_a_success_resets_them(db: Db) -> None:
    for n in range(3):
        notices.record_channel_outcome(db, "hook", ok=False, error=f"HTTP 50{n}", now=NOW)
    assert notices.channel_failures(db) == {"hook": (3, "HTTP 502")}
    notices.record_channel_outcome(db, "hook", ok=True, error=None, now=NOW)
    assert notices.channel_failures(db) == {}


def test_no_digest_waits_in_an_empty_outbox(db: Db) -> None:
    assert digests.next_digest_time(db) is None


def test_stories_list_by_size(db: Db) -> None:
    story = None
    for n, outlet in enumerate(("one.example", "two.example", "three.example")):
        url = f"https://{outlet}/tartus"
        saved = stories.save_in_story(
            db,
            Article(title=f"Frigates leave Tartus {n}", text="text", url=url),
            url=url,
            link=url,
            source_id=SOURCE.id,
            item_key=url,
            member=stories.Membership(story, outlet, url, f"fp-{n}", b""),
            plan=HitPlan(()),
            now=NOW + timedelta(minutes=n),
        )
        story = saved.story_id
    lone = "https://four.example/other"
    stories.save_in_story(
        db,
        Article(title="Something else", text="text", url=lone),
        url=lone,
        link=lone,
        source_id=SOURCE.id,
        item_key=lone,
        member=stories.Membership(None, "four.example", lone, "fp-x", b""),
        plan=HitPlan(()),
        now=NOW,
    )
    assert [(s.size, s.title) for s in list_stories(db)] == [(3, "Frigates leave Tartus 0"), (1, "Something else")]
    assert [s.size for s in list_stories(db, min_size=2)] == [3]
