"""The heartbeat row and the gauges /metrics reads: delivery queue depth over both outboxes, failing sources."""

from __future__ import annotations

from datetime import timedelta

from store_rows import NOW, notice, save

from monitor import store
from monitor.config import Source
from monitor.store import Db
from monitor.store.health import failing_sources, last_heartbeat, queue_depth, write_heartbeat
from monitor.store.notices import queue_notice


def test_the_heartbeat_is_one_row_that_each_write_moves(db: Db) -> None:
    assert last_heartbeat(db) is None
    write_heartbeat(db, NOW)
    write_heartbeat(db, NOW + timedelta(seconds=30))
    assert last_heartbeat(db) == (NOW + timedelta(seconds=30)).isoformat()
    assert db.scalar("SELECT count(*) FROM heartbeat") == 1


def test_queue_depth_adds_alert_and_notice_deliveries_by_channel_and_status(db: Db) -> None:
    assert queue_depth(db) == {}
    save(db, 1, topics=("bases", "government"), channels=("hook", "desk"))
    queue_notice(db, notice("feed-a"), ["hook"], NOW)
    pending = store.pending_deliveries(db, NOW)
    store.mark_delivery_sent(db, pending[0].id, NOW)
    assert queue_depth(db) == {("hook", "pending"): 2, ("hook", "sent"): 1, ("desk", "pending"): 2}


def test_failing_sources_counts_sources_whose_last_poll_failed(db: Db) -> None:
    sources = [Source(id=f"s{n}", name=f"S{n}", url=f"http://127.0.0.1:1/{n}.xml", interval=60) for n in range(3)]
    store.sync_sources(db, sources, NOW)
    assert failing_sources(db) == 0
    store.record_poll_failure(db, "s0", error="timeout", status=None, now=NOW)
    store.record_poll_failure(db, "s1", error="HTTP 500", status=500, now=NOW)
    assert failing_sources(db) == 2
    ok = store.SourceState(etag=None, last_modified=None, body_hash="x")
    store.record_poll_success(db, "s1", state=ok, status=200, entries=1, now=NOW)
    assert failing_sources(db) == 1
