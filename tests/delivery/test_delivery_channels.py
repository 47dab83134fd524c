"""Channels: webhook secret rotation, chat presets, and the `monitor deliveries` / `monitor test-alert` commands."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from delivery_peers import Answer, Clock, Receiver, queue_hits, runtime, settings_for, write_config

from monitor import store
from monitor.cli import main
from monitor.dispatch import deliver_due
from monitor.models import Alert
from monitor.notify import Digest
from monitor.notify.presets import chat_payload
from monitor.runtime import CycleStats
from monitor.store import deliveries as outbox


def secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def send_all(tmp_path: Path, channel: dict[str, Any]) -> None:
    settings = settings_for(tmp_path, [channel], [{"topics": ["*"], "channels": [channel["id"]]}])
    db = store.open_database(None)
    queue_hits(db, settings, 1)

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            await deliver_due(runtime(settings, db, client, Clock(datetime.now(UTC))), CycleStats())

    asyncio.run(run())


@pytest.mark.parametrize("receiver_knows", ["new", "old"])
def test_rotation_signs_with_every_secret(tmp_path: Path, receiver_knows: str) -> None:
    new, old = secret(), secret()
    with Receiver([new if receiver_knows == "new" else old]) as receiver:
        send_all(tmp_path, {"id": "hook", "type": "webhook", "url": receiver.url, "secret": [new, old]})
    [got] = receiver.got
    assert got.verified
    assert len(got.headers["webhook-signature"].split()) == 2


def test_a_receiver_with_another_secret_does_not_verify(tmp_path: Path) -> None:
    with Receiver([secret()]) as receiver:
        send_all(tmp_path, {"id": "hook", "type": "webhook", "url": receiver.url, "secret": secret()})
    assert [g.verified for g in receiver.got] == [False]


@pytest.mark.parametrize(
    ("kind", "key"), [("slack", "text"), ("discord", "content"), ("teams", "text"), ("mattermost", "text")]
)
def test_chat_presets_post_what_the_service_expects(tmp_path: Path, kind: str, key: str) -> None:
    with Receiver() as receiver:
        send_all(tmp_path, {"id": "chat", "type": "webhook", "url": receiver.url, "format": kind})
    [got] = receiver.got
    assert "Story 0 about tartus" in got.payload[key]
    assert "https://news.example.org/a/tartus/0" in got.payload[key]


def test_presets_escape_markup_and_mentions() -> None:
    alert = Alert(
        id="msg_1",
        topic_id="t",
        topic_title="T",
        article_url="https://example.org/a",
        article_title="<!channel> @everyone [x](javascript:alert(1))",
        source="S",
        score=1.0,
        terms=(),
        snippets=(),
        created_at=datetime.now(UTC),
    )
    slack = chat_payload("slack", alert)["text"]
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack
    discord = chat_payload("discord", alert)
    assert discord["allowed_mentions"] == {"parse": []}
    assert "](javascript:" not in discord["content"]
    digest = Digest("dig_1", (alert,) * 30, datetime.now(UTC))
    assert "… and 15 more" in chat_payload("mattermost", digest)["text"]


def cli_config(tmp_path: Path, url: str) -> Path:
    return write_config(
        tmp_path, [{"id": "hook", "type": "webhook", "url": url}], [{"topics": ["*"], "channels": ["hook"]}]
    )


def test_deliveries_command_lists_failed_and_retries(tmp_path: Path) -> None:
    with Receiver() as receiver:
        config = cli_config(tmp_path, receiver.url)
        settings = settings_for(
            tmp_path,
            [{"id": "hook", "type": "webhook", "url": receiver.url}],
            [{"topics": ["*"], "channels": ["hook"]}],
        )
        db = store.open_database(settings.database)
        queue_hits(db, settings, 2)
        receiver.answer(Answer(410))

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                await deliver_due(runtime(settings, db, client, Clock(datetime.now(UTC))), CycleStats())

        asyncio.run(run())
        runner = CliRunner()
        listed = runner.invoke(main, ["deliveries", "-c", str(config)])
        assert listed.exit_code == 0, listed.output
        assert "failed 1  sent 1" in listed.output
        failed = runner.invoke(main, ["deliveries", "-c", str(config), "--failed", "--json"])
        assert failed.exit_code == 0 and failed.output.count("\n") == 1 and '"status": "failed"' in failed.output
        failed_id = next(r.id for r in outbox.list_deliveries(db) if r.status == "failed")
        assert runner.invoke(main, ["deliveries", "-c", str(config), "retry"]).exit_code == 2
        retried = runner.invoke(main, ["deliveries", "-c", str(config), "retry", str(failed_id)])
        assert retried.exit_code == 0 and "requeued 1" in retried.output
        once = runner.invoke(main, ["deliveries", "-c", str(config), "retry", "--all"])
        assert "requeued 0" in once.output
        asyncio.run(run())
        assert store.delivery_counts(db) == {"sent": 2}


def test_test_alert_prints_the_answer(tmp_path: Path) -> None:
    with Receiver() as receiver:
        config = cli_config(tmp_path, receiver.url)
        runner = CliRunner()
        ok = runner.invoke(main, ["test-alert", "-c", str(config), "hook"])
        receiver.answer(Answer(403))
        refused = runner.invoke(main, ["test-alert", "-c", str(config), "hook"])
        digest = runner.invoke(main, ["test-alert", "-c", str(config), "hook", "--digest"])
        unknown = runner.invoke(main, ["test-alert", "-c", str(config), "nope"])
    assert ok.exit_code == 0 and ok.output.strip() == "hook: HTTP 204"
    assert refused.exit_code == 1 and "permanent failure" in refused.output
    assert digest.exit_code == 0
    assert receiver.got[2].payload["type"] == "topic.digest"
    assert unknown.exit_code == 2 and "unknown channel" in unknown.output
