"""Leases: one holder at a time, taken over after expiry, renewed by the holder, released when done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.config import Source
from monitor.store import Db, leases, sync_sources
from monitor.store.sources import SourceState, record_poll_success

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)


def test_one_holder_at_a_time_until_it_expires(db: Db) -> None:
    assert leases.claim_lease(db, "job:digests", "node-a", NOW, 60)
    assert not leases.claim_lease(db, "job:digests", "node-b", NOW + timedelta(seconds=59), 60)
    assert leases.lease_holder(db, "job:digests", NOW + timedelta(seconds=59))[0] == "node-a"  # type: ignore[index]
    assert leases.claim_lease(db, "job:digests", "node-b", NOW + timedelta(seconds=61), 60)  # a's expired: taken over
    assert not leases.claim_lease(db, "job:digests", "node-a", NOW + timedelta(seconds=62), 60)


def test_the_holder_renews_and_releases(db: Db) -> None:
    assert leases.claim_lease(db, "source:a", "node-a", NOW, 60)
    assert leases.claim_lease(db, "source:b", "node-a", NOW, 60)
    assert leases.renew_leases(db, "node-a", NOW + timedelta(seconds=50), 60) == 2
    assert not leases.claim_lease(db, "source:a", "node-b", NOW + timedelta(seconds=100), 60)  # renewed to 110 s
    assert leases.held_leases(db, "node-a", NOW + timedelta(seconds=100)) == 2
    leases.release_lease(db, "source:a", "node-a")
    assert leases.held_leases(db, "node-a", NOW + timedelta(seconds=100)) == 1
    assert leases.claim_lease(db, "source:a", "node-b", NOW + timedelta(seconds=100), 60)
    leases.release_lease(db, "source:a", "node-a")  # not a's any more: b keeps it
    assert leases.lease_holder(db, "source:a", NOW + timedelta(seconds=100))[0] == "node-b"  # type: ignore[index]


def test_an_expired_lease_is_not_renewed_nor_counted(db: Db) -> None:
    assert leases.claim_lease(db, "source:a", "node-a", NOW, 60)
    later = NOW + timedelta(seconds=120)
    assert leases.renew_leases(db, "node-a", later, 60) == 0
    assert leases.held_leases(db, "node-a", later) == 0
    assert leases.lease_holder(db, "source:a", later) is None


def test_a_source_polled_by_another_daemon_is_not_due_any_more(db: Db) -> None:
    sync_sources(db, [Source(id="wire", name="Wire", url="http://127.0.0.1:9/feed.xml", interval=600)], NOW)
    assert leases.claim_source(db, "wire", "node-a", NOW, fresh=300)  # never polled: due
    assert not leases.claim_source(db, "wire", "node-b", NOW, fresh=300)  # a polls it now
    record_poll_success(
        db, "wire", state=SourceState(), status=200, entries=0, now=NOW, next_poll_at=NOW + timedelta(minutes=10)
    )
    leases.release_lease(db, leases.source_lease("wire"), "node-a")
    assert not leases.claim_source(db, "wire", "node-b", NOW + timedelta(seconds=5), fresh=300)  # b's job fired late
    assert leases.claim_source(db, "wire", "node-b", NOW + timedelta(seconds=5))  # `monitor once` asks for no freshness
    leases.release_lease(db, leases.source_lease("wire"), "node-b")
    assert leases.claim_source(db, "wire", "node-b", NOW + timedelta(minutes=10, seconds=1), fresh=300)


def test_a_send_read_by_two_daemons_goes_out_once(db: Db) -> None:
    from store_rows import save

    from monitor.store import sends

    save(db, 1, topics=("bases",), channels=("hook",))
    delivery = int(db.scalar("SELECT id FROM deliveries"))
    now = datetime.now(UTC)
    assert sends.claim(db, sends.ALERTS, delivery, "node-a", now)
    assert not sends.claim(db, sends.ALERTS, delivery, "node-b", now)  # a is sending it
    sends.mark_sent(db, sends.ALERTS, delivery, now, outcome="HTTP 200")
    sends.release(db, sends.ALERTS, delivery, "node-a")
    assert not sends.claim(db, sends.ALERTS, delivery, "node-b", now)  # b read it before: it is sent now
    save(db, 2, topics=("bases",), channels=("hook",))
    later = int(db.scalar("SELECT max(id) FROM deliveries"))
    sends.mark_failed(db, sends.ALERTS, later, error="HTTP 503", permanent=False, retry_at=now + timedelta(minutes=5))
    assert not sends.claim(db, sends.ALERTS, later, "node-b", now)  # put off by a: not due yet
    assert sends.claim(db, sends.ALERTS, later, "node-b", now + timedelta(minutes=6))


def test_retrying_everything_claims_a_send_before_its_retry_time(db: Db) -> None:
    from store_rows import save

    from monitor.store import sends

    save(db, 1, topics=("bases",), channels=("hook",))
    delivery = int(db.scalar("SELECT id FROM deliveries"))
    now = datetime.now(UTC)
    sends.mark_failed(db, sends.ALERTS, delivery, error="HTTP 503", permanent=False, retry_at=now + timedelta(hours=1))
    assert not sends.claim(db, sends.ALERTS, delivery, "node-a", now)
    assert sends.claim(db, sends.ALERTS, delivery, "node-a", now, due=False)  # `monitor once` retries it now
