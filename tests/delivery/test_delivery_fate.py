"""A failed send's fate as a pure policy: retried after a backoff or Retry-After, failed for good, or dead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.dispatch.policy import RETRY_BASE_SECONDS, fate

NOW = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
DAY = 86400.0


def test_a_temporary_failure_is_retried_after_the_backoff() -> None:
    after = fate(permanent=False, retry_after=None, attempts=0, queued_at=NOW, now=NOW, give_up_after=DAY)
    assert after.outcome == "retry" and after.retry_at is not None
    assert 0.8 * RETRY_BASE_SECONDS <= after.delay <= 1.2 * RETRY_BASE_SECONDS
    assert after.retry_at == NOW + timedelta(seconds=after.delay)


def test_the_receivers_retry_after_wins_over_the_backoff() -> None:
    after = fate(permanent=False, retry_after=120.0, attempts=5, queued_at=NOW, now=NOW, give_up_after=DAY)
    assert (after.outcome, after.retry_at) == ("retry", NOW + timedelta(seconds=120))


def test_a_permanent_failure_is_never_retried() -> None:
    after = fate(permanent=True, retry_after=None, attempts=0, queued_at=NOW, now=NOW, give_up_after=DAY)
    assert (after.outcome, after.retry_at) == ("failed", None)


def test_a_retry_past_the_channels_limit_counted_from_queueing_is_dead() -> None:
    queued = NOW - timedelta(hours=23, minutes=59)
    after = fate(permanent=False, retry_after=120.0, attempts=9, queued_at=queued, now=NOW, give_up_after=DAY)
    assert (after.outcome, after.retry_at) == ("dead", None)
    fresh = fate(permanent=False, retry_after=120.0, attempts=9, queued_at=NOW, now=NOW, give_up_after=DAY)
    assert fresh.outcome == "retry"
