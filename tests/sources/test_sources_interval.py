"""A source's own interval is a ceiling adaptive polling never exceeds; config changes re-plan the stored schedule
at start and on reload; `monitor sources` says why the next poll is when it is."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fetch_server import FeedServer, Reply
from sources_kit import RSS_TYPE, poll_kit, rss, write_config

from monitor import store
from monitor.cli import main
from monitor.config import Settings, load_config
from monitor.daemon import Service, open_runtime
from monitor.fetch.policy import Intervals, plan_interval
from monitor.runtime import utc_now

BOUNDS = dict(interval=600.0, min_interval=120.0, max_interval=7200.0, max_backoff=21600.0)


@pytest.mark.parametrize(
    ("gap", "ttl", "ceiling", "expected", "why"),
    [
        # a quiet feed: the operator's 1m wins
        (3 * 3600, None, 60, 60, "the source's own interval 1m, though it publishes about every 3h"),
        (180, None, 600, 180, "publishes about every 3m"),  # a busy feed is polled more often than its interval
        (3 * 3600, None, None, 7200, "polled at max_interval 2h"),  # no own interval: up to max_interval
        (None, None, None, 600, "not known yet"),
        (300, 3600, 60, 3600, "the feed asks for at least 1h"),  # the server's own hint is still honoured
    ],
)
def test_an_own_interval_is_a_ceiling(
    gap: float | None, ttl: float | None, ceiling: float | None, expected: float, why: str
) -> None:
    bounds = Intervals(**BOUNDS, ceiling=ceiling)
    interval, reason = plan_interval(bounds, average_gap=gap, feed_minimum=ttl)
    assert interval == expected
    assert why in reason


pytestmark = pytest.mark.anyio


def quiet_feed(server: FeedServer) -> dict[str, object]:
    """A source whose items come 3 hours apart: adaptive polling alone would wait max_interval (2h)."""
    server.routes["/quiet.xml"] = Reply(200, RSS_TYPE, rss(5, gap_minutes=180))
    return {"name": "Quiet", "url": server.url("/quiet.xml")}


async def test_a_quiet_source_with_interval_1m_is_polled_every_minute(server: FeedServer, tmp_path: Path) -> None:
    settings = write_config(tmp_path, [{**quiet_feed(server), "interval": "1m"}])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        state = kit.state(source)
        assert state.average_gap_seconds == 3 * 3600
        assert state.next_poll_at is not None and state.next_poll_at <= kit.now + timedelta(seconds=66)


async def test_without_an_own_interval_a_quiet_source_waits_up_to_max_interval(
    server: FeedServer, tmp_path: Path
) -> None:
    settings = write_config(tmp_path, [quiet_feed(server)])
    (source,) = settings.sources
    async with poll_kit(settings) as kit:
        await kit.poll(source)
        state = kit.state(source)
        assert state.next_poll_at is not None
        assert kit.now + timedelta(hours=1.7) <= state.next_poll_at <= kit.now + timedelta(hours=2.2)


def _store_a_two_hour_plan(settings: Settings, now: datetime) -> None:
    """Record what a poll under a config without an own interval left: a quiet feed, next poll in 2 hours."""
    (source,) = settings.sources
    db = store.open_database(settings.database)
    store.sync_sources(db, settings.sources, now)
    store.record_poll_success(
        db,
        source.id,
        state=store.SourceState(average_gap_seconds=3 * 3600),
        status=200,
        entries=5,
        now=now,
        next_poll_at=now + timedelta(hours=2),
    )
    db.close()


def _rewrite(path: Path, **changes: object) -> None:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "interval":
            config["sources"][0]["interval"] = value
        else:
            config["fetch"][key] = value
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


async def _next_run(settings: Settings, *, reload_with: dict[str, object] | None = None) -> datetime:
    """Start the daemon's scheduler on ``settings`` (a restart), optionally reload, and return the source's next run."""
    async with open_runtime(settings) as rt:
        service = Service(rt)
        service.polls.start()
        try:
            if reload_with is not None:
                _rewrite(settings.path, **reload_with)
                assert await service.reload()
            assert service.polls.scheduler is not None
            job = service.polls.scheduler.get_job(settings.sources[0].id)
            assert job is not None and job.next_run_time is not None
            return job.next_run_time  # type: ignore[no-any-return]
        finally:
            assert service.polls.scheduler is not None
            service.polls.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)


@pytest.mark.parametrize(("change", "within"), [({"interval": "1m"}, 66), ({"adaptive_intervals": False}, 660)])
async def test_a_restart_replans_the_stored_schedule(
    server: FeedServer, tmp_path: Path, change: dict[str, object], within: float
) -> None:
    settings = write_config(tmp_path, [quiet_feed(server)])
    now = utc_now()
    _store_a_two_hour_plan(settings, now)
    assert await _next_run(settings) >= now + timedelta(hours=1.9), "unchanged config: the stored plan stands"
    _rewrite(settings.path, **change)
    assert await _next_run(load_config(settings.path)) <= now + timedelta(seconds=within)


async def test_a_reload_replans_the_schedule_when_adaptive_polling_is_turned_off(
    server: FeedServer, tmp_path: Path
) -> None:
    settings = write_config(tmp_path, [quiet_feed(server)])
    now = utc_now()
    _store_a_two_hour_plan(settings, now)
    assert await _next_run(settings, reload_with={"adaptive_intervals": False}) <= now + timedelta(seconds=660)


async def test_sources_command_shows_the_replanned_next_poll_and_why(server: FeedServer, tmp_path: Path) -> None:
    settings = write_config(tmp_path, [quiet_feed(server)])
    _store_a_two_hour_plan(settings, utc_now())
    _rewrite(settings.path, interval="1m")
    runner = CliRunner()
    table = runner.invoke(main, ["sources", "-c", str(settings.path)])
    assert table.exit_code == 0, table.output
    assert "WHY" in table.output and "the source's own interval 1m" in table.output
    next_poll = re.search(r"  in (\d+)s  ", table.output.splitlines()[1])
    assert next_poll is not None and int(next_poll.group(1)) <= 66, table.output
    record = json.loads(runner.invoke(main, ["sources", "--format", "json", "-c", str(settings.path)]).output)
    assert record["next_poll_reason"] == "the source's own interval 1m, though it publishes about every 3h"
    assert record["interval_explicit"] is True
    assert datetime.fromisoformat(record["next_poll_at"]) <= utc_now() + timedelta(seconds=66)
