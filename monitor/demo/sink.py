"""A local webhook receiver that verifies Standard Webhooks signatures, for the demo and the tests."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from typing import Any, TypedDict

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from monitor.demo._http import LocalServer, QuietHandler

_MAX_BODY = 1 << 20


class ReceivedWebhook(TypedDict):
    """One POST the sink received; header names are lower-case."""

    webhook_id: str | None
    payload: Any  # parsed JSON, or None when the body was not JSON
    verified: bool  # True only when a secret was set and the signature checked out
    status: int  # what the sink answered
    path: str
    headers: dict[str, str]
    body: bytes


def make_secret() -> str:
    """Return a fresh Standard Webhooks secret: "whsec_" + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class WebhookSink(LocalServer):
    """Receive webhook POSTs on 127.0.0.1, check signatures when given a secret, and record them."""

    def __init__(self, secret: str | None = None) -> None:
        super().__init__(_SinkHandler)
        self._webhook = Webhook(secret) if secret else None
        self._cond = threading.Condition()
        self._received: list[ReceivedWebhook] = []
        self._planned: list[int] = []
        self.url = self.origin + "/webhook"

    @property
    def received(self) -> list[ReceivedWebhook]:
        """Return a snapshot of every POST received so far, oldest first."""
        with self._cond:
            return list(self._received)

    @property
    def verified(self) -> list[ReceivedWebhook]:
        """Return only the POSTs whose signature verified."""
        return [r for r in self.received if r["verified"]]

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next count POSTs with status (after recording them), e.g. to exercise retries."""
        with self._cond:
            self._planned.extend([status] * count)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedWebhook]:
        """Wait until at least n POSTs arrived or timeout passed; return what arrived (maybe fewer than n)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._received) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self._received)

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Verify and record one POST; return the status to answer."""
        verified, payload = self._check(body, headers)
        with self._cond:
            if self._webhook is not None and not verified:
                status = 401
            elif self._planned:
                status = self._planned.pop(0)
            else:
                status = 204
            record = ReceivedWebhook(
                webhook_id=headers.get("webhook-id"),
                payload=payload,
                verified=verified,
                status=status,
                path=path,
                headers=headers,
                body=body,
            )
            self._received.append(record)
            self._cond.notify_all()
        return status

    def _check(self, body: bytes, headers: dict[str, str]) -> tuple[bool, Any]:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
        if self._webhook is None:
            return False, payload
        try:
            self._webhook.verify(body, headers)
        # A malformed signature header makes the library raise ValueError (bad split or base64) instead.
        except (WebhookVerificationError, ValueError):
            return False, payload
        return True, payload


class _SinkHandler(QuietHandler):
    def do_POST(self) -> None:
        sink: WebhookSink = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            self.send_bytes(413, b"", {})
            return
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = sink._receive(self.path, headers, body)
        self.send_bytes(status, b"", {})

    def do_GET(self) -> None:
        self.send_bytes(405, b"POST only\n", {"Allow": "POST", "Content-Type": "text/plain; charset=utf-8"})
