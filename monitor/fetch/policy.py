"""When to poll a source next: backoff on failure, server hints, adaptive intervals, jitter (pure functions).

Every function takes the clock and the random source as arguments so tests can pin them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Spread of the next poll around its computed time, so sources started together drift apart.
JITTER_FRACTION = 0.1
# The newest dated entries used to estimate how often a source publishes.
GAP_SAMPLE = 20
# A source that has published nothing for this many of its usual gaps is flagged as silent.
SILENT_GAPS = 3.0


@dataclass(frozen=True, slots=True)
class Intervals:
    """The bounds a source's poll interval moves within."""

    interval: float  # the configured interval: used while the publishing rhythm is unknown
    min_interval: float
    max_interval: float
    max_backoff: float
    adaptive: bool = True
    # An interval the source sets itself: healthy polls never wait longer (adaptive may still poll a busy feed
    # more often). Failures still back off beyond it.
    ceiling: float | None = None


def backoff_delay(failures: int, bounds: Intervals) -> float:
    """Return the delay after ``failures`` consecutive failures: the interval doubled per failure, capped."""
    if failures <= 1:
        return min(bounds.interval, bounds.max_backoff)
    exponent = min(failures - 1, 32)  # 2**32 intervals is past any cap; avoids float overflow on huge counts
    return float(min(bounds.interval * 2**exponent, max(bounds.max_backoff, bounds.interval)))


def poll_interval(bounds: Intervals, *, average_gap: float | None, feed_minimum: float | None) -> float:
    """Return the interval until the next poll of a healthy source (see ``plan_interval``)."""
    return plan_interval(bounds, average_gap=average_gap, feed_minimum=feed_minimum)[0]


def plan_interval(bounds: Intervals, *, average_gap: float | None, feed_minimum: float | None) -> tuple[float, str]:
    """Return the interval until the next poll of a healthy source, and why it is that long.

    Adaptive: a source is polled about once per its usual publishing gap, within [min_interval, max_interval].
    The feed's own minimum (ttl, sy:updatePeriod, Cache-Control max-age) is a lower bound, but never beyond
    max_interval: a feed asking for a week between polls would make us miss a week of news. A source's own
    ``interval`` (``bounds.ceiling``) caps the adaptive interval: the operator asked for at least that often
    (only the server's own hint may ask for longer).
    """
    interval = bounds.interval
    if not bounds.adaptive:
        reason = f"interval {format_seconds(interval)} (adaptive_intervals off)"
    elif average_gap is None or average_gap <= 0:
        reason = f"interval {format_seconds(interval)} (publishing rhythm not known yet)"
    else:
        interval = min(max(average_gap, bounds.min_interval), bounds.max_interval)
        reason = f"adaptive: publishes about every {format_seconds(average_gap)}"
        if interval > average_gap:
            reason += f", polled at min_interval {format_seconds(interval)}"
        elif interval < average_gap:
            reason += f", polled at max_interval {format_seconds(interval)}"
    if bounds.ceiling is not None and interval > bounds.ceiling:
        interval = bounds.ceiling
        rhythm = f", though it publishes about every {format_seconds(average_gap)}" if average_gap else ""
        reason = f"the source's own interval {format_seconds(interval)}{rhythm}"
    # The server's own request is honoured even over the source's interval: it is theirs to ask.
    if feed_minimum is not None and feed_minimum > interval:
        interval = min(feed_minimum, max(bounds.max_interval, bounds.interval))
        reason = f"the feed asks for at least {format_seconds(feed_minimum)} (ttl or Cache-Control)"
        if interval < feed_minimum:
            reason += f", capped at max_interval {format_seconds(interval)}"
    return interval, reason


def format_seconds(seconds: float) -> str:
    """Return a duration the way the config writes it: 45s, 10m, 2h, 1.5h, 3d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f}{unit}" if abs(value - round(value)) < 0.05 or value >= 10 else f"{value:.1f}{unit}"
    return f"{seconds:.0f}s"


def with_jitter(seconds: float, rng: random.Random | None = None) -> float:
    """Return ``seconds`` moved randomly by up to ±JITTER_FRACTION."""
    spread = (rng or random).uniform(-JITTER_FRACTION, JITTER_FRACTION)
    return max(1.0, seconds * (1 + spread))


def next_poll_after_failure(
    now: datetime, failures: int, bounds: Intervals, *, retry_after: float | None, rng: random.Random | None = None
) -> tuple[datetime, float]:
    """Return (next poll time, backoff seconds) after a failed poll; Retry-After wins when it asks for longer.

    Retry-After is honoured up to max_backoff: a server asking for a month must not silence a source that long.
    """
    backoff = with_jitter(backoff_delay(failures, bounds), rng)
    if retry_after is not None:
        backoff = max(backoff, min(retry_after, max(bounds.max_backoff, bounds.interval)))
    return now + timedelta(seconds=backoff), backoff


def publishing_gap(dates: Iterable[datetime | None], now: datetime) -> float | None:
    """Return the mean gap in seconds between the newest dated entries, or None with fewer than three dates.

    Dates in the future (bad clocks, scheduled posts) are ignored; so are duplicates (feeds that stamp every
    entry with the build time say nothing about rhythm).
    """
    distinct = sorted({d for d in dates if d is not None and d <= now + timedelta(minutes=5)}, reverse=True)
    newest = distinct[:GAP_SAMPLE]
    if len(newest) < 3:
        return None
    return (newest[0] - newest[-1]).total_seconds() / (len(newest) - 1)


def is_silent(last_new_item_at: datetime | None, average_gap: float | None, now: datetime) -> bool:
    """Whether a source has published nothing for SILENT_GAPS times its usual gap."""
    if last_new_item_at is None or not average_gap:
        return False
    return (now - last_new_item_at).total_seconds() > SILENT_GAPS * average_gap
