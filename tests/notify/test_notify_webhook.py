"""Webhook delivery against a real receiver on 127.0.0.1 that verifies every signature."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest
from notify_peers import AlertFactory, Plan, WebhookReceiver, free_port, new_secret
from standardwebhooks import Webhook

from monitor.config import WebhookChannel
from monitor.errors import NotifyError
from monitor.models import Alert
from monitor.notify.render import webhook_payload
from monitor.notify.webhook import USER_AGENT, send_webhook, sign_headers

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def channel_for(server: WebhookReceiver, **changes: Any) -> WebhookChannel:
    values: dict[str, Any] = {"id": "hook", "type": "webhook", "url": server.url, "secret": server.secret}
    return WebhookChannel.model_validate(values | changes)


async def post(channel: WebhookChannel, alert: Alert, **client_options: Any) -> int:
    async with httpx.AsyncClient(**client_options) as client:
        return await send_webhook(client, channel, alert)


async def post_expecting_error(channel: WebhookChannel, alert: Alert) -> NotifyError:
    with pytest.raises(NotifyError) as caught:
        await post(channel, alert)
    return caught.value


def test_signed_post_has_payload_and_headers(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    alert = make_alert()
    before = time.time()
    assert run(post(channel_for(receiver), alert)) == 204
    [request] = receiver.requests
    assert request.verified, request.error
    assert request.json() == webhook_payload(alert)
    assert request.headers["webhook-id"] == alert.id
    assert before - 1 <= int(request.headers["webhook-timestamp"]) <= time.time() + 1
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT


def test_client_user_agent_is_kept(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    run(post(channel_for(receiver), make_alert(), headers={"user-agent": "monitor/9 (+https://example.org)"}))
    assert receiver.requests[0].headers["user-agent"] == "monitor/9 (+https://example.org)"


def test_receiver_catches_a_wrong_secret(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    run(post(channel_for(receiver, secret=new_secret()), make_alert()))
    assert not receiver.requests[0].verified
    assert "signature" in (receiver.requests[0].error or "").lower()


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_is_success(receiver: WebhookReceiver, make_alert: AlertFactory, status: int) -> None:
    receiver.answer(Plan(status=status))
    assert run(post(channel_for(receiver), make_alert())) == status


def test_retry_reuses_the_webhook_id(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    receiver.answer(Plan(status=500, body=b"database down"))
    channel, alert = channel_for(receiver), make_alert()
    error = run(post_expecting_error(channel, alert))
    assert (error.status, error.permanent, error.channel) == (500, False, "hook")
    assert "database down" in str(error)
    assert run(post(channel, alert)) == 204
    first, second = receiver.requests
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == alert.id
    assert first.body == second.body


def test_429_is_temporary_with_retry_after(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    receiver.answer(Plan(status=429, headers={"Retry-After": "7"}))
    error = run(post_expecting_error(channel_for(receiver), make_alert()))
    assert (error.status, error.permanent, error.retry_after) == (429, False, 7.0)


def test_503_with_http_date_retry_after(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    receiver.answer(Plan(status=503, headers={"Retry-After": later}))
    error = run(post_expecting_error(channel_for(receiver), make_alert()))
    assert error.permanent is False
    assert error.retry_after is not None and 100 <= error.retry_after <= 121


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (401, True), (404, True), (410, True), (413, True), (408, False), (409, False), (425, False),
     (500, False), (502, False), (301, True)],
)  # fmt: skip
def test_status_classification(
    receiver: WebhookReceiver, make_alert: AlertFactory, status: int, permanent: bool
) -> None:
    receiver.answer(Plan(status=status, headers={"Retry-After": "5", "Location": "https://elsewhere.example/"}))
    error = run(post_expecting_error(channel_for(receiver), make_alert()))
    assert (error.status, error.permanent) == (status, permanent)
    assert error.retry_after == (None if permanent else 5.0)


def test_hanging_receiver_times_out(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    receiver.answer(Plan(hang=10))
    started = time.monotonic()
    error = run(post_expecting_error(channel_for(receiver, timeout=0.5), make_alert()))
    assert time.monotonic() - started < 3
    assert (error.status, error.permanent) == (None, False)
    assert "0.5s" in str(error)


def test_refused_connection_is_temporary(make_alert: AlertFactory) -> None:
    channel = WebhookChannel(id="hook", type="webhook", url=f"http://127.0.0.1:{free_port()}/hook")
    error = run(post_expecting_error(channel, make_alert()))
    assert (error.status, error.permanent) == (None, False)


def test_unsigned_channel_still_sends_id_and_timestamp(
    unsigned_receiver: WebhookReceiver, make_alert: AlertFactory
) -> None:
    run(post(channel_for(unsigned_receiver), make_alert()))
    [request] = unsigned_receiver.requests
    assert request.verified, request.error
    assert request.headers["webhook-id"] == "alert-0001-tartus"


def test_rotation_signs_with_every_secret() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"topic.hit"}'
    headers = sign_headers("msg-1", body, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_a_permanent_failure_and_is_not_followed(
    receiver: WebhookReceiver, make_alert: AlertFactory, status: int
) -> None:
    """The daemon's shared client follows redirects; a webhook must not (a 301 made an empty GET look delivered)."""
    moved = receiver.url + "/moved"
    receiver.answer(Plan(status=status, headers={"Location": moved}))

    async def send() -> NotifyError:
        async with httpx.AsyncClient(follow_redirects=True) as client:
            with pytest.raises(NotifyError) as caught:
                await send_webhook(client, channel_for(receiver), make_alert())
            return caught.value

    error = run(send())
    assert (error.status, error.permanent, error.retry_after) == (status, True, None)
    assert moved in str(error) and "update the channel URL" in str(error)
    assert len(receiver.requests) == 1 and receiver.gets == []


def test_retry_after_date_is_judged_by_the_given_clock(receiver: WebhookReceiver, make_alert: AlertFactory) -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    receiver.answer(Plan(status=503, headers={"Retry-After": "Wed, 01 Jan 2025 12:01:30 GMT"}))

    async def send() -> NotifyError:
        async with httpx.AsyncClient() as client:
            with pytest.raises(NotifyError) as caught:
                await send_webhook(client, channel_for(receiver), make_alert(), clock=lambda: now)
            return caught.value

    assert run(send()).retry_after == 90.0
    # The same clock signs the event, so signing and Retry-After agree on what "now" is.
    assert receiver.requests[0].headers["webhook-timestamp"] == str(int(now.timestamp()))
