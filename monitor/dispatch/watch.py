"""Notices that no single article triggers: a topic's spike, and alerts about the monitor itself.

Both are written to the notice outbox (monitor.store.notices) and sent by the dispatcher like any alert.

- **Spikes**: for routes with ``spike: true``, a topic whose hits in the last hour reach ``spikes.min_hits`` and
  ``spikes.factor`` times its hourly mean over the previous ``spikes.baseline`` (14 days) gets one notice saying
  why (counts and baseline); at most one per topic per ``spikes.cooldown``.
- **Health** (topic ``monitor.health``, sent to the routes that name it): a source failing N polls in a row or
  silent too long, a channel whose last N sends failed, the database past a size. Each condition alerts once when
  it starts, reminds at most every ``meta_alerts.remind_every``, and says "recovered" when it ends; the state
  lives in the database, so a restart neither repeats nor forgets it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from monitor.config import HEALTH_TOPIC, Settings
from monitor.fetch.policy import SILENT_GAPS
from monitor.models import Notice
from monitor.runtime import Runtime
from monitor.store import digests, leases, maintenance, notices, source_state

log = logging.getLogger("monitor.watch")

SPIKE = "topic.spike"
HEALTH_TITLE = "Monitor health"
# Less history than this and any busy hour would look like a spike (a new install, a new topic pack).
MIN_BASELINE = timedelta(days=1)
WINDOW = timedelta(hours=1)


def _notice_id(*parts: str) -> str:
    return "ntc_" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


# --- spikes ----------------------------------------------------------------------------------------------------


def check_spikes(rt: Runtime, topic_ids: Iterable[str]) -> int:
    """Queue a spike notice for each of ``topic_ids`` (topics that just got hits) in a spike; return deliveries."""
    settings, db, now = rt.settings, rt.db, rt.clock()
    if not any(route.spike for route in settings.routes):
        return 0
    spikes = settings.spikes
    queued = 0
    first = digests.first_hit_at(db)
    for topic_id in sorted(set(topic_ids)):
        channels = settings.notice_channels(topic_id, spike=True)
        if not channels or first is None:
            continue
        # Several daemons: the cooldown is a read before a write, so one daemon at a time checks a topic.
        if rt.shared and not leases.claim_lease(db, f"job:spike:{topic_id}", rt.node, now, rt.settings.lease):
            continue
        last = notices.last_notice_at(db, SPIKE, topic_id)
        if last is not None and now - last < timedelta(seconds=spikes.cooldown):
            continue
        hour_ago = now - WINDOW
        # Hits stored this very instant count: the window's end is just after now.
        recent = digests.hit_counts(db, topic_id, hour_ago, now + timedelta(microseconds=1))
        if recent < spikes.min_hits:
            continue
        start = max(hour_ago - timedelta(seconds=spikes.baseline), first)
        if hour_ago - start < MIN_BASELINE:
            log.info("topic %s: %d hits in the last hour, but less than a day of history to compare", topic_id, recent)
            continue
        hours = (hour_ago - start).total_seconds() / 3600
        before = digests.hit_counts(db, topic_id, start, hour_ago)
        rate = before / hours
        if recent < spikes.factor * rate:
            continue
        notice = _spike_notice(rt, topic_id, recent, before, rate, hours, now)
        queued += notices.queue_notice(db, notice, channels, now)
        log.warning("spike: %s", notice.text, extra={"topic": topic_id})
    return queued


def _spike_notice(
    rt: Runtime, topic_id: str, recent: int, before: int, rate: float, hours: float, now: datetime
) -> Notice:
    spikes = rt.settings.spikes
    title = rt.topic_titles.get(topic_id) or next((t.title for t in rt.settings.topics if t.id == topic_id), topic_id)
    days = hours / 24
    times = f"{recent / rate:.1f} times" if rate > 0 else "far above"
    text = (
        f"{recent} hits in the last hour on {title!r}, {times} its baseline of {rate:.2f} per hour "
        f"({before} hits over the previous {days:.3g} days)."
    )
    facts = (
        ("Hits in the last hour", str(recent)),
        ("Baseline per hour", f"{rate:.2f}"),
        ("Baseline", f"{before} hits over {days:.3g} days"),
        ("Threshold", f"at least {spikes.min_hits} hits and {spikes.factor:g} times the baseline"),
    )
    return Notice(
        id=_notice_id(SPIKE, topic_id, now.isoformat()),
        topic_id=topic_id,
        topic_title=title,
        condition=SPIKE,
        subject=topic_id,
        state="spike",
        title=f"{recent} hits in the last hour",
        text=text,
        created_at=now,
        facts=facts,
        since=now - WINDOW,
    )


# --- health ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A health condition true now: ``title`` names it in a line, ``text`` explains it."""

    condition: str
    subject: str
    title: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.condition}:{self.subject}"


