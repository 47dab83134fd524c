"""Spike alerts and meta-alerts about the monitor itself (monitor.health), with a controlled clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from delivery_peers import Answer, Clock, Receiver, queue_hits, runtime, write_config

from monitor import store
from monitor.config import Settings, Source, load_config
from monitor.daemon import Service
from monitor.dispatch import Dispatcher, check_health, check_spikes
from monitor.errors import ConfigError
from monitor.models import Notice
from monitor.notify.presets import chat_payload
from monitor.notify.templates import build_email
from monitor.runtime import Runtime
from monitor.store import SourceState, notices

T = TypeVar("T")
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def hook(url: str, channel_id: str = "hook") -> dict[str, Any]:
    return {"id": channel_id, "type": "webhook", "url": url}


def with_rt(settings: Settings, db: Any, clock: Clock, work: Callable[[Runtime], Any]) -> Any:
    """Run ``work(rt)`` (sync or async) with a Runtime over a real HTTP client, then send what is due."""

    async def run() -> Any:
        async with httpx.AsyncClient() as client:
            rt = runtime(settings, db, client, clock)
            result = work(rt)
            if asyncio.iscoroutine(result):
                result = await result
            await Dispatcher(rt).drain()
            return result

    return asyncio.run(run())


def of_type(receiver: Receiver, kind: str) -> list[dict[str, Any]]:
    return [g.payload for g in receiver.got if g.payload and g.payload["type"] == kind]


# --- spikes ------------------------------------------------------------------------------------------------------


def spike_settings(tmp_path: Path, url: str, **spikes: Any) -> Settings:
    # min_score 100: no article alerts through this route, only the spike notices it asks for.
    route = {"topics": ["tartus"], "channels": ["hook"], "spike": True, "min_score": 100}
    return load_config(write_config(tmp_path, [hook(url)], [route], spikes=spikes))


def test_spike_alert_says_why_and_respects_the_cooldown(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = spike_settings(tmp_path, receiver.url, baseline="2d", factor=4, min_hits=5, cooldown="4h")
        db = store.open_database(None)
        clock = Clock(START)
        queue_hits(db, settings, 1, topic="hmeimim", now=START - timedelta(days=10))  # the monitor's history
        # Baseline: 2 hits an hour for the 2 days before the last hour.
        for hour in range(1, 49):
            queue_hits(db, settings, 2, now=START - timedelta(hours=hour, minutes=30), prefix=f"b{hour}")
        queue_hits(db, settings, 7, now=START - timedelta(minutes=20), prefix="now")  # 7 < 4 x 2: no spike
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus"])) == 0
        queue_hits(db, settings, 2, now=START - timedelta(minutes=10), prefix="more")  # 9 >= 8: a spike
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus", "hmeimim"])) == 1
        clock.advance(minutes=30)
        queue_hits(db, settings, 10, now=clock(), prefix="later")
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus"])) == 0  # cooldown
        clock.advance(hours=4)
        queue_hits(db, settings, 12, now=clock(), prefix="again")
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus"])) == 1
    spikes = of_type(receiver, "topic.spike")
    assert len(spikes) == 2 and of_type(receiver, "topic.hit") == []
    data = spikes[0]["data"]
    assert data["topic"] == {"id": "tartus", "title": "Port of Tartus"}
    assert data["facts"]["Hits in the last hour"] == "9"
    assert data["facts"]["Baseline per hour"] == "2.00"
    assert "9 hits in the last hour" in data["message"] and "4.5 times its baseline of 2.00 per hour" in data["message"]
    assert "96 hits over the previous 2 days" in data["message"]
    assert len({g.webhook_id for g in receiver.got}) == 2


def test_no_spike_without_a_day_of_history_or_below_min_hits(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = spike_settings(tmp_path, receiver.url, min_hits=5)
        db = store.open_database(None)
        clock = Clock(START)
        queue_hits(db, settings, 20, now=START - timedelta(minutes=5))  # a new install: no baseline yet
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus"])) == 0
        clock.advance(days=3)
        queue_hits(db, settings, 4, now=clock(), prefix="few")  # far above the baseline, but under min_hits
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus"])) == 0
        queue_hits(db, settings, 1, now=clock(), prefix="fifth")
        assert with_rt(settings, db, clock, lambda rt: check_spikes(rt, ["tartus"])) == 1
    [spike] = of_type(receiver, "topic.spike")
    assert "17.8 times its baseline of 0.28 per hour (20 hits over the previous 2.96 days)" in spike["data"]["message"]


def test_spikes_need_a_route_that_asks_for_them(tmp_path: Path) -> None:
    settings = load_config(
        write_config(tmp_path, [hook("http://127.0.0.1:9/hook")], [{"topics": ["*"], "channels": ["hook"]}])
    )
    db = store.open_database(None)
    queue_hits(db, settings, 30, now=START)
    assert with_rt(settings, db, Clock(START + timedelta(days=2)), lambda rt: check_spikes(rt, ["tartus"])) == 0


# --- monitor.health ----------------------------------------------------------------------------------------------

SOURCE = {"name": "Wire", "url": "https://wire.example.org/rss.xml"}


def health_settings(tmp_path: Path, channels: list[dict[str, Any]], **limits: Any) -> Settings:
    routes = [{"topics": ["monitor.health"], "channels": ["hook"]}]
    if len(channels) > 1:
        routes.append({"topics": ["*"], "channels": [c["id"] for c in channels[1:]]})
    path = write_config(tmp_path, channels, routes, sources=[SOURCE], meta_alerts=limits)
    return load_config(path)


def fail_polls(db: Any, source: Source, count: int, now: datetime) -> None:
    for _ in range(count):
        store.record_poll_failure(db, source.id, error="HTTP 503 Service Unavailable", status=503, now=now)


def test_failing_source_alerts_once_reminds_daily_and_recovers(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = health_settings(tmp_path, [hook(receiver.url)], source_failures=3, remind_every="1d")
        db = store.open_database(None)
        clock = Clock(START)
        [source] = settings.sources
        store.sync_sources(db, settings.sources, clock())
        check = lambda rt: check_health(rt)  # noqa: E731
        fail_polls(db, source, 2, clock())
        assert with_rt(settings, db, clock, check) == 0  # two failures: under the limit
        fail_polls(db, source, 1, clock())
        assert with_rt(settings, db, clock, check) == 1  # started
        clock.advance(hours=23)
        fail_polls(db, source, 5, clock())
        assert with_rt(settings, db, clock, check) == 0  # still failing, reminded at most daily
        clock.advance(hours=1)
        assert with_rt(settings, db, clock, check) == 1  # reminder
        clock.advance(hours=2)
        store.record_poll_success(db, source.id, state=SourceState(), status=200, entries=3, now=clock())
        assert with_rt(settings, db, clock, check) == 1  # recovered
        assert with_rt(settings, db, clock, check) == 0
    events = of_type(receiver, "monitor.health")
    assert [e["data"]["state"] for e in events] == ["started", "reminder", "recovered"]
    assert {e["data"]["condition"] for e in events} == {"source.failing"}
    assert all(e["data"]["topic"]["id"] == "monitor.health" and e["data"]["subject"] == source.id for e in events)
    assert "failed 3 polls in a row; last error: HTTP 503" in events[0]["data"]["message"]
    assert "source Wire is failing: no longer true after 26.0 h" in events[2]["data"]["message"]
    assert events[2]["data"]["since"] == START.isoformat()
    assert all(g.verified is False and g.webhook_id for g in receiver.got)  # unsigned channel, ids present
    assert len({g.webhook_id for g in receiver.got}) == 3


def test_silent_source_and_oversized_database(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = health_settings(
            tmp_path, [hook(receiver.url)], source_silent="2d", database_max="1KB", remind_every="7d"
        )
        db = store.open_database(settings.database)  # a file, so it has a size
        clock = Clock(START)
        [source] = settings.sources
        store.sync_sources(db, settings.sources, clock())
        store.record_poll_success(
            db,
            source.id,
            state=SourceState(average_gap_seconds=3600),
            status=200,
            entries=1,
            now=clock(),
            new_items_at=clock(),
        )
        clock.advance(days=1)
        assert with_rt(settings, db, clock, check_health) == 1  # only the database
        clock.advance(days=1, minutes=1)
        assert with_rt(settings, db, clock, check_health) == 1  # and now the source is silent
    conditions = [(e["data"]["condition"], e["data"]["state"]) for e in of_type(receiver, "monitor.health")]
    assert conditions == [("database.size", "started"), ("source.silent", "started")]
    database, silent = (e["data"]["message"] for e in of_type(receiver, "monitor.health"))
    assert "has published nothing new for 2.0 days" in silent
    assert "over the limit of 1.0 kB" in database


def test_failing_channel_is_reported_on_the_others_and_recovers(tmp_path: Path) -> None:
    with Receiver() as health, Receiver() as desk:
        desk.default = Answer(status=500)
        settings = health_settings(tmp_path, [hook(health.url), hook(desk.url, "desk")], channel_failures=2)
        db = store.open_database(None)
        clock = Clock(START)
        queue_hits(db, settings, 1, now=clock())
        with_rt(settings, db, clock, lambda rt: None)  # first failure on desk
        assert with_rt(settings, db, clock, check_health) == 0
        clock.advance(hours=1)
        with_rt(settings, db, clock, lambda rt: None)  # second failure (after its backoff)
        assert notices.channel_failures(db)["desk"][0] == 2
        assert with_rt(settings, db, clock, check_health) == 1  # to hook only: desk is not told it fails
        desk.default = Answer(status=204)
        clock.advance(hours=2)
        with_rt(settings, db, clock, lambda rt: None)
        assert notices.channel_failures(db) == {}
        assert with_rt(settings, db, clock, check_health) == 1
    events = of_type(health, "monitor.health")
    assert [(e["data"]["condition"], e["data"]["state"]) for e in events] == [
        ("channel.failing", "started"),
        ("channel.failing", "recovered"),
    ]
    assert "the last 2 deliveries to channel desk failed" in events[0]["data"]["message"]
    assert of_type(desk, "monitor.health") == [] and len(of_type(desk, "topic.hit")) == 3


def test_health_conditions_survive_a_restart_without_repeating(tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = health_settings(tmp_path, [hook(receiver.url)], source_failures=1)
        db = store.open_database(settings.database)
        [source] = settings.sources
        store.sync_sources(db, settings.sources, START)
        fail_polls(db, source, 1, START)
        assert with_rt(settings, db, Clock(START), check_health) == 1
        db.close()
        db = store.open_database(settings.database)  # a restart
        assert with_rt(settings, db, Clock(START + timedelta(minutes=5)), check_health) == 0
    assert len(of_type(receiver, "monitor.health")) == 1


def test_health_without_a_route_is_tracked_but_not_sent(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        [{"id": "log", "type": "log"}],
        [{"topics": ["*"], "channels": ["log"]}],
        sources=[SOURCE],
        meta_alerts={"source_failures": 1},
    )
    settings = load_config(path)
    db = store.open_database(None)
    store.sync_sources(db, settings.sources, START)
    fail_polls(db, settings.sources[0], 1, START)
    assert with_rt(settings, db, Clock(START), check_health) == 0  # "*" does not carry monitor.health
    assert list(notices.active_conditions(db)) == [f"source.failing:{settings.sources[0].id}"]


def test_config_accepts_monitor_health_routes_and_reserves_the_id(tmp_path: Path) -> None:
    settings = health_settings(tmp_path, [hook("http://127.0.0.1:9/hook")])
    assert settings.routes[0].topics == ["monitor.health"]
    assert settings.meta_alerts.source_failures == 5 and settings.spikes.factor == 4
    bad = write_config(tmp_path, [], [])
    bad.write_text(bad.read_text().replace("id: tartus", "id: monitor.health"))
    with pytest.raises(ConfigError, match="reserved"):
        load_config(bad)


# --- rendering and metrics ---------------------------------------------------------------------------------------


def sample_notice() -> Notice:
    return Notice(
        id="ntc_1",
        topic_id="monitor.health",
        topic_title="Monitor health",
        condition="source.failing",
        subject="src-1",
        state="started",
        title="source <b>Wire</b> is failing",
        text="Wire failed 5 polls\r\nBcc: x@example.org",
        created_at=START,
        facts=(("Condition", "source.failing"),),
    )


def test_notice_email_and_chat_formats() -> None:
    email = build_email(sample_notice(), sender="m@example.org", recipients=["d@example.org"])
    assert email["Subject"] == "[monitor] Monitor health: source <b>Wire</b> is failing"
    assert email["Message-ID"] == "<ntc_1@monitor>" and email["Bcc"] is None
    html = email.get_body(("html",))
    assert html is not None and "source &lt;b&gt;Wire&lt;/b&gt; is failing" in html.get_content()
    text = email.get_body(("plain",))
    assert text is not None and "Wire failed 5 polls Bcc: x@example.org" in text.get_content()
    slack = chat_payload("slack", sample_notice())
    assert slack["text"].startswith("*Monitor health: source") and "Condition: source.failing" in slack["text"]


def test_metrics_count_deliveries_per_channel_and_outcome(tmp_path: Path) -> None:
    with Receiver() as good, Receiver() as bad:
        bad.default = Answer(status=503)
        channels = [hook(good.url, "good"), hook(bad.url, "bad")]
        settings = load_config(write_config(tmp_path, channels, [{"topics": ["*"], "channels": ["good", "bad"]}]))
        db = store.open_database(None)
        queue_hits(db, settings, 2, now=START)

        async def run() -> bytes:
            async with httpx.AsyncClient() as client:
                service = Service(runtime(settings, db, client, Clock(START)))
                await service.dispatcher.drain()
                return service.metrics.render()

        metrics = asyncio.run(run()).decode()
    assert 'monitor_deliveries_total{channel="good",outcome="sent"} 2.0' in metrics
    assert 'monitor_deliveries_total{channel="bad",outcome="retry"} 2.0' in metrics
    assert 'channel="all"' not in metrics
