"""POST an alert as a Standard Webhooks event and classify the receiver's answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from math import floor

import httpx
from standardwebhooks import Webhook

from monitor import __version__
from monitor.config import WebhookChannel
from monitor.errors import NotifyError
from monitor.httputil import Clock, parse_retry_after, utc_now
from monitor.models import Alert, Notice
from monitor.notify.digest import Digest, digest_body
from monitor.notify.notice import notice_body
from monitor.notify.presets import chat_payload
from monitor.notify.render import webhook_body

USER_AGENT = f"monitor/{__version__} (webhook)"
# Besides 5xx, these say "try again later" (RFC 9110, RFC 6585, RFC 8470); every other 4xx is final.
TEMPORARY_4XX = frozenset({408, 409, 425, 429})
_ERROR_BODY_LIMIT = 300


def sign_headers(msg_id: str, body: bytes, secrets: Sequence[str], *, now: datetime | None = None) -> dict[str, str]:
    """Return the Standard Webhooks headers; every secret adds one ``v1,`` signature (rotation)."""
    moment = (now or utc_now()).astimezone(UTC)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(floor(moment.timestamp()))}
    text = body.decode("utf-8")
    signatures = [Webhook(secret).sign(msg_id, moment, text) for secret in secrets]
    if signatures:
        headers["webhook-signature"] = " ".join(signatures)
    return headers


def is_temporary(status: int) -> bool:
    """Return True when an HTTP status means the delivery may succeed later."""
    return status >= 500 or status in TEMPORARY_4XX


def message_body(channel: WebhookChannel, message: Alert | Digest | Notice) -> bytes:
    """Return the body to POST: the Standard Webhooks event, or the chat service's format."""
    if channel.format != "standard":
        return json.dumps(chat_payload(channel.format, message), ensure_ascii=False).encode("utf-8")
    if isinstance(message, Notice):
        return notice_body(message)
    return digest_body(message) if isinstance(message, Digest) else webhook_body(message)


async def send_webhook(
    client: httpx.AsyncClient,
    channel: WebhookChannel,
    message: Alert | Digest | Notice,
    *,
    clock: Clock = utc_now,
) -> int:
    """POST an alert or a digest to the channel's URL and return the 2xx status; raise NotifyError otherwise.

    Redirects are not followed: httpx would turn a 301/302/303 into a body-less GET that the new address may
    well answer with 200, and the event would count as delivered. A 3xx is a permanent failure naming Location.
    """
    body = message_body(channel, message)
    # The signing time is the sending time, not the hit time: receivers refuse timestamps over 5 minutes old.
    headers = sign_headers(message.id, body, channel.secrets, now=clock())
    headers["content-type"] = "application/json"
    if client.headers.get("user-agent", "").startswith("python-httpx/"):
        headers["user-agent"] = USER_AGENT
    try:
        # httpx timeouts are per phase; asyncio.timeout also bounds a receiver that trickles bytes forever.
        async with asyncio.timeout(channel.timeout):
            async with client.stream(
                "POST", channel.url, content=body, headers=headers, timeout=channel.timeout, follow_redirects=False
            ) as response:
                if response.is_success:
                    return response.status_code
                detail = await _read_some(response)
    except (TimeoutError, httpx.TimeoutException):
        raise NotifyError(f"no answer within {channel.timeout:g}s", channel=channel.id) from None
    except httpx.HTTPError as exc:
        raise NotifyError(f"{type(exc).__name__}: {exc}", channel=channel.id) from None
    raise _status_error(channel.id, response.status_code, response.headers, detail, now=clock())


async def _read_some(response: httpx.Response) -> str:
    """Return the start of an error body for the message, without reading a huge body whole."""
    chunks = b""
    async for chunk in response.aiter_raw():
        chunks += chunk
        if len(chunks) >= _ERROR_BODY_LIMIT:
            break
    return " ".join(chunks[:_ERROR_BODY_LIMIT].decode("utf-8", "replace").split())


def _status_error(
    channel_id: str, status: int, headers: Mapping[str, str], detail: str, *, now: datetime
) -> NotifyError:
    temporary = is_temporary(status)
    if 300 <= status < 400:
        detail = f"redirect to {headers.get('location', '?')} (update the channel URL) {detail}".strip()
    return NotifyError(
        detail or "receiver refused the event",
        channel=channel_id,
        status=status,
        permanent=not temporary,
        retry_after=parse_retry_after(headers.get("retry-after"), now=now) if temporary else None,
    )
