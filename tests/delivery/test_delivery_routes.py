"""Routing with a controlled clock: CRON digests, quiet hours, max_per_hour folding, filters; email digests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from delivery_peers import Clock, MailBox, Receiver, free_port, queue_hits, runtime, settings_for, statuses

from monitor import store
from monitor.config import RouteConfig
from monitor.dispatch import deliver_due, quiet_until
from monitor.runtime import CycleStats


def hook(url: str) -> dict[str, Any]:
    return {"id": "hook", "type": "webhook", "url": url}


def drain(settings: Any, db: Any, clock: Clock) -> CycleStats:
    async def run() -> CycleStats:
        stats = CycleStats()
        async with httpx.AsyncClient() as client:
            await deliver_due(runtime(settings, db, client, clock), stats)
        return stats

    return asyncio.run(run())


def test_cron_digest_gathers_hits_into_one_message(tmp_path: Path) -> None:
    with Receiver() as receiver:
        route = {"topics": ["*"], "channels": ["hook"], "digest": "0 7 * * *"}
        settings = settings_for(tmp_path, [hook(receiver.url)], [route])
        db = store.open_database(None)
        clock = Clock(datetime(2025, 3, 1, 6, 0, tzinfo=UTC))
        queue_hits(db, settings, 3, topic="tartus", now=clock())
        queue_hits(db, settings, 1, topic="hmeimim", now=clock())
        drain(settings, db, clock)
        assert receiver.got == [] and statuses(db) == {"held": 4}
        clock.advance(minutes=59)
        drain(settings, db, clock)
        assert receiver.got == []
        clock.advance(minutes=1, seconds=1)
        drain(settings, db, clock)
        clock.advance(hours=24)
        drain(settings, db, clock)  # the next day's digest is empty: nothing is sent
    [got] = receiver.got
    assert got.payload["type"] == "topic.digest"
    data = got.payload["data"]
    assert data["count"] == 4
    assert [(t["id"], t["count"]) for t in data["topics"]] == [("tartus", 3), ("hmeimim", 1)]
    assert got.webhook_id and got.webhook_id.startswith("dig_")
    assert statuses(db) == {"sent": 4}


def test_quiet_hours_hold_alerts_until_they_end_in_the_route_timezone(tmp_path: Path) -> None:
    with Receiver() as receiver:
        route = {"topics": ["*"], "channels": ["hook"], "quiet_hours": "22:00-07:00", "timezone": "Europe/Berlin"}
        settings = settings_for(tmp_path, [hook(receiver.url)], [route])
        db = store.open_database(None)
        clock = Clock(datetime(2025, 1, 10, 21, 30, tzinfo=UTC))  # 22:30 in Berlin (UTC+1 in winter)
        queue_hits(db, settings, 2, now=clock())
        drain(settings, db, clock)
        assert receiver.got == []
        clock.advance(hours=8, minutes=29)  # 05:59 UTC = 06:59 Berlin: still quiet
        drain(settings, db, clock)
        assert receiver.got == []
        clock.advance(minutes=2)
        drain(settings, db, clock)
        queue_hits(db, settings, 1, now=clock(), prefix="day")
        drain(settings, db, clock)  # outside quiet hours: instant
    assert [g.payload["type"] for g in receiver.got] == ["topic.digest", "topic.hit"]
    assert receiver.got[0].payload["data"]["count"] == 2


@pytest.mark.parametrize(
    ("quiet", "at", "expected"),
    [
        ("22:00-07:00", datetime(2025, 1, 10, 23, 0, tzinfo=UTC), datetime(2025, 1, 11, 7, 0, tzinfo=UTC)),
        ("22:00-07:00", datetime(2025, 1, 10, 3, 0, tzinfo=UTC), datetime(2025, 1, 10, 7, 0, tzinfo=UTC)),
        ("22:00-07:00", datetime(2025, 1, 10, 12, 0, tzinfo=UTC), None),
        ("01:00-05:00", datetime(2025, 1, 10, 0, 30, tzinfo=UTC), None),
        ("01:00-05:00", datetime(2025, 1, 10, 4, 59, tzinfo=UTC), datetime(2025, 1, 10, 5, 0, tzinfo=UTC)),
    ],
)
def test_quiet_until(quiet: str, at: datetime, expected: datetime | None) -> None:
    route = RouteConfig(topics=["*"], channels=["x"], quiet_hours=quiet)
    assert quiet_until(route, at) == expected


def test_max_per_hour_folds_the_rest_into_a_digest(tmp_path: Path) -> None:
    with Receiver() as receiver:
        route = {"topics": ["*"], "channels": ["hook"], "max_per_hour": 2}
        settings = settings_for(tmp_path, [hook(receiver.url)], [route])
        db = store.open_database(None)
        clock = Clock(datetime(2025, 3, 1, 10, 15, tzinfo=UTC))
        queue_hits(db, settings, 5, now=clock())
        drain(settings, db, clock)
        assert [g.payload["type"] for g in receiver.got] == ["topic.hit", "topic.hit"]
        assert statuses(db) == {"sent": 2, "held": 3}
        clock.advance(minutes=46)  # 11:01: the folded alerts go out as one digest, none dropped
        drain(settings, db, clock)
    assert [g.payload["type"] for g in receiver.got] == ["topic.hit", "topic.hit", "topic.digest"]
    assert receiver.got[2].payload["data"]["count"] == 3
    assert statuses(db) == {"sent": 5}


def test_high_scores_go_now_and_low_scores_wait_for_the_digest(tmp_path: Path) -> None:
    with Receiver() as receiver:
        routes: list[dict[str, Any]] = [
            {"topics": ["tartus"], "channels": ["hook"], "min_score": 5},
            {"topics": ["tartus"], "channels": ["hook"], "digest": "0 7 * * *"},
        ]
        settings = settings_for(tmp_path, [hook(receiver.url)], routes)
        db = store.open_database(None)
        clock = Clock(datetime(2025, 3, 1, 6, 0, tzinfo=UTC))
        queue_hits(db, settings, 1, now=clock(), score=9.0, prefix="high")
        queue_hits(db, settings, 2, now=clock(), score=1.0, prefix="low")
        drain(settings, db, clock)
        assert [g.payload["type"] for g in receiver.got] == ["topic.hit"]
        clock.advance(hours=1)
        drain(settings, db, clock)
    assert [g.payload["type"] for g in receiver.got] == ["topic.hit", "topic.digest"]


def test_route_filters_languages_sources_and_score(tmp_path: Path) -> None:
    routes: list[dict[str, Any]] = [
        {"topics": ["*"], "channels": ["a"], "languages": ["ru", "ar"]},
        {"topics": ["tartus"], "channels": ["b"], "sources": ["Test"]},
        {"topics": ["*"], "channels": ["c"], "min_score": 3},
    ]
    channels = [{"id": c, "type": "log"} for c in "abc"]
    settings = settings_for(tmp_path, channels, routes)
    assert settings.channels_for("tartus", 1, language="ru", source=("src-x", "Other")) == ["a"]
    assert settings.channels_for("tartus", 4, language="en", source=("src-x", "Test")) == ["b", "c"]
    assert settings.channels_for("hmeimim", 4, language=None, source=("src-x", "Test")) == ["c"]


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    box = MailBox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def test_email_digest_is_one_escaped_message_with_list_headers(tmp_path: Path, mailbox: MailBox) -> None:
    channel: dict[str, Any] = {
        "id": "desk",
        "type": "email",
        "from": "monitor@example.org",
        "to": ["desk@example.org"],
        "smtp": {"host": "127.0.0.1", "port": mailbox.port, "starttls": False},
        "list_id": "Monitor alerts <alerts.example.org>",
        "unsubscribe": "mailto:desk-off@example.org",
    }
    route = {"topics": ["*"], "channels": ["desk"], "digest": "0 7 * * *"}
    settings = settings_for(tmp_path, [channel], [route])
    db = store.open_database(None)
    clock = Clock(datetime(2025, 3, 1, 6, 0, tzinfo=UTC))
    queue_hits(db, settings, 2, now=clock(), prefix="<b>")
    clock.advance(hours=1)
    drain(settings, db, clock)
    [message] = mailbox.messages
    assert message["Subject"] == "[monitor] digest: 2 alerts in 1 topic"
    assert message["List-Id"] == "Monitor alerts <alerts.example.org>"
    assert message["List-Unsubscribe"] == "<mailto:desk-off@example.org>"
    assert message["Message-ID"].startswith("<dig_")
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None and text is not None
    assert "Port of Tartus <small>(2)</small>" in html.get_content()
    assert "/&lt;b&gt;/" in html.get_content() and "/<b>/" not in html.get_content()
    assert "Story 1 about tartus" in text.get_content()
    assert message_from_bytes(message.as_bytes(), policy=policy.default)["Subject"] == message["Subject"]


def test_email_templates_can_be_overridden_from_the_config_folder(tmp_path: Path, mailbox: MailBox) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "alert.txt").write_text("Custom: {{ alert.article_title }}\n", encoding="utf-8")
    channel: dict[str, Any] = {
        "id": "desk",
        "type": "email",
        "from": "monitor@example.org",
        "to": ["desk@example.org"],
        "smtp": {"host": "127.0.0.1", "port": mailbox.port, "starttls": False},
        "templates": "mail",
    }
    settings = settings_for(tmp_path, [channel], [{"topics": ["*"], "channels": ["desk"]}])
    db = store.open_database(None)
    queue_hits(db, settings, 1)
    drain(settings, db, Clock(datetime.now(UTC)))
    [message] = mailbox.messages
    text = message.get_body(("plain",))
    assert text is not None and text.get_content().strip() == "Custom: Story 0 about tartus"
