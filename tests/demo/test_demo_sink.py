"""The webhook sink: verifies Standard Webhooks signatures, records, waits."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook

from monitor.demo.sink import WebhookSink, make_secret


def signed(
    secret: str, payload: object, msg_id: str = "msg_1", when: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """Return a body and the Standard Webhooks headers that sign it."""
    body = json.dumps(payload).encode()
    moment = when or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, moment, body.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
    return body, headers


@pytest.fixture
def secret() -> str:
    return make_secret()


@pytest.fixture
def sink(secret: str) -> Iterator[WebhookSink]:
    with WebhookSink(secret) as receiver:
        yield receiver


def test_make_secret_is_fresh_and_usable() -> None:
    first, second = make_secret(), make_secret()
    assert first.startswith("whsec_") and first != second
    body, headers = signed(first, {"ok": True})
    assert Webhook(first).verify(body, headers) == {"ok": True}


def test_correctly_signed_post_is_verified(sink: WebhookSink, secret: str) -> None:
    body, headers = signed(secret, {"type": "alert", "data": {"topic": "russia-syria"}}, "msg_42")
    response = httpx.post(sink.url, content=body, headers=headers, trust_env=False)
    assert response.status_code == 204
    (record,) = sink.wait_for(1, timeout=2)
    assert record["verified"] is True
    assert record["webhook_id"] == "msg_42"
    assert record["payload"] == {"type": "alert", "data": {"topic": "russia-syria"}}
    assert record["status"] == 204 and record["path"] == "/webhook"


@pytest.mark.parametrize("forgery", ["wrong-secret", "tampered-body", "old-timestamp", "garbage-signature", "unsigned"])
def test_forged_post_is_refused(sink: WebhookSink, secret: str, forgery: str) -> None:
    payload = {"type": "alert"}
    if forgery == "wrong-secret":
        body, headers = signed(make_secret(), payload)
    elif forgery == "old-timestamp":
        body, headers = signed(secret, payload, when=datetime.now(UTC) - timedelta(minutes=10))
    else:
        body, headers = signed(secret, payload)
    if forgery == "tampered-body":
        body = body.replace(b"alert", b"alarm")
    elif forgery == "garbage-signature":
        headers["webhook-signature"] = "v1,not base64!!"
    elif forgery == "unsigned":
        del headers["webhook-signature"]
    response = httpx.post(sink.url, content=body, headers=headers, trust_env=False)
    assert response.status_code == 401
    assert [r["verified"] for r in sink.received] == [False]
    assert sink.verified == []


def test_sink_without_secret_records_unverified() -> None:
    with WebhookSink() as sink:
        response = httpx.post(sink.url, json={"n": 1}, trust_env=False)
        assert response.status_code == 204
        assert [(r["verified"], r["payload"]) for r in sink.received] == [(False, {"n": 1})]


def test_fail_next_answers_errors_then_recovers(sink: WebhookSink, secret: str) -> None:
    sink.fail_next(1, status=503)
    statuses = []
    for n in range(2):
        body, headers = signed(secret, {"n": n}, f"msg_{n}")
        statuses.append(httpx.post(sink.url, content=body, headers=headers, trust_env=False).status_code)
    assert statuses == [503, 204]
    assert [r["status"] for r in sink.received] == [503, 204]
    assert all(r["verified"] for r in sink.received)


def test_wait_for_returns_what_arrived_after_timeout(sink: WebhookSink) -> None:
    started = time.monotonic()
    assert sink.wait_for(1, timeout=0.2) == []
    assert 0.15 <= time.monotonic() - started < 2


def test_get_is_not_allowed(sink: WebhookSink) -> None:
    assert httpx.get(sink.url, trust_env=False).status_code == 405
    assert sink.received == []