def health_findings(settings: Settings, rt: Runtime, now: datetime) -> list[Finding]:
    """Return every health condition that is true now."""
    limits = settings.meta_alerts
    found: list[Finding] = []
    for source in settings.sources:
        state = source_state(rt.db, source.id)
        if state.disabled:
            continue  # disabled on purpose (410 Gone) and shown by `monitor sources`; not a running failure
        if state.consecutive_failures >= limits.source_failures:
            found.append(
                Finding(
                    "source.failing",
                    source.id,
                    f"source {source.name} is failing",
                    f"{source.name} ({source.url}) failed {state.consecutive_failures} polls in a row; "
                    f"last error: {state.last_error or 'unknown'}",
                )
            )
        # Silent: nothing new for longer than the configured limit and than SILENT_GAPS of its usual gap.
        allowed = max(limits.source_silent, SILENT_GAPS * (state.average_gap_seconds or 0))
        if state.last_new_item_at is not None and (now - state.last_new_item_at).total_seconds() > allowed:
            quiet = now - state.last_new_item_at
            found.append(
                Finding(
                    "source.silent",
                    source.id,
                    f"source {source.name} is silent",
                    f"{source.name} ({source.url}) has published nothing new for {_span(quiet)} "
                    f"(last new item {state.last_new_item_at:%Y-%m-%d %H:%M} UTC)",
                )
            )
    for channel_id, (count, error) in sorted(notices.channel_failures(rt.db).items()):
        if count >= limits.channel_failures and channel_id in settings.channels:
            found.append(
                Finding(
                    "channel.failing",
                    channel_id,
                    f"channel {channel_id} is failing",
                    f"the last {count} deliveries to channel {channel_id} failed; last error: {error}",
                )
            )
    size = maintenance.server_bytes(rt.db) or database_bytes(settings.database_file)
    if limits.database_max is not None and size > limits.database_max:
        found.append(
            Finding(
                "database.size",
                "database",
                "the database is too large",
                f"the database {settings.database} takes {_bytes(size)}, over the limit of "
                f"{_bytes(limits.database_max)} (see `monitor db stats`, `retention:`)",
            )
        )
    return found


def database_bytes(path: Path | None) -> int:
    """Return the size of the database file and its WAL (0 for a database server: its size is not ours to watch)."""
    if path is None:
        return 0
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def check_health(rt: Runtime) -> int:
    """Compare the health conditions with those recorded: alert new ones, remind old ones, report recoveries.

    With several daemons on one database one of them checks (the holder of the ``job:health`` lease, which it
    keeps by checking again before the lease ends): conditions are read, then written.
    """
    settings, db, now = rt.settings, rt.db, rt.clock()
    if rt.shared and not leases.claim_lease(db, "job:health", rt.node, now, settings.lease):
        return 0
    current = {f.key: f for f in health_findings(settings, rt, now)}
    active = notices.active_conditions(db)
    remind = timedelta(seconds=settings.meta_alerts.remind_every)
    channels = settings.notice_channels(HEALTH_TOPIC, spike=False)
    queued = 0
    for key, finding in current.items():
        known = active.get(key)
        if known is None:
            state, since = "started", now
        elif now - known.last_notified_at >= remind:
            state, since = "reminder", known.started_at
        else:
            continue
        notice = _health_notice(finding.condition, finding.subject, state, finding.title, finding.text, since, now)
        queued += notices.notice_condition(db, notice, _except(channels, finding), now, key=key, started=known is None)
        log.warning("monitor health %s: %s", state, finding.text, extra={"condition": finding.condition})
    for key, gone in active.items():
        if key in current:
            continue
        text = f"{gone.detail}: no longer true after {_span(now - gone.started_at)}"
        notice = _health_notice(gone.condition, gone.subject, "recovered", gone.detail, text, gone.started_at, now)
        queued += notices.recover_condition(db, notice, channels, now, key=key)
        log.warning("monitor health recovered: %s", text, extra={"condition": gone.condition})
    return queued


def _except(channels: list[str], finding: Finding) -> list[str]:
    """A failing channel is not told that it fails (that send would fail too, and prolong its backoff)."""
    if finding.condition != "channel.failing":
        return channels
    return [c for c in channels if c != finding.subject]


def _health_notice(
    condition: str, subject: str, state: str, title: str, text: str, since: datetime, now: datetime
) -> Notice:
    facts = (("Condition", condition), ("Subject", subject), ("Since", f"{since:%Y-%m-%d %H:%M} UTC"))
    return Notice(
        id=_notice_id(condition, subject, state, now.isoformat()),
        topic_id=HEALTH_TOPIC,
        topic_title=HEALTH_TITLE,
        condition=condition,
        subject=subject,
        state=state,
        title=title,
        text=text,
        created_at=now,
        facts=facts,
        since=since,
    )


def _span(delta: timedelta) -> str:
    """Return a duration as people say it: 45 min, 5.5 h, 3.2 days."""
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _bytes(size: float) -> str:
    """Return a size as people read it: 812 B, 1.0 kB, 4.2 MB, 1.3 GB."""
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
