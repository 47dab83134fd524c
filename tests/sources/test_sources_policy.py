"""The pure scheduling policy: backoff, adaptive interval, hints, publishing gap."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.fetch.policy import (
    Intervals,
    backoff_delay,
    next_poll_after_failure,
    poll_interval,
    publishing_gap,
    with_jitter,
)

BOUNDS = Intervals(interval=600, min_interval=120, max_interval=7200, max_backoff=21600)
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def test_backoff_doubles_and_caps_even_for_huge_counts() -> None:
    assert [backoff_delay(n, BOUNDS) for n in (1, 2, 3, 4, 6, 10_000)] == [600, 1200, 2400, 4800, 19200, 21600]


def test_retry_after_wins_when_longer() -> None:
    when, backoff = next_poll_after_failure(NOW, 1, BOUNDS, retry_after=5000, rng=random.Random(1))
    assert backoff == 5000 and when == NOW + timedelta(seconds=5000)


@pytest.mark.parametrize(
    ("gap", "minimum", "adaptive", "expected"),
    [
        (None, None, True, 600),
        (60, None, True, 120),
        (1800, None, True, 1800),
        (10**6, None, True, 7200),
        (1800, None, False, 600),
        (60, 3600, True, 3600),
        (60, 10**6, True, 7200),
    ],
)
def test_poll_interval(gap: float | None, minimum: float | None, adaptive: bool, expected: float) -> None:
    bounds = Intervals(600, 120, 7200, 21600, adaptive=adaptive)
    assert poll_interval(bounds, average_gap=gap, feed_minimum=minimum) == expected


def test_jitter_stays_within_ten_percent() -> None:
    rng = random.Random(7)
    values = [with_jitter(1000, rng) for _ in range(200)]
    assert min(values) >= 900 and max(values) <= 1100 and len(set(values)) > 100


def test_publishing_gap_ignores_future_and_duplicate_dates() -> None:
    dates = [NOW - timedelta(minutes=10 * n) for n in range(5)] + [NOW + timedelta(days=3), NOW, None]
    assert publishing_gap(dates, NOW) == 600
    assert publishing_gap([NOW, NOW, NOW], NOW) is None
