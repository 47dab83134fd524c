"""When a delivery goes out: instantly, or held for its route's digest (CRON, quiet hours, max_per_hour)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from monitor.config import RouteConfig

RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 3600.0


def retry_delay(attempts: int) -> float:
    """Return the exponential backoff (with ±20 % jitter, so failed deliveries do not retry in lockstep)."""
    base = min(RETRY_BASE_SECONDS * 2**attempts, RETRY_MAX_SECONDS)
    jitter: float = random.uniform(0.8, 1.2)
    return float(base * jitter)


def next_digest_at(route: RouteConfig, now: datetime) -> datetime:
    """Return the next time the route's digest CRON fires after ``now`` (in UTC)."""
    assert route.digest is not None
    trigger = CronTrigger.from_crontab(route.digest, timezone=ZoneInfo(route.timezone))
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    assert fire is not None  # a crontab always fires again
    return fire.astimezone(UTC)


def quiet_until(route: RouteConfig, now: datetime) -> datetime | None:
    """Return when the route's quiet hours end if ``now`` is inside them (in UTC), else None."""
    if route.quiet_hours is None:
        return None
    start_text, end_text = route.quiet_hours.split("-")
    start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    zone = ZoneInfo(route.timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    # "22:00-07:00" wraps past midnight; "01:00-05:00" does not.
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(UTC)


def next_hour(now: datetime) -> datetime:
    """Return the start of the next clock hour (UTC): alerts over max_per_hour fold into a digest sent then."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Decision:
    """Send now (``hold_until`` None) or hold for the digest at ``hold_until``; ``why`` is for the log."""

    hold_until: datetime | None
    why: str = ""


def decide(route: RouteConfig | None, now: datetime, sent_last_hour: int) -> Decision:
    """Decide when a delivery of ``route`` goes out, given how many of its alerts went out in the last hour."""
    if route is None:
        return Decision(None)  # its route was removed from the config: it was queued, so it is still sent
    if route.digest is not None:
        return Decision(next_digest_at(route, now), "digest")
    quiet = quiet_until(route, now)
    if quiet is not None:
        return Decision(quiet, "quiet hours")
    if route.max_per_hour is not None and sent_last_hour >= route.max_per_hour:
        return Decision(next_hour(now), "max_per_hour")
    return Decision(None)


@dataclass(frozen=True, slots=True)
class Fate:
    """What becomes of a send after a failed attempt: tried again at ``retry_at``, or never (failed, dead)."""

    outcome: str  # "retry", "failed" (refused for good) or "dead" (retried until the channel's give-up limit)
    retry_at: datetime | None
    delay: float  # seconds until the retry the backoff (or the receiver's Retry-After) asked for


def fate(
    *,
    permanent: bool,
    retry_after: float | None,
    attempts: int,
    queued_at: datetime | None,
    now: datetime,
    give_up_after: float,
) -> Fate:
    """Decide a failed send's fate: retry after a backoff (or Retry-After), or stop for good.

    A send is dead-lettered once its next try would fall beyond the channel's limit, counted from when it was queued:
    it is then visible in ``monitor deliveries``.
    """
    delay = retry_after if retry_after is not None else retry_delay(attempts)
    retry_at = now + timedelta(seconds=delay)
    if permanent:
        return Fate("failed", None, delay)
    if (retry_at - (queued_at or now)).total_seconds() > give_up_after:
        return Fate("dead", None, delay)
    return Fate("retry", retry_at, delay)
