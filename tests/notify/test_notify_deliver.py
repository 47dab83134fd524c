"""deliver() dispatches on the channel type and returns a short outcome; the log channel writes one line."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from notify_peers import AlertFactory, Plan, RecordingHandler, SmtpFactory, WebhookReceiver

from monitor.config import EmailChannel, LogChannel, WebhookChannel
from monitor.errors import NotifyError
from monitor.models import Alert
from monitor.notify import CHANNELS, Channel, deliver
from monitor.notify.log import send_log


async def deliver_with_client(alert: Alert, channel: Channel) -> str:
    async with httpx.AsyncClient() as client:
        return await deliver(alert, channel, client=client)


def test_every_channel_type_has_a_sender() -> None:
    assert set(CHANNELS) == {"webhook", "email", "log"}


def test_deliver_webhook(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    channel = WebhookChannel(id="hook", type="webhook", url=receiver.url, secret=receiver.secret)
    assert asyncio.run(deliver_with_client(make_alert(), channel)) == "HTTP 204"
    assert receiver.requests[0].verified


def test_deliver_webhook_error_propagates(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    receiver.answer(Plan(status=410))
    channel = WebhookChannel(id="hook", type="webhook", url=receiver.url, secret=receiver.secret)
    with pytest.raises(NotifyError) as caught:
        asyncio.run(deliver_with_client(make_alert(), channel))
    assert caught.value.permanent


def test_deliver_email(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler(data_reply="250 2.0.0 Queued as ABC123")
    port = smtp_server(handler)
    channel = EmailChannel.model_validate(
        {"id": "mail", "type": "email", "from": "m@example.org", "to": ["a@example.org"],
         "smtp": {"host": "127.0.0.1", "port": port, "starttls": False}}
    )  # fmt: skip
    assert asyncio.run(deliver_with_client(make_alert(), channel)) == "250 2.0.0 Queued as ABC123"
    assert len(handler.messages) == 1


def test_deliver_log(caplog: pytest.LogCaptureFixture, make_alert: AlertFactory) -> None:
    caplog.set_level(logging.INFO, logger="monitor.alerts")
    outcome = asyncio.run(deliver_with_client(make_alert(), LogChannel(id="log", type="log")))
    assert outcome == "logged"
    [record] = caplog.records
    assert (record.name, record.levelno) == ("monitor.alerts", logging.INFO)
    assert "topic=russia-syria-bases" in record.getMessage()


def test_send_log_writes_one_line_per_alert(caplog: pytest.LogCaptureFixture, make_alert: AlertFactory) -> None:
    caplog.set_level(logging.INFO, logger="monitor.alerts")
    send_log(make_alert(article_title="First\nSecond"))
    send_log(make_alert(score=9.25, article_url="https://e.org/b"))
    first, second = (record.getMessage() for record in caplog.records)
    assert "\n" not in first and "First Second" in first
    assert "score=9.25" in second and "url=https://e.org/b" in second
