"""HTTP header helpers shared by the fetch and notify stages (bottom layer: stdlib only, no clock of its own)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current aware UTC time: the default clock of stages that are not handed one."""
    return datetime.now(UTC)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Return the delay in seconds a Retry-After header asks for (delta-seconds or HTTP-date), or None.

    ``now`` is the caller's clock reading, so an HTTP-date is judged against the same time the caller schedules with.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
